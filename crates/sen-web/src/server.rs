//! The accept loop and each connection's limits: how long a request head may take, how long a
//! connection may sit idle, how large a head may be, and how many connections there may be, in
//! all and per client address.
//!
//! Over a limit a connection is refused at once (a 503 if the socket takes it, then closed) or
//! closed by hyper (431 for an oversized head; a head that never finishes is closed after the
//! header timeout, without an answer: hyper sends none). Served clients go on being served:
//! each connection is its own task, and an accept error such as running out of file descriptors
//! only pauses accepting for a moment.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{Router, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use ipnet::IpNet;
use parking_lot::Mutex;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinSet,
};
use tower::ServiceExt;

use crate::app::App;

/// The connection limits; `Limits::default()` is what `sen serve` uses unless told otherwise.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A request head (the request line and headers) must arrive within this, from the moment the
    /// server waits for it; an idle keep-alive connection waits under the same clock.
    pub header_timeout: Duration,
    /// A connection on which no byte moved for this long is closed (after its request, if one is
    /// under way).
    pub idle_timeout: Duration,
    /// The largest request head, in bytes; larger ones get 431.
    pub max_header_bytes: usize,
    /// Open connections at most; more are refused.
    pub max_connections: usize,
    /// Open connections from one client address at most (IPv6: one /64), except from trusted
    /// proxies, which speak for many clients.
    pub max_connections_per_address: usize,
    /// On shutdown, how long requests under way may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_header_bytes: 16 * 1024,
            max_connections: 10_000,
            max_connections_per_address: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// hyper's read buffer at most (its floor is 8 KiB): room for a body's reads, and for the head limit.
const MIN_MAX_BUF: usize = 64 * 1024;
/// The answer to a connection over a limit, written if the socket takes it at once.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\
    connection: close\r\nretry-after: 1\r\n\r\n";
/// How long accepting pauses after an error such as EMFILE.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Refusals and accept errors are logged at most this often, as a count.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` under `limits` until `shutdown` resolves, then stops accepting and
/// lets requests under way finish (at most `limits.shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    app: &App,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let router = app.router();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_MAX_BUF))
        // A page goes out as its cached parts, by vectored writes, rather than copied into one
        // buffer first.
        .writev(true);
    let http = Arc::new(http);
    let counts = Arc::new(Counts::new(
        limits.max_connections,
        limits.max_connections_per_address,
        app.config.trusted_proxies.clone(),
    ));
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut refused = Tally::default();
    let mut accept_errors = Tally::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            // Reap finished connections as they end so the set stays the size of the open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match counts.admit(peer.ip()) {
                    Some(slot) => {
                        connections.spawn(connection(
                            stream,
                            peer,
                            router.clone(),
                            http.clone(),
                            limits.idle_timeout,
                            limits.header_timeout,
                            closing_rx.clone(),
                            slot,
                        ));
                    }
                    None => {
                        // Not read, not awaited: a refusal costs the server nothing more.
                        let _ = stream.try_write(REFUSAL);
                        if let Some(n) = refused.add() {
                            tracing::warn!(refused = n, open = counts.open(), "connections refused: over the connection limits");
                        }
                    }
                },
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // EMFILE and the like: the open connections go on; try again shortly.
                    if let Some(n) = accept_errors.add() {
                        tracing::error!(error = %e, errors = n, open = counts.open(), "cannot accept connections");
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the shutdown grace; closing them"
        );
    }
    connections.shutdown().await;
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One connection, driven to its end: hyper reads and answers; this watches for idleness and for
/// the server's shutdown.
#[allow(clippy::too_many_arguments)]
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    http: Arc<http1::Builder>,
    idle_timeout: Duration,
    header_timeout: Duration,
    mut closing: watch::Receiver<bool>,
    _slot: Slot,
) {
    let started = Instant::now();
    let moved = Arc::new(AtomicU64::new(0));
    let io = TokioIo::new(Watched {
        inner: stream,
        started,
        moved: moved.clone(),
    });
    let service = router.map_request(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    });
    let conn = http.serve_connection(io, TowerToHyperService::new(service));
    tokio::pin!(conn);
    let mut asked_to_close = false;
    let mut shutting_down = false;
    loop {
        let last = started + Duration::from_millis(moved.load(Ordering::Relaxed));
        // Once asked to close, a connection still stuck (a client that doesn't read its answer)
        // is given one more header timeout, then dropped.
        let wait = if asked_to_close {
            header_timeout
        } else {
            idle_timeout
        };
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            changed = closing.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                    asked_to_close = true;
                }
            }
            () = tokio::time::sleep_until((last + wait).into()) => {
                let now_last = started + Duration::from_millis(moved.load(Ordering::Relaxed));
                if now_last > last {
                    continue;
                }
                if asked_to_close {
                    tracing::debug!(%peer, "connection stuck after being asked to close; dropped");
                    return;
                }
                // Lets a request under way finish, then closes; an idle connection closes now.
                conn.as_mut().graceful_shutdown();
                asked_to_close = true;
            }
        }
    }
}

