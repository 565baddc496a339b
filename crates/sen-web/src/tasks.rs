//! Background work of a node: booking counted views and visits, following the outbox, bringing
//! scheduled articles into cached pages on time, keeping the visit figures current, pruning ended
//! sessions, old sign-in failures and audit entries past their retention. Nothing here runs
//! inside a reader's request.

use std::{sync::atomic::Ordering, time::Instant};

use sen_core::{Change, format};
use sen_store::{AUDIT_RETENTION, Backend, Booking};
use time::OffsetDateTime;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    app::App,
    read::{
        health::Probe,
        live::{ONLINE_WINDOW_SECS, VISIT_GAP_SECS},
    },
};

/// How many served articles a tick re-reads to pick up views counted by other nodes.
const REFRESH_LIMIT: usize = 500;

/// How often ended sessions, old sign-in failures and expired audit entries are pruned (and once
/// at start). Every node does it: the deletes are idempotent and cheap.
const ACCOUNT_PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

impl App {
    /// Books what was counted in memory, in one transaction, with the visitors and marked views
    /// that let the store settle what another node already booked. Safe to call at any time.
    pub async fn flush(&self) {
        let started = Instant::now();
        let read = &self.read;
        let views = read.views.take_pending();
        let (visitors, unmarked_visits) = read.visitors.take_reports();
        // Shown until booked (or found to be another node's).
        let counted_visits = read.visitors.take_visits();
        read.figures
            .in_flight
            .fetch_add(counted_visits, Ordering::Relaxed);
        let booking = Booking {
            day: format::day_key(OffsetDateTime::now_utc()),
            views,
            visitors,
            unmarked_visits,
        };
        let result = self.store.flush_counts(&booking).await;
        let ok = result.is_ok();
        let busy = !booking.views.is_empty() || counted_visits > 0;
        // Whether the store was asked at all: only then does the flush say how the database is.
        let asked = busy || !booking.visitors.is_empty() || booking.unmarked_visits > 0;
        let health = &read.health;
        match result {
            Ok(booked) => {
                if asked {
                    health.answered(Probe::Flush);
                }
                read.views.flushed(&booking.views, &booked.totals);
                for figure in [&read.figures.today, &read.figures.week, &read.figures.all] {
                    figure.fetch_add(booked.visits, Ordering::Relaxed);
                }
                if booked.duplicate_views > 0 || booked.duplicate_visits > 0 {
                    tracing::debug!(
                        views = booked.duplicate_views,
                        visits = booked.duplicate_visits,
                        "counted on another node too; booked once"
                    );
                }
            }
            Err(err) => {
                // Counts wait in memory until it books.
                if !health.failed(Probe::Flush, &err) {
                    tracing::warn!(error = %err, views = booking.views.len(), visits = counted_visits, "flush failed; counts kept for the next one");
                }
                read.views.failed(booking.views);
                read.visitors
                    .restore_reports(booking.visitors, booking.unmarked_visits);
                read.visitors.restore_visits(counted_visits);
            }
        }
        read.figures
            .in_flight
            .fetch_sub(counted_visits, Ordering::Relaxed);
        if busy {
            self.metrics.flushed(started.elapsed(), ok);
        }
    }

    /// Re-reads the visit figures and the visitors online (all nodes add to them).
    pub async fn refresh_figures(&self) {
        let now = OffsetDateTime::now_utc();
        // This node's own count, shown until the shared one catches up with a new visitor.
        self.read.visitors.sweep(self.read.now_secs());
        let base = match self.read.chrome().await {
            Ok(chrome) => chrome.site.visits_base,
            Err(_) => 0,
        };
        match self
            .store
            .visit_totals(&format::day_key(now), &format::week_start_key(now))
            .await
        {
            Ok(t) => {
                self.read.health.answered(Probe::Figures);
                self.read.figures.today.store(t.today, Ordering::Relaxed);
                self.read.figures.week.store(t.week, Ordering::Relaxed);
                self.read.figures.all.store(base + t.all, Ordering::Relaxed);
            }
            Err(err) if self.read.health.failed(Probe::Figures, &err) => {}
            Err(err) => tracing::warn!(error = %err, "reading visit figures failed"),
        }
        // Each visitor once, over all nodes: the shared record the bookings keep.
        let since = self.read.unix_now() - ONLINE_WINDOW_SECS as i64;
        match self.store.online_visitors(since).await {
            Ok(n) => {
                self.read.health.answered(Probe::Online);
                self.read
                    .figures
                    .online_all_nodes
                    .store(n, Ordering::Relaxed)
            }
            Err(err) if self.read.health.failed(Probe::Online, &err) => {}
            Err(err) => tracing::warn!(error = %err, "counting online visitors failed"),
        }
        // Views other nodes counted reach this node's cached pages here (on SQLite this node
        // books every view itself).
        if self.store.backend() == Backend::Postgres {
            let since = self.read.now_secs().saturating_sub(300);
            let ids = self.read.views.served_since(since, REFRESH_LIMIT);
            if let Ok(stored) = self.store.article_views(&ids).await {
                for (id, views) in stored {
                    self.read.views.observe(id, views);
                }
            }
        }
    }

