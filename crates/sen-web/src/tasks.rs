//! Background work of a node: booking counted views and visits, following the outbox, bringing
//! scheduled articles into cached pages on time, keeping the visit figures current. Nothing here runs inside a reader's request.

use std::{sync::atomic::Ordering, time::Instant};

use sen_core::{Change, format};
use sen_store::Backend;
use time::OffsetDateTime;
use tokio::{sync::watch, task::JoinHandle};

use crate::{app::App, read::health::Probe};

/// How many served articles a tick re-reads to pick up views counted by other nodes.
const REFRESH_LIMIT: usize = 500;

impl App {
    /// Books what was counted in memory, in one transaction. Safe to call at any time.
    pub async fn flush(&self) {
        let started = Instant::now();
        let batch = self.read.views.take_pending();
        let visits = self.read.visitors.take_visits();
        self.read
            .figures
            .in_flight
            .fetch_add(visits, Ordering::Relaxed);
        let day = format::day_key(OffsetDateTime::now_utc());
        let result = self.store.flush_counts(&batch, visits, &day).await;
        let ok = result.is_ok();
        let health = &self.read.health;
        match result {
            Ok(totals) => {
                if !batch.is_empty() || visits > 0 {
                    health.answered(Probe::Flush);
                }
                self.read.views.flushed(&batch, &totals);
                for figure in [
                    &self.read.figures.today,
                    &self.read.figures.week,
                    &self.read.figures.all,
                ] {
                    figure.fetch_add(visits, Ordering::Relaxed);
                }
            }
            Err(err) => {
                // Counts wait in memory (one number per article, one for visits) until it books.
                if !health.failed(Probe::Flush, &err) {
                    tracing::warn!(error = %err, views = batch.len(), visits, "flush failed; counts kept for the next one");
                }
                self.read.views.failed(&batch);
                self.read.visitors.restore_visits(visits);
            }
        }
        self.read
            .figures
            .in_flight
            .fetch_sub(visits, Ordering::Relaxed);
        if !batch.is_empty() || visits > 0 {
            self.metrics.flushed(started.elapsed(), ok);
        }
    }

    /// Re-reads the visit figures (all nodes add to them) and this node's online count.
    pub async fn refresh_figures(&self) {
        let now = OffsetDateTime::now_utc();
        let online_here = self.read.visitors.sweep(self.read.now_secs());
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
        let fresh_after = now - time::Duration::seconds(15);
        let online = i64::try_from(online_here).unwrap_or(i64::MAX);
        match self
            .store
            .report_online(&self.config.node_id, online, fresh_after)
            .await
        {
            Ok(sum) => {
                self.read.health.answered(Probe::Presence);
                self.read
                    .figures
                    .online_all_nodes
                    .store(sum, Ordering::Relaxed)
            }
            Err(err) if self.read.health.failed(Probe::Presence, &err) => {}
            Err(err) => tracing::warn!(error = %err, "reporting online visitors failed"),
        }
        // Views other nodes counted reach this node's cached pages here.
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
            }
        }));

        let follower = app.clone();
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
        if let Err(err) = self
            .app
            .store
            .leave_presence(&self.app.config.node_id)
            .await
        {
            tracing::warn!(error = %err, "leaving the online count failed");
        }
        tracing::info!(views_left = self.app.read.views.pending(), "counts flushed");
    }
}
