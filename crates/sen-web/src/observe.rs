//! What every request goes through first: the client's address, a request id, one log line, metrics by
//! route, and the security headers of every answer.

use std::{
    fmt::Write as _,
    net::{IpAddr, SocketAddr},
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, MatchedPath, Request},
    http::{HeaderMap, HeaderValue, Method, Uri, header},
    response::Response,
};

use crate::{
    app::App,
    around::Around,
    identity::{ClientAddr, client_address, forwarded_for},
};

static REQUEST_ID: AtomicU64 = AtomicU64::new(0);

/// What the default theme needs and nothing more: its own files, images from anywhere over https,
/// embedded videos from the two players the editor offers.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: https:; \
    style-src 'self'; script-src 'self'; font-src 'self'; connect-src 'self'; \
    frame-src https://www.youtube-nocookie.com https://player.vimeo.com; frame-ancestors 'self'; \
    base-uri 'self'; form-action 'self'; object-src 'none'";

/// On every request: the client address, a request id, one log line, and metrics by route.
#[derive(Clone)]
pub struct Observe(pub App);

/// What `Observe` keeps of a request for its log line and metrics.
pub struct Observed {
    started: Instant,
    route: Option<MatchedPath>,
    method: Method,
    uri: Uri,
    seq: u64,
    client: Option<IpAddr>,
}

impl Around for Observe {
    type Kept = Observed;

    fn before(&self, req: &mut Request) -> Observed {
        let started = Instant::now();
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded = forwarded_for(req.headers());
        let client = client_address(peer, forwarded.as_deref(), &self.0.config.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(client));
        Observed {
            started,
            route: req.extensions().get::<MatchedPath>().cloned(),
            method: req.method().clone(),
            uri: req.uri().clone(),
            seq: REQUEST_ID.fetch_add(1, Ordering::Relaxed),
            client,
        }
    }

    async fn after(self, seen: Observed, mut response: Response) -> Response {
        let app = self.0;
        let elapsed = seen.started.elapsed();
        let status = response.status().as_u16();
        let mut id = String::with_capacity(app.config.node_id.len() + 17);
        let _ = write!(id, "{}-{:x}", app.config.node_id, seen.seq);
        tracing::info!(target: "sen::http", id = %id, method = %seen.method, path = seen.uri.path(), status, micros = elapsed.as_micros() as u64, client = %Client(seen.client));
        app.metrics.request(
            seen.route.as_ref().map_or("unmatched", |r| r.as_str()),
            status,
            elapsed,
        );
        let headers = response.headers_mut();
        // The id's own buffer becomes the header's: no copy.
        if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from(id)) {
            headers.insert("x-request-id", value);
        }
        security_headers(headers, app.config.is_https());
        response
    }
}

/// The client's address in the log line, written without a string of its own.
struct Client(Option<IpAddr>);

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

/// Headers that keep a browser from sniffing types, leaking paths, framing the site elsewhere or
/// running anything the theme did not ship.
pub fn security_headers(headers: &mut HeaderMap, https: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A section with stricter rules (the admin) sets its own; these are the defaults.
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("SAMEORIGIN"));
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}
