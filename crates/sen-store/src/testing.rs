//! Test databases: every storage and HTTP test runs once on SQLite and once on PostgreSQL.
//!
//! PostgreSQL is reached at `SEN_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! each test gets a database of its own, made from that server.

use std::sync::atomic::{AtomicU64, Ordering};

use sen_core::Change;

use crate::{Backend, Store, db::Tx, outbox::append_change};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The server URL tests use for PostgreSQL.
pub fn postgres_admin_url() -> String {
    std::env::var("SEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn unique_name() -> String {
    let pid = std::process::id();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("sen_t_{pid}_{n}_{nanos}")
}

/// A fresh, migrated, empty database URL of the given kind.
pub async fn fresh_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("sen-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!(
                "sqlite://{}",
                dir.join(format!("{}.db", unique_name())).display()
            )
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = unique_name();
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("PostgreSQL for tests");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin);
            format!("{base}/{name}")
        }
    }
}

/// Connects to `url` (without migrating), giving up on a connection after `acquire_timeout`.
pub async fn connect(url: &str, acquire_timeout: std::time::Duration) -> crate::Result<Store> {
    Store::connect_with(url, acquire_timeout).await
}

/// A write transaction that has appended a change, as every write does last, and stays open until
/// [`HeldChange::commit`]: for tests of what followers see while writes commit out of order.
pub struct HeldChange(Tx);

impl HeldChange {
    pub async fn commit(self) -> crate::Result<()> {
        self.0.commit().await
    }
}

/// Opens a write transaction on `store` and appends `change` to the outbox in it.
pub async fn hold_change(store: &Store, change: &Change) -> crate::Result<HeldChange> {
    let mut tx = store.begin().await?;
    append_change(&mut tx, change).await?;
    Ok(HeldChange(tx))
}

/// Applies the migrations up to `version` only: for tests of a later migration on older data.
pub async fn migrate_to(store: &Store, version: i64) -> crate::Result<()> {
    store.migrate_to(version).await
}

/// Runs one SQL statement on the store's writer, for tests that need rows the store would not write.
pub async fn execute(store: &Store, sql: &str) -> crate::Result<u64> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    Ok(crate::db::on_db!(store, write p => {
        sqlx::query(sql).execute(p).await.map(|done| done.rows_affected())
    })?)
}

/// Rows whose foreign key points nowhere.
pub async fn foreign_key_violations(store: &Store) -> crate::Result<usize> {
    store.foreign_key_violations().await
}

/// A fresh, migrated store of the given kind.
pub async fn store(backend: Backend) -> Store {
    Store::open(&fresh_url(backend).await)
        .await
        .expect("open test store")
}

/// Defines `#[tokio::test]`s named `<name>_sqlite` and `<name>_postgres` running one async body
/// `|backend: Backend| async { … }`.
#[macro_export]
macro_rules! dual_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::Backend::Postgres).await
            }
        }
    };
}

/// Another connection holding the database's locks, as a maintenance job or a stuck session
/// would: on SQLite an exclusive transaction (in WAL mode readers go on, writers are locked out);
/// on PostgreSQL an ACCESS EXCLUSIVE lock on the tables pages and counts read and write.
pub enum DatabaseLock {
    Sqlite(rusqlite::Connection),
    Postgres(sqlx::PgConnection),
}

/// Takes the locks of [`DatabaseLock`] on the database at `url`, held until [`DatabaseLock::release`].
pub async fn lock_database(url: &str) -> crate::Result<DatabaseLock> {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
        let conn = rusqlite::Connection::open(options.get_filename())?;
        conn.execute_batch("BEGIN EXCLUSIVE")?;
        Ok(DatabaseLock::Sqlite(conn))
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::raw_sql(
            "BEGIN; LOCK TABLE articles, article_views_daily, visit_days, outbox IN ACCESS EXCLUSIVE MODE",
        )
        .execute(&mut conn)
        .await?;
        Ok(DatabaseLock::Postgres(conn))
    }
}

impl DatabaseLock {
    pub async fn release(self) -> crate::Result<()> {
        use sqlx::Connection as _;
        match self {
            Self::Sqlite(conn) => conn.execute_batch("ROLLBACK")?,
            Self::Postgres(mut conn) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut conn).await?;
                conn.close().await?;
            }
        }
        Ok(())
    }
}

/// Makes a SQLite store's disk full, as far as its writes can tell: the file may not grow past
/// its size (`max_page_count`), and every flush of counts and every write's outbox row first
/// add a megabyte, so they fail with SQLite's own `SQLITE_FULL`. On the one writer connection.
pub async fn fill_disk(store: &Store) -> crate::Result<()> {
    for sql in [
        "CREATE TABLE IF NOT EXISTS sen_test_filler (b BLOB)",
        "CREATE TEMP TRIGGER sen_test_full_views BEFORE UPDATE ON main.articles \
         BEGIN INSERT INTO sen_test_filler VALUES (zeroblob(1000000)); END",
        "CREATE TEMP TRIGGER sen_test_full_outbox BEFORE INSERT ON main.outbox \
         BEGIN INSERT INTO sen_test_filler VALUES (zeroblob(1000000)); END",
        // Clamped to the file's current size.
        "PRAGMA max_page_count = 1",
    ] {
        execute(store, sql).await?;
    }
    Ok(())
}

/// Undoes [`fill_disk`]: room on the disk again.
pub async fn free_disk(store: &Store) -> crate::Result<()> {
    for sql in [
        "DROP TRIGGER temp.sen_test_full_views",
        "DROP TRIGGER temp.sen_test_full_outbox",
        "PRAGMA max_page_count = 4294967294",
    ] {
        execute(store, sql).await?;
    }
    Ok(())
}
