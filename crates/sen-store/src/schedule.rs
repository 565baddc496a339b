//! Time-driven writes: articles whose publication time comes are announced (their pages dropped
//! from every node's cache, an audit entry written), those whose unpublication time comes are
//! taken down. One node does it at a time, the holder of a lease in the database; the others take
//! over when its lease runs out.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use sen_core::{Actor, Change};

use crate::{
    Result, Store,
    audit::{AuditAction, record},
    db::{Tx, now, on_db},
    outbox::append_change,
};

/// The scheduler acts as this system actor in the audit log.
pub const SCHEDULER: Actor = Actor::System { name: "scheduler" };

// The schedule's reads run every half second: each must find its rows through an index on the
// time it asks about (tested below), never by reading every published article.
const DUE_DOWN: &str = "SELECT id, title, category_id FROM articles WHERE status = 'published' \
     AND unpublish_at IS NOT NULL AND unpublish_at <= $1 ORDER BY id";
// An article made public by its creation or an editor's "publish now" was announced then (its
// audit entry is at or after its publication time): the schedule announces only those whose time
// came later, else a publication in the second before the mark moves would be announced twice.
const WENT_LIVE: &str = "SELECT id, title, category_id FROM articles WHERE status = 'published' \
     AND published_at > $1 AND published_at <= $2 \
     AND NOT EXISTS (SELECT 1 FROM audit_log WHERE action IN ('article_create', 'article_publish') \
     AND at >= articles.published_at AND target = 'article:' || articles.id) ORDER BY id";
const NEXT_SCHEDULED: &str = "SELECT (SELECT MIN(published_at) FROM articles WHERE status = 'published' AND published_at > $1), \
     (SELECT MIN(unpublish_at) FROM articles WHERE status = 'published' AND unpublish_at IS NOT NULL)";

/// What one run of the schedule did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleRun {
    /// Articles whose publication time came since the last run.
    pub published: Vec<i64>,
    /// Articles taken down at their unpublication time.
    pub unpublished: Vec<i64>,
}

