//! Prometheus metrics: requests and latencies by route, cache hits and misses, views waiting to be
//! flushed, flush time. Kept per node in atomics; rendered in the text exposition format.

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use parking_lot::RwLock;
// Keyed by statuses and route templates, which no client chooses: the fast hash.
use rustc_hash::FxHashMap as HashMap;

const BUCKETS_SECS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS_SECS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, bound) in BUCKETS_SECS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS_SECS.iter().enumerate() {
            let n = self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

#[derive(Default)]
struct RouteStats {
    by_status: RwLock<HashMap<u16, AtomicU64>>,
    latency: Histogram,
}

/// Log lines dropped because the log writer fell behind (the binary's logger counts them here).
static LOG_LINES_DROPPED: AtomicU64 = AtomicU64::new(0);

pub fn count_dropped_log_line() {
    LOG_LINES_DROPPED.fetch_add(1, Ordering::Relaxed);
}

pub fn dropped_log_lines() -> u64 {
    LOG_LINES_DROPPED.load(Ordering::Relaxed)
}

#[derive(Default)]
pub struct Metrics {
    routes: RwLock<HashMap<String, RouteStats>>,
    flush: Histogram,
    flush_errors: AtomicU64,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        {
            let routes = self.routes.read();
            if let Some(stats) = routes.get(route) {
                stats.record(status, elapsed);
                return;
            }
        }
        let mut routes = self.routes.write();
        routes
            .entry(route.to_string())
            .or_default()
            .record(status, elapsed);
    }

    pub fn flushed(&self, elapsed: Duration, ok: bool) {
        self.flush.observe(elapsed);
        if !ok {
            self.flush_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The exposition text; `gauges` are name, help and value of point-in-time figures.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP sen_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE sen_http_requests_total counter\n");
        let routes = self.routes.read();
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        for name in &names {
            let stats = &routes[*name];
            let by_status = stats.by_status.read();
            let mut statuses: Vec<&u16> = by_status.keys().collect();
            statuses.sort();
            for status in statuses {
                let n = by_status[status].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "sen_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(name)
                );
            }
        }
        out.push_str("# HELP sen_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE sen_http_request_duration_seconds histogram\n");
        for name in &names {
            routes[*name].latency.render(
                &mut out,
                "sen_http_request_duration_seconds",
                &format!("route=\"{}\"", escape(name)),
            );
        }
        out.push_str("# HELP sen_flush_duration_seconds Time to book counted views and visits.\n");
        out.push_str("# TYPE sen_flush_duration_seconds histogram\n");
        self.flush
            .render(&mut out, "sen_flush_duration_seconds", "");
        let _ = writeln!(
            out,
            "# HELP sen_flush_errors_total Flushes that failed and were retried."
        );
        let _ = writeln!(out, "# TYPE sen_flush_errors_total counter");
        let _ = writeln!(
            out,
            "sen_flush_errors_total {}",
            self.flush_errors.load(Ordering::Relaxed)
        );
        for (name, help, value) in gauges {
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

impl RouteStats {
    fn record(&self, status: u16, elapsed: Duration) {
        self.latency.observe(elapsed);
        {
            let by_status = self.by_status.read();
            if let Some(n) = by_status.get(&status) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.by_status
            .write()
            .entry(status)
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.request("/tin/{file}", 200, Duration::from_micros(300));
        m.request("/tin/{file}", 200, Duration::from_millis(30));
        m.request("/tin/{file}", 404, Duration::from_millis(1));
        m.flushed(Duration::from_millis(2), true);
        let text = m.render(&[("sen_views_pending", "Views not yet flushed.", 3.0)]);
        assert!(text.contains("sen_http_requests_total{route=\"/tin/{file}\",status=\"200\"} 2"));
        assert!(text.contains(
            "sen_http_request_duration_seconds_bucket{route=\"/tin/{file}\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains("sen_http_request_duration_seconds_count{route=\"/tin/{file}\"} 3"));
        assert!(text.contains("sen_flush_duration_seconds_count 1"));
        assert!(text.contains("sen_views_pending 3"));
    }
}
