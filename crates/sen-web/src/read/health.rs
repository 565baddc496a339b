//! Whether the database answers, as the node's background work sees it. Each kind of regular call
//! (a probe) keeps how it last went; the database is away while any probe last failed as
//! unavailable. The log says so once when it goes and once when it is back, never per tick or per
//! request; pages read `reads_away` to serve what they hold without waiting on it.

use std::{
    collections::BTreeSet,
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use parking_lot::Mutex;
use sen_store::StoreError;

/// A background call made again and again (so a failure is always followed by another try).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Probe {
    /// Reading the outbox (every follow tick).
    Outbox,
    /// Reading visit figures and view totals (every second).
    Figures,
    /// Counting the visitors online (every second).
    Online,
    /// Booking counted views and visits (each tick that has some).
    Flush,
}

impl Probe {
    fn reads(self) -> bool {
        matches!(self, Self::Outbox | Self::Figures | Self::Online)
    }
}

pub struct Health {
    node: String,
    state: Mutex<State>,
    reads_away: AtomicBool,
}

#[derive(Default)]
struct State {
    failing: BTreeSet<Probe>,
    since: Option<Instant>,
}

impl Health {
    pub fn new(node: impl Into<String>) -> Self {
        Self {
            node: node.into(),
            state: Mutex::default(),
            reads_away: AtomicBool::new(false),
        }
    }

    /// The database was away at the last read a background task made.
    pub fn reads_away(&self) -> bool {
        self.reads_away.load(Ordering::Relaxed)
    }

    /// Whether any probe last failed as unavailable.
    pub fn away(&self) -> bool {
        !self.state.lock().failing.is_empty()
    }

    /// `probe` reached the database.
    pub fn answered(&self, probe: Probe) {
        let mut state = self.state.lock();
        if !state.failing.remove(&probe) {
            return;
        }
        self.reads_away
            .store(state.failing.iter().any(|p| p.reads()), Ordering::Relaxed);
        if state.failing.is_empty() {
            let away_secs = state.since.take().map_or(0, |s| s.elapsed().as_secs());
            tracing::info!(node = %self.node, away_secs, "database is back");
        }
    }

    /// `probe` failed with `err`. Returns whether that was the database's absence, which this
    /// logs once for the whole outage; any other error is the caller's to log.
    pub fn failed(&self, probe: Probe, err: &StoreError) -> bool {
        if !err.is_unavailable() {
            return false;
        }
        let mut state = self.state.lock();
        let first = state.failing.is_empty();
        state.failing.insert(probe);
        if probe.reads() {
            self.reads_away.store(true, Ordering::Relaxed);
        }
        if first {
            state.since = Some(Instant::now());
            tracing::error!(node = %self.node, ?probe, error = %err, "database unavailable");
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable() -> StoreError {
        StoreError::Unavailable(sen_store::Cause::Json(
            serde_json::from_str::<u8>("x").expect_err("not a number"),
        ))
    }

    #[test]
    fn away_until_every_failing_probe_answers() {
        let health = Health::new("n");
        assert!(health.failed(Probe::Flush, &unavailable()));
        assert!(health.away() && !health.reads_away(), "writes only");
        health.answered(Probe::Outbox);
        assert!(health.away(), "reads answering say nothing of writes");
        assert!(health.failed(Probe::Outbox, &unavailable()));
        assert!(health.reads_away());
        health.answered(Probe::Outbox);
        assert!(!health.reads_away() && health.away());
        health.answered(Probe::Flush);
        assert!(!health.away());
        assert!(!health.failed(Probe::Flush, &StoreError::NotFound));
        assert!(!health.away(), "other errors are no outage");
    }
}
