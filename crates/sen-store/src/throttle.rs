//! Sign-in throttling, in the database so that it holds across nodes: failures are counted per
//! account and per client address; after [`MAX_FAILURES`] within [`FAILURE_WINDOW`] further
//! attempts are refused until the window that began with the first failure is over.

use std::net::IpAddr;

use sen_core::{accounts::address_key, format::utc_seconds};
use time::{Duration, OffsetDateTime};

use crate::{
    Result, Store,
    db::{Tx, on_db},
};

pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

/// The account's key: the username as typed, lower-cased and cut short (an unknown or malformed
/// name is counted too, so spraying names still adds up per address).
pub(crate) fn account_key(username: &str) -> String {
    let name: String = username.trim().to_lowercase().chars().take(64).collect();
    format!("user:{name}")
}

pub(crate) fn address_key_of(client: Option<IpAddr>) -> Option<String> {
    client.map(|ip| format!("address:{}", address_key(ip)))
}

fn keys(username: &str, client: Option<IpAddr>) -> (String, Option<String>) {
    (account_key(username), address_key_of(client))
}

/// Counts one failure under `key`. One statement, so two nodes counting at once both count: the
/// row starts a window at the first failure, and a failure after the window starts a new one.
pub(crate) async fn count_failure(tx: &mut Tx, key: &str, now: OffsetDateTime) -> Result<()> {
    let now = utc_seconds(now);
    on_db!(tx, tx c => {
        sqlx::query(
            "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END, \
             window_start = CASE WHEN login_failures.window_start <= $3 THEN excluded.window_start \
             ELSE login_failures.window_start END",
        )
        .bind(key).bind(now).bind(now - FAILURE_WINDOW)
        .execute(c)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Forgets the failures under `key` (a successful sign-in clears its account's).
pub(crate) async fn clear(tx: &mut Tx, key: &str) -> Result<()> {
    on_db!(tx, tx c => {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

impl Store {
    /// How long a sign-in as `username` from `client` must wait (for `Retry-After`, whole seconds,
    /// at least one); `None` when it may be tried now.
    pub async fn sign_in_wait(
        &self,
        username: &str,
        client: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<Option<Duration>> {
        let now = utc_seconds(now);
        let (account, address) = keys(username, client);
        let rows: Vec<(i64, OffsetDateTime)> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT failures, window_start FROM login_failures WHERE key = $1 OR key = $2",
            )
            .bind(&account).bind(&address)
            .fetch_all(p)
            .await
        })?;
        Ok(rows
            .into_iter()
            .filter(|(failures, _)| *failures >= MAX_FAILURES)
            .map(|(_, start)| start + FAILURE_WINDOW - now)
            .filter(|wait| wait.is_positive())
            .max()
            .map(|wait| wait.max(Duration::SECOND)))
    }

    /// Drops counts whose window is over.
    pub async fn prune_login_failures(&self, now: OffsetDateTime) -> Result<u64> {
        let done = on_db!(self, write p => {
            sqlx::query("DELETE FROM login_failures WHERE window_start <= $1")
                .bind(utc_seconds(now) - FAILURE_WINDOW)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done)
    }
}
