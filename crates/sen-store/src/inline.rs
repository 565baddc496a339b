//! Point reads on SQLite made on the calling thread.
//!
//! sqlx's SQLite driver runs every query on a worker thread of its connection and hands the rows back:
//! two context switches and a spawned task per query, several times the cost of a primary-key lookup in a
//! warm database. The one read a reader's page needs (an article with its tags) goes through here instead.
//! The connections are read-only; in WAL mode a reader doesn't wait for the writer, so the call is as
//! short as the lookup (when the file is locked anyway, the caller falls back to sqlx). Everything
//! else, and every write, stays on sqlx.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError, error::Cause};

/// The longest an inline read blocks its thread waiting for a lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);

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
        let conn = Connection::open_with_flags(&self.path, flags)
            .map_err(|e| StoreError::Unavailable(Cause::Sqlite(e)))?;
        // A WAL reader is locked out only in rare moments (recovery, an exclusive lock); it then
        // gives up soon and the caller waits through sqlx, off this thread.
        conn.busy_timeout(BUSY_TIMEOUT)?;
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
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_cannot_be_opened_is_unavailable() {
        let reader = InlineReader::new(Path::new("/nonexistent-sen-dir/portal.db"));
        let err = reader
            .read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
            .expect_err("no file");
        assert!(err.is_unavailable(), "{err}");
    }

    #[test]
    fn a_locked_file_is_reported_busy_quickly() {
        let path = std::env::temp_dir().join(format!("sen-inline-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let writer = Connection::open(&path).expect("create");
        writer
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .expect("table");
        let reader = InlineReader::new(&path);
        let one: i64 = reader
            .read(|c| c.query_row("SELECT x FROM t", [], |r| r.get(0)))
            .expect("read");
        assert_eq!(one, 1);
        // A rollback-journal file under an exclusive lock: readers are shut out.
        writer.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        let started = std::time::Instant::now();
        let err = reader
            .read(|c| c.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0)))
            .expect_err("locked");
        assert!(err.is_busy(), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        writer.execute_batch("COMMIT").expect("unlock");
        drop(writer);
        let _ = std::fs::remove_file(&path);
    }
}
