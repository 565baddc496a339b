//! What operators ask of a node: health for the load balancer, metrics for Prometheus.

use std::sync::atomic::Ordering;

use axum::{
    Extension,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{app::App, identity::ClientAddr};

pub async fn healthz(State(app): State<App>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            // Polled by load balancers: the outage itself is logged once by the read side.
            tracing::debug!(error = %err, "health check: database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn metrics(State(app): State<App>, client: Option<Extension<ClientAddr>>) -> Response {
    let allowed = app.metrics_allowed(client.and_then(|c| c.0.0));
    if !allowed {
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    let c = &app.read.cache;
    let gauges = [
        (
            "sen_page_cache_hits_total",
            "Pages served from the cache.",
            c.hits.load(Ordering::Relaxed) as f64,
        ),
        (
            "sen_page_cache_misses_total",
            "Pages rendered because the cache had none.",
            c.misses.load(Ordering::Relaxed) as f64,
        ),
        (
            "sen_page_cache_bytes",
            "Memory held by cached pages.",
            c.bytes() as f64,
        ),
        (
            "sen_page_cache_pages",
            "Pages in the cache.",
            c.len() as f64,
        ),
        (
            "sen_views_pending",
            "Article views counted but not yet booked (waiting or in a flush).",
            app.read.views.unbooked() as f64,
        ),
        (
            "sen_visits_pending",
            "Visits counted but not yet flushed.",
            app.read.visitors.pending_visits() as f64,
        ),
        (
            "sen_log_lines_dropped_total",
            "Log lines dropped because the log writer fell behind.",
            crate::metrics::dropped_log_lines() as f64,
        ),
        (
            "sen_online_visitors",
            "Visitors seen on this node in the last 5 minutes.",
            app.read.visitors.online_here() as f64,
        ),
    ];
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(&gauges),
    )
        .into_response()
}
