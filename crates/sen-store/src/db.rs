use std::{str::FromStr, sync::Arc, time::Duration};

use parking_lot::RwLock;
use sen_core::{Change, ErrorCode, ValidationError};
use sqlx::{
    PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{Result, StoreError, inline::InlineReader};

/// Runs one body against whichever pool the store holds; the body is type-checked once per backend.
/// `read` picks the reader pool, `write` the single-writer pool on SQLite (the same pool on PostgreSQL);
/// `tx` runs it on the connection of a [`Tx`] (given as `&mut Tx`).
macro_rules! on_db {
    ($tx:expr, tx $c:ident => $body:expr) => {
        match &mut *$tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
    ($store:expr, read $p:ident => $body:expr) => {
        match &$store.backend {
            $crate::db::Pools::Sqlite { read: $p, .. } => $body,
            $crate::db::Pools::Postgres($p) => $body,
        }
    };
    ($store:expr, write $p:ident => $body:expr) => {
        match &$store.backend {
            $crate::db::Pools::Sqlite { write: $p, .. } => $body,
            $crate::db::Pools::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_db;

#[derive(Clone)]
pub(crate) enum Pools {
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        inline: Arc<InlineReader>,
    },
    Postgres(PgPool),
}

/// A write transaction on whichever database the store holds: the functions that write inside a
/// caller's transaction take `&mut Tx` and run each statement through `on_db!(tx, tx c => …)`.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Keys of PostgreSQL transaction-level advisory locks, each serialising one kind of write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock {
    /// Appending to the outbox: see `outbox::append_change`.
    Outbox = 0x7365_6e01,
    /// Writing categories: two moves checked side by side could close a cycle, a category could
    /// get a child while its deletion checks it has none, and an audit entry's "before" must be
    /// the row its write replaced.
    CategoryTree = 0x7365_6e02,
    /// Writing the site identity: the audit entry's "before" is the row it replaced.
    Site = 0x7365_6e03,
    /// Writing static pages, for the same reason.
    Pages = 0x7365_6e04,
}

impl Tx {
    /// Holds `lock` until this transaction ends, waiting for any other holder first. SQLite needs
    /// nothing: its write transactions run one at a time (one that read what another then changed
    /// fails at its first write rather than acting on the old rows).
    pub(crate) async fn lock(&mut self, lock: Lock) -> Result<()> {
        if let Self::Postgres(t) = self {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock as i64)
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Self::Sqlite(t) => t.commit().await?,
            Self::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a query waits for a connection before the database counts as unavailable: a reader
/// hears a 503 within about a second of the database going away instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);
/// SQLite's one writer connection: writes queue behind each other (an import holds it for long) and
/// none runs inside a reader's request, so they may wait longer than reads.
const SQLITE_WRITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite statement waits for a lock held by another process before it fails (as
/// unavailable): a locked file turns into a quick 503 and counts kept in memory, not a hang.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(1);
/// PostgreSQL's limits per statement and per lock wait: a hung server or a stuck transaction can't
/// hold a request (both fail as unavailable). Migrations run without them.
const PG_STATEMENT_TIMEOUT: &str = "5s";
const PG_LOCK_TIMEOUT: &str = "2s";

type Listener = Arc<dyn Fn(&Change) + Send + Sync>;

/// The handle every part of sen uses to reach the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Pools,
    listeners: Arc<RwLock<Vec<Listener>>>,
}

impl Store {
    /// Connects to `sqlite://path` (created when missing) or `postgres://…` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, ACQUIRE_TIMEOUT).await
    }

    /// Connects, waiting at most `acquire_timeout` for a connection (then the call fails as
    /// [`StoreError::Unavailable`]).
    pub(crate) async fn connect_with(url: &str, acquire_timeout: Duration) -> Result<Self> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                // No memory-mapped reads: each connection's mapping counts every page it touched
                // in the process's memory (a full scan on four readers looked like 125 MB), and
                // reads through SQLite's own small page cache measured no slower.
                .pragma("mmap_size", "0")
                .statement_cache_capacity(256);
            // One writer connection avoids SQLITE_BUSY between our own writers.
            // A local file needs no ping before each query: that would double the thread hops.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(acquire_timeout.max(SQLITE_WRITE_ACQUIRE_TIMEOUT))
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let inline = Arc::new(InlineReader::new(options.get_filename()));
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(acquire_timeout)
                .test_before_acquire(false)
                .connect_with(options.read_only(true))
                .await?;
            Pools::Sqlite {
                read,
                write,
                inline,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?.options([
                ("statement_timeout", PG_STATEMENT_TIMEOUT),
                ("lock_timeout", PG_LOCK_TIMEOUT),
            ]);
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::Invalid(ValidationError::new(
                "database_url",
                ErrorCode::InvalidUrl,
            )));
        };
        Ok(Self {
            backend,
            listeners: Arc::default(),
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Pools::Sqlite { write, .. } => sqlx::migrate!("migrations/sqlite").run(write).await?,
            Pools::Postgres(pool) => {
                let mut conn = unlimited(pool).await?;
                let done = sqlx::migrate!("migrations/postgres").run(&mut *conn).await;
                // The connection's limits were lifted: it goes rather than back to the pool.
                conn.close().await?;
                done?;
            }
        }
        Ok(())
    }

    /// Begins a write transaction (on SQLite, on the one writer connection).
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Pools::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Pools::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.backend {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, read p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.backend {
            Pools::Sqlite { read, write, .. } => {
                write.close().await;
                read.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    /// Calls `listener` with every change this process commits, right after the commit: the local page
    /// cache then never serves a page older than a write made here. Other nodes learn of it from the outbox.
    pub fn on_change(&self, listener: impl Fn(&Change) + Send + Sync + 'static) {
        self.listeners.write().push(Arc::new(listener));
    }

    pub(crate) fn notify(&self, change: &Change) {
        let listeners = self.listeners.read().clone();
        for listener in listeners {
            listener(change);
        }
    }
}

/// A PostgreSQL connection without the statement and lock limits: a migration may rewrite a big
/// table, and a second node starting waits for the first one's migration lock.
async fn unlimited(pool: &PgPool) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET lock_timeout = 0")
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

/// Now, in UTC and whole seconds, the form of every stored time.
pub(crate) fn now() -> time::OffsetDateTime {
    sen_core::format::utc_seconds(time::OffsetDateTime::now_utc())
}

#[cfg(any(test, feature = "test-support"))]
impl Store {
    /// Applies the migrations up to `version` only.
    pub(crate) async fn migrate_to(&self, version: i64) -> Result<()> {
        match &self.backend {
            Pools::Sqlite { write, .. } => {
                sqlx::migrate!("migrations/sqlite")
                    .run_to(version, write)
                    .await?
            }
            Pools::Postgres(pool) => {
                let mut conn = unlimited(pool).await?;
                let done = sqlx::migrate!("migrations/postgres")
                    .run_to(version, &mut *conn)
                    .await;
                conn.close().await?;
                done?
            }
        }
        Ok(())
    }

    /// Rows whose foreign key points nowhere (SQLite's `foreign_key_check`; PostgreSQL has none).
    pub(crate) async fn foreign_key_violations(&self) -> Result<usize> {
        Ok(match &self.backend {
            Pools::Sqlite { write, .. } => sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(write)
                .await?
                .len(),
            Pools::Postgres(_) => 0,
        })
    }

    /// `table.column` names of the schema, for the test that both backends agree.
    pub async fn debug_columns(&self) -> Result<Vec<String>> {
        let rows: Vec<(String, String)> = match &self.backend {
            Pools::Sqlite { read, .. } => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                )
                .fetch_all(read)
                .await?
            }
            Pools::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
                )
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows.into_iter().map(|(t, c)| format!("{t}.{c}")).collect())
    }
}
