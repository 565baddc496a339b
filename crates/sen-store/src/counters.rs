use time::OffsetDateTime;

use crate::{Result, Store, articles::push_ids, db::on_db};

/// Visits booked in the store (without the site's starting total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitTotals {
    pub today: i64,
    pub week: i64,
    pub all: i64,
}

impl Store {
    /// Books views and visits counted in memory, in one transaction. Returns each article's new total.
    /// `views` are `(article_id, count)`; `day` is the Vietnamese calendar day they belong to.
    pub async fn flush_counts(
        &self,
        views: &[(i64, i64)],
        visits: i64,
        day: &str,
    ) -> Result<Vec<(i64, i64)>> {
        if views.is_empty() && visits == 0 {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let mut totals = Vec::with_capacity(views.len());
        for &(id, n) in views {
            let total: Option<(i64,)> = on_db!(&mut tx, tx c => {
                let total: Option<(i64,)> =
                    sqlx::query_as("UPDATE articles SET views = views + $2 WHERE id = $1 RETURNING views")
                        .bind(id)
                        .bind(n)
                        .fetch_optional(&mut *c)
                        .await?;
                // An article deleted meanwhile has nothing left to count.
                if total.is_some() {
                    sqlx::query(
                        "INSERT INTO article_views_daily (article_id, day, views) VALUES ($1, $2, $3) \
                         ON CONFLICT (article_id, day) DO UPDATE SET views = article_views_daily.views + excluded.views",
                    )
                    .bind(id)
                    .bind(day)
                    .bind(n)
                    .execute(&mut *c)
                    .await?;
                }
                Ok::<_, sqlx::Error>(total)
            })?;
            if let Some((total,)) = total {
                totals.push((id, total));
            }
        }
        if visits > 0 {
            on_db!(&mut tx, tx c => {
                sqlx::query(
                    "INSERT INTO visit_days (day, visits) VALUES ($1, $2) \
                     ON CONFLICT (day) DO UPDATE SET visits = visit_days.visits + excluded.visits",
                )
                .bind(day)
                .bind(visits)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            })?;
        }
        tx.commit().await?;
        Ok(totals)
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

    /// Records how many visitors this node saw in the last minutes, and returns the sum over all nodes
    /// that reported since `fresh_after`.
    pub async fn report_online(
        &self,
        node: &str,
        online: i64,
        fresh_after: OffsetDateTime,
    ) -> Result<i64> {
        on_db!(self, write p => {
            sqlx::query(
                "INSERT INTO node_presence (node_id, online, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (node_id) DO UPDATE SET online = excluded.online, updated_at = excluded.updated_at",
            )
            .bind(node)
            .bind(online)
            .bind(crate::db::now())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        let (sum,): (Option<i64>,) = on_db!(self, read p => {
            sqlx::query_as("SELECT CAST(SUM(online) AS BIGINT) FROM node_presence WHERE updated_at >= $1")
                .bind(sen_core::format::utc_seconds(fresh_after))
                .fetch_one(p)
                .await
        })?;
        Ok(sum.unwrap_or(0))
    }

    /// Forgets a stopping node's online count.
    pub async fn leave_presence(&self, node: &str) -> Result<()> {
        on_db!(self, write p => {
            sqlx::query("DELETE FROM node_presence WHERE node_id = $1").bind(node).execute(p).await.map(|_| ())
        })?;
        Ok(())
    }
}