    /// Forgets shared visitor marks no repeat can match any more.
    pub async fn prune_visitor_marks(&self) {
        let before = self.read.unix_now() - VISIT_GAP_SECS as i64 - 60;
        if let Err(err) = self.store.prune_visitor_marks(before).await {
            tracing::warn!(error = %err, "pruning visitor marks failed");
        }
    }

    /// Deletes sessions past their time-outs, sign-in failures outside the throttling window and
    /// audit entries past [`AUDIT_RETENTION`]. A failure is logged and tried again next time.
    pub async fn prune_accounts(&self) {
        let now = OffsetDateTime::now_utc();
        let store = &self.store;
        let results = [
            ("sessions", store.prune_sessions(now).await),
            ("sign-in failures", store.prune_login_failures(now).await),
            (
                "audit entries",
                store.prune_audit_log(now - AUDIT_RETENTION).await,
            ),
        ];
        for (what, result) in results {
            match result {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "pruned old {what}"),
                Err(err) => tracing::warn!(error = %err, "pruning old {what} failed"),
            }
        }
    }

    /// Drops the cached pages that should now show articles whose publication time came after
    /// `since`: no change event reports a scheduled time arriving, so each node watches its own
    /// catalogue. Returns the moment checked up to.
    pub async fn release_due(&self, since: OffsetDateTime) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        let due = match self.read.lists().await {
            Ok(lists) => lists.coming_due(since, now),
            Err(err) => {
                tracing::warn!(error = %err, "reading the catalogue failed");
                return since;
            }
        };
        for article in due {
            self.read.cache.apply(&Change::Article {
                id: article.id,
                categories: vec![article.category_id],
                tags: article.tag_ids.clone(),
            });
        }
        now
    }

    /// Applies changes other nodes (and this one) wrote to the outbox since `after`.
    pub async fn follow(&self, after: i64) -> i64 {
        match self.store.changes_after(after, 500).await {
            Ok(entries) => {
                self.read.health.answered(Probe::Outbox);
                let mut last = after;
                for entry in entries {
                    self.read.apply_change(&entry.change);
                    last = entry.id;
                }
                last
            }
            Err(err) => {
                if !self.read.health.failed(Probe::Outbox, &err) {
                    tracing::warn!(error = %err, "reading the outbox failed");
                }
                after
            }
        }
    }
}

/// The scheduler's lease: held for this long, renewed every [`SCHEDULE_EVERY`]; when its node
/// dies another takes over within it.
const SCHEDULER_LEASE: time::Duration = time::Duration::seconds(5);
const SCHEDULE_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
const SCHEDULER: &str = "scheduler";

impl App {
    /// One turn of the scheduler: if this node holds (or takes) the lease, publish and unpublish
    /// what is due. Returns whether it held the lease.
    pub async fn schedule_turn(&self, holder: &str, held: bool) -> bool {
        let holds = match self
            .store
            .try_lease(SCHEDULER, holder, SCHEDULER_LEASE)
            .await
        {
            Ok(holds) => holds,
            Err(err) => {
                tracing::debug!(error = %err, "the scheduler's lease could not be renewed");
                return false;
            }
        };
        if holds != held {
            tracing::info!(holder, holds, "scheduler lease");
        }
        if !holds {
            return false;
        }
        match self.store.run_schedule(OffsetDateTime::now_utc()).await {
            Ok(run) => {
                for id in &run.published {
                    tracing::info!(article = id, "scheduled article published");
                }
                for id in &run.unpublished {
                    tracing::info!(article = id, "scheduled article unpublished");
                }
            }
            Err(err) => tracing::warn!(error = %err, "the scheduler's run failed"),
        }
        true
    }
}

