use sen_core::{Change, format::utc_seconds};
use time::OffsetDateTime;

use crate::{
    Result, Store,
    db::{Lock, Tx, now, on_db},
};

/// Appends a change to the outbox inside the caller's transaction, so the change and the write it
/// describes commit together. It must be the transaction's last statement before the commit.
///
/// Followers read the outbox by increasing id and never look back. On PostgreSQL an id is taken at
/// insert time and transactions commit in any order, so a lower id could become visible after a
/// follower moved past it. The lock, held until commit, makes appends take their ids and commit one
/// at a time, in id order. SQLite has one writer at a time: already in order.
pub(crate) async fn append_change(tx: &mut Tx, change: &Change) -> Result<()> {
    let json = serde_json::to_string(change)?;
    tx.lock(Lock::Outbox).await?;
    on_db!(tx, tx c => {
        sqlx::query("INSERT INTO outbox (change, created_at) VALUES ($1, $2)")
            .bind(&json)
            .bind(now())
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: i64,
    pub change: Change,
}

impl Store {
    /// Changes committed after `after`, oldest first.
    pub async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<(i64, String)> = on_db!(self, read p => {
            sqlx::query_as("SELECT id, change FROM outbox WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await
        })?;
        rows.into_iter()
            .map(|(id, json)| {
                Ok(OutboxEntry {
                    id,
                    change: serde_json::from_str(&json)?,
                })
            })
            .collect()
    }

    /// The id of the newest change, or 0: where a starting node begins to follow.
    pub async fn last_change_id(&self) -> Result<i64> {
        let (id,): (Option<i64>,) = on_db!(self, read p => {
            sqlx::query_as("SELECT MAX(id) FROM outbox").fetch_one(p).await
        })?;
        Ok(id.unwrap_or(0))
    }

    /// Drops changes older than `before`; every node has long applied them.
    pub async fn prune_changes(&self, before: OffsetDateTime) -> Result<u64> {
        let done = on_db!(self, write p => {
            sqlx::query("DELETE FROM outbox WHERE created_at < $1")
                .bind(utc_seconds(before))
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done)
    }
}