/// A socket that notes when bytes last moved, in milliseconds since the connection began.
struct Watched {
    inner: TcpStream,
    started: Instant,
    moved: Arc<AtomicU64>,
}

impl Watched {
    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.moved.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Open connections, in all and per client address.
struct Counts {
    max: usize,
    max_per_address: usize,
    trusted: Vec<IpNet>,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    /// Only addresses with an open connection are here, so the map is as large as the set of clients.
    by_address: HashMap<IpAddr, usize>,
}

impl Counts {
    fn new(max: usize, max_per_address: usize, trusted: Vec<IpNet>) -> Self {
        Self {
            max,
            max_per_address,
            trusted,
            open: Mutex::new(Open::default()),
        }
    }

    fn open(&self) -> usize {
        self.open.lock().total
    }

    /// A slot for a new connection from `ip`, or `None` when a limit is reached.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let ip = ip.to_canonical();
        // A proxy's address is many clients: only the total bounds it.
        let key = (!self.trusted.iter().any(|net| net.contains(&ip))).then(|| address_key(ip));
        let mut open = self.open.lock();
        if open.total >= self.max {
            return None;
        }
        if let Some(key) = key {
            let n = open.by_address.entry(key).or_insert(0);
            if *n >= self.max_per_address {
                return None;
            }
            *n += 1;
        }
        open.total += 1;
        Some(Slot {
            counts: self.clone(),
            key,
        })
    }

    fn release(&self, key: Option<IpAddr>) {
        let mut open = self.open.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(key) = key
            && let Some(n) = open.by_address.get_mut(&key)
        {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&key);
            }
        }
    }
}

/// What one client is counted as: its IPv4 address, or its IPv6 /64 (one subscriber's share).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

/// A connection's place in `Counts`, given back when the connection ends.
struct Slot {
    counts: Arc<Counts>,
    key: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counts.release(self.key);
    }
}

/// A count of events logged at most once per `LOG_EVERY`.
#[derive(Default)]
struct Tally {
    since_log: u64,
    logged: Option<Instant>,
}

impl Tally {
    /// Counts one; returns the count to log when it is time to log.
    fn add(&mut self) -> Option<u64> {
        self.since_log += 1;
        if self.logged.is_some_and(|at| at.elapsed() < LOG_EVERY) {
            return None;
        }
        self.logged = Some(Instant::now());
        Some(std::mem::take(&mut self.since_log))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bound_each_address_and_the_total_and_exempt_proxies() {
        let proxy: IpNet = "10.0.0.1/32".parse().expect("net");
        let counts = Arc::new(Counts::new(5, 2, vec![proxy]));
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let p: IpAddr = "10.0.0.1".parse().expect("ip");
        let a1 = counts.admit(a).expect("first");
        let _a2 = counts.admit(a).expect("second");
        assert!(counts.admit(a).is_none(), "third from one address");
        let _b1 = counts.admit(b).expect("another address");
        let _p1 = counts.admit(p).expect("proxy");
        let _p2 = counts.admit(p).expect("proxy beyond the per-address bound");
        assert!(counts.admit(p).is_none(), "the total still bounds a proxy");
        drop(a1);
        assert!(
            counts.admit(a).is_some(),
            "a closed connection frees its slot"
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let counts = Arc::new(Counts::new(10, 1, Vec::new()));
        let one: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let same: IpAddr = "2001:db8:1:2::ffff".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        let _s = counts.admit(one).expect("first");
        assert!(counts.admit(same).is_none());
        assert!(counts.admit(other).is_some());
        // An IPv4 client on a dual-stack socket counts as its IPv4 address.
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        let plain: IpAddr = "192.0.2.7".parse().expect("ip");
        let _m = counts.admit(mapped).expect("mapped");
        assert!(counts.admit(plain).is_none());
    }
}