impl Store {
    /// Takes or renews the lease `name` for `holder` until `ttl` from now. True when `holder`
    /// holds it: it was free, expired, or already theirs.
    pub async fn try_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let t = now();
        let row: Option<(String,)> = on_db!(self, write p => {
            sqlx::query_as(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4 \
                 RETURNING holder",
            )
            .bind(name).bind(holder).bind(t + ttl).bind(t)
            .fetch_optional(p)
            .await
        })?;
        Ok(row.is_some_and(|(h,)| h == holder))
    }

    /// Who holds the lease `name` now, if anyone does.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        let t = now();
        let row: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT holder FROM leases WHERE name = $1 AND expires_at > $2")
                .bind(name).bind(t)
                .fetch_optional(p)
                .await
        })?;
        Ok(row.map(|(holder,)| holder))
    }

    /// Gives the lease up at once (a clean shutdown), so another node takes over without waiting.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        on_db!(self, write p => {
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(name).bind(holder)
                .execute(p)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Announces what became public since the last run and takes down what is due, as of `at`.
    /// Safe to run on several nodes at once: the run moves the shared mark from the value it read,
    /// and a run that finds it moved writes nothing.
    pub async fn run_schedule(&self, at: OffsetDateTime) -> Result<ScheduleRun> {
        let at = sen_core::format::utc_seconds(at);
        let t = now();
        let mut tx = self.begin().await?;
        let mark: Option<(OffsetDateTime,)> = on_db!(&mut tx, tx c => {
            sqlx::query_as("SELECT announced_through FROM scheduler_state WHERE id = 1")
                .fetch_optional(c)
                .await
        })?;
        let Some((mark,)) = mark else {
            on_db!(&mut tx, tx c => {
                sqlx::query("INSERT INTO scheduler_state (id, announced_through) VALUES (1, $1) ON CONFLICT DO NOTHING")
                    .bind(at)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
            tx.commit().await?;
            return Ok(ScheduleRun::default());
        };
        let due_down: Vec<(i64, String, i64)> = on_db!(&mut tx, tx c => {
            sqlx::query_as(DUE_DOWN)
            .bind(at)
            .fetch_all(c)
            .await
        })?;
        let went_live: Vec<(i64, String, i64)> = if at > mark {
            on_db!(&mut tx, tx c => {
                sqlx::query_as(WENT_LIVE)
                .bind(mark).bind(at)
                .fetch_all(c)
                .await
            })?
        } else {
            vec![]
        };
        let mut run = ScheduleRun::default();
        let mut changes = Vec::new();
        for (id, title, category) in &due_down {
            on_db!(&mut tx, tx c => {
                sqlx::query(
                    "UPDATE articles SET status = 'archived', updated_at = $2, version = version + 1 \
                     WHERE id = $1 AND status = 'published'",
                )
                .bind(id).bind(t)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            })?;
            let details =
                json!({ "title": title, "from": "published", "to": "archived", "scheduled": true });
            record(
                &mut tx,
                t,
                &SCHEDULER,
                AuditAction::ArticleUnpublish,
                &format!("article:{id}"),
                details,
            )
            .await?;
            run.unpublished.push(*id);
            changes.push(article_change(&mut tx, *id, *category).await?);
        }
        for (id, title, category) in &went_live {
            if run.unpublished.contains(id) {
                continue;
            }
            let details = json!({ "title": title, "scheduled": true });
            record(
                &mut tx,
                t,
                &SCHEDULER,
                AuditAction::ArticlePublish,
                &format!("article:{id}"),
                details,
            )
            .await?;
            run.published.push(*id);
            changes.push(article_change(&mut tx, *id, *category).await?);
        }
        if at > mark {
            let moved = on_db!(&mut tx, tx c => {
                sqlx::query("UPDATE scheduler_state SET announced_through = $2 WHERE id = 1 AND announced_through = $1")
                    .bind(mark).bind(at)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
            if moved == 0 {
                // Another node ran meanwhile: its run stands, this one writes nothing.
                return Ok(ScheduleRun::default());
            }
        }
        for change in &changes {
            append_change(&mut tx, change).await?;
        }
        tx.commit().await?;
        for change in &changes {
            self.notify(change);
        }
        Ok(run)
    }

    /// The next time the schedule has something to do after `after`, if anything is scheduled.
    pub async fn next_scheduled(&self, after: OffsetDateTime) -> Result<Option<OffsetDateTime>> {
        let after = sen_core::format::utc_seconds(after);
        let (next_up, next_down): (Option<OffsetDateTime>, Option<OffsetDateTime>) = on_db!(self, read p => {
            sqlx::query_as(NEXT_SCHEDULED)
            .bind(after)
            .fetch_one(p)
            .await
        })?;
        Ok([next_up, next_down].into_iter().flatten().min())
    }
}

/// The change that drops an article's page and the lists it is on (its category's, its tags').
async fn article_change(tx: &mut Tx, id: i64, category: i64) -> Result<Change> {
    let tags: Vec<(i64,)> = on_db!(tx, tx c => {
        sqlx::query_as("SELECT tag_id FROM article_tags WHERE article_id = $1")
            .bind(id)
            .fetch_all(c)
            .await
    })?;
    Ok(Change::Article {
        id,
        categories: vec![category],
        tags: tags.into_iter().map(|(t,)| t).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Backend, testing};

    /// SQLite's plan of each of the schedule's reads names the time column among its index
    /// constraints: the rows are found by time, not by reading every published article.
    #[tokio::test]
    async fn the_schedule_reads_by_time_through_an_index() {
        let url = testing::fresh_url(Backend::Sqlite).await;
        let _store = Store::open(&url).await.expect("open");
        let path = url.trim_start_matches("sqlite://");
        let conn = rusqlite::Connection::open(path).expect("open file");
        for (sql, column) in [
            (DUE_DOWN, "unpublish_at"),
            (WENT_LIVE, "published_at"),
            (NEXT_SCHEDULED, "published_at"),
            (NEXT_SCHEDULED, "unpublish_at"),
        ] {
            let sql = sql.replace('$', "?");
            let mut plan = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("plan");
            let unbound = std::iter::repeat_n(rusqlite::types::Null, plan.parameter_count());
            let steps: Vec<String> = plan
                .query_map(rusqlite::params_from_iter(unbound), |row| {
                    row.get::<_, String>(3)
                })
                .expect("steps")
                .collect::<rusqlite::Result<_>>()
                .expect("read plan");
            assert!(
                steps
                    .iter()
                    .any(|s| s.starts_with("SEARCH articles") && s.contains(&format!("{column}>"))),
                "{sql}: {steps:?}"
            );
        }
    }
}
