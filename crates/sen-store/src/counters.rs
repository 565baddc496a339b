use crate::{Result, Store, articles::push_ids, db::on_db};

/// Visits booked in the store (without the site's starting total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitTotals {
    pub today: i64,
    pub week: i64,
    pub all: i64,
}

/// Counts one node books at once, with what lets the store settle duplicates between nodes.
#[derive(Debug, Clone, Default)]
pub struct Booking {
    /// The Vietnamese calendar day (`YYYY-MM-DD`) the counts belong to.
    pub day: String,
    pub views: Vec<ArticleViews>,
    /// Every visitor this node saw since its last booking.
    pub visitors: Vec<VisitorMark>,
    /// Visits counted without a mark (the node had no room left to remember who made them).
    pub unmarked_visits: i64,
}

/// Views of one article counted by a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleViews {
    pub article_id: i64,
    /// Every view counted, marked or not.
    pub count: i64,
    /// The views by visitors with a cookie, `(visitor, unix seconds)`: each is booked only if no
    /// node booked a view of this article by that visitor in the 30 minutes before.
    pub marks: Vec<(i64, i64)>,
}

/// A visitor a node saw, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorMark {
    pub visitor: i64,
    /// When the visit began as this node knows it.
    pub visit_start: i64,
    /// A nonce for a visit this node counted: two nodes counting one in the same second can tell
    /// whose count stands.
    pub visit_id: i64,
    pub last_at: i64,
    /// This node counted a visit starting at `visit_start`; it stands if no node saw the visitor
    /// in the 30 minutes before.
    pub new_visit: bool,
    /// The address hash this visitor's cookie took over from: it no longer counts as online.
    pub replaces: Option<i64>,
}

/// What a booking stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Booked {
    /// Each article's new total.
    pub totals: Vec<(i64, i64)>,
    pub visits: i64,
    /// Views and visits another node had already booked.
    pub duplicate_views: i64,
    pub duplicate_visits: i64,
}

/// A repeat within this many seconds is the same view, or the same visit.
const SAME_WITHIN_SECS: i64 = 30 * 60;

