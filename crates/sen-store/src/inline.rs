//! Point reads on SQLite made on the calling thread.
//!
//! sqlx's SQLite driver runs every query on a worker thread of its connection and hands the rows back:
//! two context switches and a spawned task per query, several times the cost of a primary-key lookup in a
//! warm database. The one read a reader's page needs (an article with its tags) goes through here instead.
//! The connections are read-only; in WAL mode a reader never waits for the writer, so the call is as
//! short as the lookup. Everything else, and every write, stays on sqlx.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// How many idle connections are kept; a burst beyond it opens and closes extra ones.
const KEEP_IDLE: usize = 8;

pub(crate) struct InlineReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReader {
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(StoreError::Inline)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::Inline)?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(conn)
    }

    /// Runs `read` on an idle connection (opened when none is idle).
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let idle = self.idle.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = read(&conn);
        let mut idle = self.idle.lock();
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
        result.map_err(StoreError::Inline)
    }
}