/// The running background tasks of a node.
pub struct Tasks {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
    app: App,
}

impl Tasks {
    pub async fn start(app: &App) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut handles = Vec::new();

        let ticker = app.clone();
        let mut rx = stopped.clone();
        handles.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(ticker.config.flush_interval);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_refresh = Instant::now();
            let mut last_prune = Instant::now();
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = rx.changed() => break,
                }
                ticker.flush().await;
                if last_refresh.elapsed() >= std::time::Duration::from_secs(1) {
                    ticker.refresh_figures().await;
                    last_refresh = Instant::now();
                }
                if last_prune.elapsed() >= std::time::Duration::from_secs(60) {
                    ticker.prune_visitor_marks().await;
                    last_prune = Instant::now();
                }
            }
        }));

        let follower = app.clone();
        let stopped_pruner = stopped.clone();
        let mut rx = stopped;
        let mut last = app.start_position;
        handles.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(follower.config.follow_interval);
            let mut pruned = Instant::now();
            let mut released = OffsetDateTime::now_utc();
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = rx.changed() => break,
                }
                last = follower.follow(last).await;
                released = follower.release_due(released).await;
                if pruned.elapsed() >= std::time::Duration::from_secs(3600) {
                    let before = OffsetDateTime::now_utc() - time::Duration::days(7);
                    if let Err(err) = follower.store.prune_changes(before).await {
                        tracing::warn!(error = %err, "pruning the outbox failed");
                    }
                    pruned = Instant::now();
                }
            }
        }));

        // Files still held in the database move to the media storage; variants that a stop
        // interrupted are made.
        let mover = app.clone();
        handles.push(tokio::spawn(async move {
            match crate::library::move_legacy(&mover.store, &mover.library).await {
                Ok(0) => {}
                Ok(moved) => tracing::info!(moved, "files moved from the database to the media storage"),
                Err(err) => tracing::warn!(error = %err.message, "moving files to the media storage stopped; it goes on at the next start"),
            }
            if let Err(err) = mover.store.fill_media_search().await {
                tracing::warn!(error = %err, "the library's search text could not be filled");
            }
            match mover.store.pending_variants().await {
                Ok(keys) => {
                    for key in keys {
                        crate::library::spawn_variants(mover.store.clone(), mover.library.clone(), key);
                    }
                }
                Err(err) => tracing::warn!(error = %err, "images waiting for variants could not be listed"),
            }
        }));

        // One node of the cluster publishes and unpublishes at the set times: the lease's holder.
        let scheduler = app.clone();
        let holder = format!(
            "{}:{}:{}",
            app.config.node_id,
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        );
        let mut rx = stopped_pruner.clone();
        handles.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(SCHEDULE_EVERY);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut held = false;
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = rx.changed() => break,
                }
                held = scheduler.schedule_turn(&holder, held).await;
            }
            if held && let Err(err) = scheduler.store.release_lease(SCHEDULER, &holder).await {
                tracing::debug!(error = %err, "the scheduler's lease was not released");
            }
        }));

        let pruner = app.clone();
        let mut rx = stopped_pruner;
        handles.push(tokio::spawn(async move {
            // The first tick is at once: a node that restarts often still prunes.
            let mut interval = tokio::time::interval(ACCOUNT_PRUNE_EVERY);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = rx.changed() => break,
                }
                pruner.prune_accounts().await;
            }
        }));
        Self {
            stop,
            handles,
            app: app.clone(),
        }
    }

    /// Stops the tasks and books everything still in memory.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
        self.app.flush().await;
        let pending = self.app.read.views.pending() + self.app.read.visitors.pending_visits();
        if pending > 0 {
            // One more try: a failed flush put its counts back.
            self.app.flush().await;
        }
        tracing::info!(
            views_left = self.app.read.views.unbooked(),
            "counts flushed"
        );
    }
}