impl Store {
    /// Books views and visits counted in memory, in one transaction, settling what another node
    /// already booked for the same visitor (rows are written in key order, so two nodes booking at
    /// once never deadlock).
    pub async fn flush_counts(&self, booking: &Booking) -> Result<Booked> {
        let mut booked = Booked::default();
        if booking.views.is_empty() && booking.visitors.is_empty() && booking.unmarked_visits == 0 {
            return Ok(booked);
        }
        let mut tx = self.begin().await?;
        // Every visitor row this booking touches, in one key order: a report's upsert, a cookie's
        // takeover of an address hash, or both. Two nodes booking at once then wait for each
        // other's rows in the same order and never deadlock.
        // The second value: when a cookie took the row over, if one did.
        let mut rows: std::collections::BTreeMap<i64, (Option<&VisitorMark>, Option<i64>)> =
            std::collections::BTreeMap::new();
        for v in &booking.visitors {
            rows.entry(v.visitor).or_default().0 = Some(v);
            if let Some(address) = v.replaces {
                let replaced = &mut rows.entry(address).or_default().1;
                *replaced = Some(replaced.map_or(v.last_at, |at| at.max(v.last_at)));
            }
        }
        let mut visits = booking.unmarked_visits;
        for (visitor, (report, replaced)) in rows {
            if let Some(v) = report {
                // A gap of over 30 minutes since anyone saw the visitor: this report's visit stands.
                let (visit_id,): (i64,) = on_db!(&mut tx, tx c => {
                    sqlx::query_as(
                        "INSERT INTO visitor_seen (visitor, visit_start, visit_id, last_at, online) \
                         VALUES ($1, $2, $3, $4, TRUE) \
                         ON CONFLICT (visitor) DO UPDATE SET \
                         visit_start = CASE WHEN visitor_seen.visit_start < 0 \
                         OR visitor_seen.last_at < excluded.visit_start - $5 \
                         THEN excluded.visit_start ELSE visitor_seen.visit_start END, \
                         visit_id = CASE WHEN visitor_seen.visit_start < 0 \
                         OR visitor_seen.last_at < excluded.visit_start - $5 \
                         THEN excluded.visit_id ELSE visitor_seen.visit_id END, \
                         last_at = CASE WHEN visitor_seen.last_at > excluded.last_at \
                         THEN visitor_seen.last_at ELSE excluded.last_at END \
                         RETURNING visit_id",
                    )
                    .bind(visitor)
                    .bind(v.visit_start)
                    .bind(v.visit_id)
                    .bind(v.last_at)
                    .bind(SAME_WITHIN_SECS)
                    .fetch_one(&mut *c)
                    .await
                })?;
                if v.new_visit {
                    if visit_id == v.visit_id {
                        visits += 1;
                    } else {
                        booked.duplicate_visits += 1;
                    }
                }
            }
            if let Some(at) = replaced {
                // The node that counted the address hash may book it after this one: a row that
                // is not there yet is kept as taken over (online FALSE, no visit yet: a negative
                // start), so that booking counts its visit but not one more visitor online.
                on_db!(&mut tx, tx c => {
                    sqlx::query(
                        "INSERT INTO visitor_seen (visitor, visit_start, visit_id, last_at, online) \
                         VALUES ($1, -1, 0, $2, FALSE) \
                         ON CONFLICT (visitor) DO UPDATE SET online = FALSE",
                    )
                    .bind(visitor)
                    .bind(at)
                    .execute(&mut *c)
                    .await
                    .map(|_| ())
                })?;
            }
        }
        let mut views = booking.views.clone();
        views.sort_unstable_by_key(|v| v.article_id);
        let mut marks: Vec<(i64, i64, i64)> = views
            .iter()
            .flat_map(|v| {
                v.marks
                    .iter()
                    .map(|(visitor, at)| (*visitor, v.article_id, *at))
            })
            .collect();
        marks.sort_unstable();
        let mut duplicates: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        for (visitor, article, at) in marks {
            let counted: Option<(i64,)> = on_db!(&mut tx, tx c => {
                sqlx::query_as(
                    "INSERT INTO view_marks (visitor, article_id, counted_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (visitor, article_id) DO UPDATE SET counted_at = excluded.counted_at \
                     WHERE view_marks.counted_at < excluded.counted_at - $4 \
                     RETURNING counted_at",
                )
                .bind(visitor)
                .bind(article)
                .bind(at)
                .bind(SAME_WITHIN_SECS)
                .fetch_optional(&mut *c)
                .await
            })?;
            if counted.is_none() {
                *duplicates.entry(article).or_default() += 1;
            }
        }
        for v in &views {
            let dup = duplicates.get(&v.article_id).copied().unwrap_or(0);
            booked.duplicate_views += dup;
            let n = v.count - dup;
            let total: Option<(i64,)> = on_db!(&mut tx, tx c => {
                let total: Option<(i64,)> =
                    sqlx::query_as("UPDATE articles SET views = views + $2 WHERE id = $1 RETURNING views")
                        .bind(v.article_id)
                        .bind(n)
                        .fetch_optional(&mut *c)
                        .await?;
                // An article deleted meanwhile has nothing left to count.
                if total.is_some() && n != 0 {
                    sqlx::query(
                        "INSERT INTO article_views_daily (article_id, day, views) VALUES ($1, $2, $3) \
                         ON CONFLICT (article_id, day) DO UPDATE SET views = article_views_daily.views + excluded.views",
                    )
                    .bind(v.article_id)
                    .bind(&booking.day)
                    .bind(n)
                    .execute(&mut *c)
                    .await?;
                }
                Ok::<_, sqlx::Error>(total)
            })?;
            if let Some((total,)) = total {
                booked.totals.push((v.article_id, total));
            }
        }
        if visits > 0 {
            on_db!(&mut tx, tx c => {
                sqlx::query(
                    "INSERT INTO visit_days (day, visits) VALUES ($1, $2) \
                     ON CONFLICT (day) DO UPDATE SET visits = visit_days.visits + excluded.visits",
                )
                .bind(&booking.day)
                .bind(visits)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            })?;
        }
        tx.commit().await?;
        booked.visits = visits;
        Ok(booked)
    }

    /// Visitors online over all nodes: seen since `since` (Unix seconds), each once.
    pub async fn online_visitors(&self, since: i64) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, read p => {
            sqlx::query_as("SELECT COUNT(*) FROM visitor_seen WHERE last_at >= $1 AND online")
                .bind(since)
                .fetch_one(p)
                .await
        })?;
        Ok(n)
    }

    /// Forgets visitors and views older than `before` (Unix seconds): no repeat can match them.
    pub async fn prune_visitor_marks(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut gone = 0;
        for sql in [
            "DELETE FROM visitor_seen WHERE last_at < $1",
            "DELETE FROM view_marks WHERE counted_at < $1",
        ] {
            gone += on_db!(&mut tx, tx c => {
                sqlx::query(sql).bind(before).execute(&mut *c).await.map(|d| d.rows_affected())
            })?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Stored view totals of the given articles.
    pub async fn article_views(&self, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        on_db!(self, read p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT id, views FROM articles WHERE 1 = 1");
            push_ids(&mut qb, "id", ids);
            qb.build_query_as().fetch_all(p).await
        })
        .map_err(Into::into)
    }

    /// Visits on `today`, since `week_start` and ever (all `YYYY-MM-DD` keys in Vietnam's calendar).
    pub async fn visit_totals(&self, today: &str, week_start: &str) -> Result<VisitTotals> {
        let (today, week, all): (Option<i64>, Option<i64>, Option<i64>) = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT CAST(SUM(CASE WHEN day = $1 THEN visits ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN day >= $2 THEN visits ELSE 0 END) AS BIGINT), CAST(SUM(visits) AS BIGINT) \
                 FROM visit_days",
            )
            .bind(today)
            .bind(week_start)
            .fetch_one(p)
            .await
        })?;
        Ok(VisitTotals {
            today: today.unwrap_or(0),
            week: week.unwrap_or(0),
            all: all.unwrap_or(0),
        })
    }
}
