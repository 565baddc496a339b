use sen_core::ValidationError;

/// What a store call can fail with. Callers decide by the variant: the input's fault (`Invalid`,
/// `Conflict`, `MissingReference`, `NotFound`), the database's absence (`Unavailable`, worth a retry
/// and a 503), or a fault of sen or its data (`Database`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The input breaks a rule; the error names the field.
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    /// Another row already has this field's value (a unique key), or what is to be deleted still
    /// holds rows (`articles`, `subcategories`).
    #[error("{}", conflict_message(.0))]
    Conflict(&'static str),
    /// A save made on an older version than the stored one (someone else saved in between).
    #[error("the article was changed meanwhile (now version {current})")]
    Stale { current: i64 },
    /// The workflow refuses the action or the edit: the actor's role, or the article's state.
    #[error("refused: {0}")]
    Refused(sen_core::workflow::Refusal),
    /// The field refers to a row that does not exist (a foreign key).
    #[error("{0} refers to something that does not exist")]
    MissingReference(&'static str),
    /// The database can't be reached or can't answer now: no connection within the timeout, a
    /// closed pool, I/O or TLS failure, a crashed worker, a server shutting down, a statement or
    /// lock wait past its limit, a file that can't be opened, is locked by another process or
    /// whose disk is full.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// Everything else: a failed query or migration, stored data that can't be read.
    #[error("database error: {0}")]
    Database(#[source] Cause),
}

/// The underlying failure of [`StoreError::Unavailable`] and [`StoreError::Database`], for logs.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error(transparent)]
    Sqlx(sqlx::Error),
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    #[error(transparent)]
    Migrate(sqlx::migrate::MigrateError),
    #[error("stored JSON could not be read: {0}")]
    Json(serde_json::Error),
    /// Work handed to a blocking thread (a password hash) failed.
    #[error("background task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The input field at fault, if the error is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(e) => Some(e.field),
            Self::Conflict(field) | Self::MissingReference(field) => Some(field),
            Self::NotFound
            | Self::Stale { .. }
            | Self::Refused(_)
            | Self::Unavailable(_)
            | Self::Database(_) => None,
        }
    }

    /// The database could not be reached; the same call may succeed later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// The database was locked: the inline reader gave up quickly rather than block its thread.
    pub(crate) fn is_busy(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(Cause::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// A write's error with its constraint violations named: a duplicate value of `unique`, or a
    /// `reference` to a row that does not exist. Neither database names the column portably
    /// (SQLite's foreign-key message names none), so the statement's caller does.
    pub(crate) fn constraint(
        err: sqlx::Error,
        unique: Option<&'static str>,
        reference: Option<&'static str>,
    ) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match (unique, reference) {
                (Some(field), _) if db.is_unique_violation() => return Self::Conflict(field),
                (_, Some(field)) if db.is_foreign_key_violation() => {
                    return Self::MissingReference(field);
                }
                _ => {}
            }
        }
        err.into()
    }

    /// An unavailable database if `unavailable`, else a database error.
    fn classified(cause: Cause, unavailable: bool) -> Self {
        if unavailable {
            Self::Unavailable(cause)
        } else {
            Self::Database(cause)
        }
    }
}

fn conflict_message(field: &str) -> String {
    match field {
        "articles" => "articles are still filed under it".into(),
        "subcategories" => "it still has subcategories".into(),
        "used" => "it is still used (see where)".into(),
        _ => format!("{field} already exists"),
    }
}

/// SQLite's primary result codes for a file that is locked by another process (past the busy
/// timeout), can't be read or written, is full, or can't be opened: all pass when the operator
/// (or the other process) is done, so the same call may succeed later.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

fn sqlite_unreachable(extended_code: i32) -> bool {
    matches!(
        extended_code & 0xff,
        SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
    )
}

fn sqlx_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // Connection exceptions, the server shutting down or refusing new connections, a
                // statement cancelled at its timeout, a lock not granted within its timeout.
                let code = pg.code();
                code.starts_with("08")
                    || matches!(
                        code,
                        "57P01" | "57P02" | "57P03" | "53300" | "57014" | "55P03"
                    )
            } else {
                // SQLite's code is its extended result code, in decimal.
                db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                    && db
                        .code()
                        .and_then(|code| code.parse().ok())
                        .is_some_and(sqlite_unreachable)
            }
        }
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let unavailable = sqlx_unreachable(&err);
        Self::classified(Cause::Sqlx(err), unavailable)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        let unavailable = matches!(
            &err,
            rusqlite::Error::SqliteFailure(e, _) if sqlite_unreachable(e.extended_code)
        );
        Self::classified(Cause::Sqlite(err), unavailable)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        let unavailable =
            matches!(&err, sqlx::migrate::MigrateError::Execute(e) if sqlx_unreachable(e));
        Self::classified(Cause::Migrate(err), unavailable)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        Self::Database(Cause::Json(err))
    }
}
