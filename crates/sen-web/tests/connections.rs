//! The connection limits, end to end on a real socket with small settings: slow and oversized
//! request heads, idle connections, the connection counts, and a normal client served meanwhile.
//! The limits sit below the application, so these run on SQLite only. Attackers connect from
//! 127.0.0.1 and other clients from other loopback addresses (127.0.0.2, …), so the per-address
//! bound tells them apart as it would tell apart hosts.
//!
//! The full-size scenario (1,500 slow connections for 45 s, a 1,024 descriptor limit) is
//! `bench/connections.sh`; its figures are in docs/PERFORMANCE.md.

mod common;

use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use common::*;
use sen_store::{Backend, testing};
use sen_web::{Limits, WebConfig};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

fn limits() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(1),
        max_header_bytes: 8192,
        max_connections: 1000,
        max_connections_per_address: 100,
        shutdown_grace: Duration::from_secs(1),
    }
}

async fn node(limits: Limits, config: WebConfig) -> (Node, SocketAddr) {
    let store = testing::store(Backend::Sqlite).await;
    let (app, listener) = Node::prepare(store, config).await;
    let addr = listener.local_addr().expect("addr");
    (Node::serve_with(app, listener, limits).await, addr)
}

/// A connection from the loopback address `from` (127.0.0.x).
async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse::<IpAddr>().expect("ip"), 0))?;
    socket.connect(to).await
}

/// What the server says before closing (at most `wait`), or `None` if it says nothing in time.
async fn answer(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&buf).into_owned())
}

/// One GET of /healthz from `from` on a new connection; its status and how long it took.
async fn probe(from: &str, to: SocketAddr) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(1), async {
        let mut s = connect_from(from, to).await.ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let text = answer(&mut s, Duration::from_secs(1)).await?;
        text.split(' ').nth(1)?.parse().ok()
    })
    .await
    .ok()
    .flatten();
    (status, started.elapsed())
}

/// These tests time answers against 1 s while hundreds of clients run in the same process: one at
/// a time, so they measure the server rather than each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_heads_are_closed_and_other_clients_are_answered_within_a_second() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (node, addr) = node(limits(), config()).await;
    const SLOW: usize = 300;
    const HOLD: Duration = Duration::from_secs(6);
    // Each slow client trickles a header line every 500 ms and never ends its head; it notes
    // when the server closed it, counted from when it connected.
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        slow.push(tokio::spawn(async move {
            let Ok(mut s) = connect_from("127.0.0.1", addr).await else {
                return Some(Duration::ZERO);
            };
            let opened = Instant::now();
            if s.write_all(b"GET / HTTP/1.1\r\nHost: slow\r\n")
                .await
                .is_err()
            {
                return Some(opened.elapsed());
            }
            let mut buf = [0u8; 1024];
            let mut n = 0;
            while opened.elapsed() < HOLD {
                match tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await {
                    Ok(Ok(0) | Err(_)) => return Some(opened.elapsed()),
                    Ok(Ok(_)) => {} // a refusal's 503; the close follows
                    Err(_) => {
                        n += 1;
                        if s.write_all(format!("X-Slow-{n}: x\r\n").as_bytes())
                            .await
                            .is_err()
                        {
                            return Some(opened.elapsed());
                        }
                    }
                }
            }
            None
        }));
    }
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    while started.elapsed() < HOLD {
        let (status, took) = probe("127.0.0.2", addr).await;
        assert_eq!(
            status,
            Some(200),
            "another client after {:?}",
            started.elapsed()
        );
        worst = worst.max(took);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut closed_after = Vec::new();
    for h in slow {
        closed_after.push(h.await.expect("join"));
    }
    let still_open = closed_after.iter().filter(|c| c.is_none()).count();
    assert_eq!(still_open, 0, "slow connections the server never closed");
    let latest = closed_after
        .iter()
        .flatten()
        .max()
        .copied()
        .unwrap_or_default();
    assert!(
        latest < Duration::from_secs(4),
        "a slow head was held {latest:?} with a 2 s header timeout"
    );
    assert!(worst < Duration::from_secs(1), "slowest answer {worst:?}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_unfinished_and_idle_connections_are_closed() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (node, addr) = node(limits(), config()).await;

    // A head of exactly the limit that hasn't ended: 431, then closed.
    let mut big = connect_from("127.0.0.1", addr).await.expect("connect");
    let mut head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    head.resize(8192, b'a');
    big.write_all(&head).await.expect("write");
    let said = answer(&mut big, Duration::from_secs(3))
        .await
        .expect("closed");
    assert!(said.starts_with("HTTP/1.1 431"), "{said:?}");

    // A head that never finishes: closed after the header timeout, no sooner.
    let mut unfinished = connect_from("127.0.0.1", addr).await.expect("connect");
    unfinished
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    answer(&mut unfinished, Duration::from_secs(5))
        .await
        .expect("closed by the server");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
        "closed after {took:?} with a 2 s header timeout"
    );

    // A keep-alive connection after its answer: closed after the idle timeout.
    let mut idle = connect_from("127.0.0.1", addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    answer(&mut idle, Duration::from_secs(5))
        .await
        .expect("closed by the server");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "idle for {:?} with a 1 s idle timeout",
        started.elapsed()
    );
    assert_eq!(probe("127.0.0.2", addr).await.0, Some(200));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_counts_are_refused_and_trusted_proxies_exempt() {
    let _alone = ONE_AT_A_TIME.lock().await;
    // Long timeouts: the held connections stay open for the length of the test.
    let limits = Limits {
        header_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        max_connections: 8,
        max_connections_per_address: 3,
        ..limits()
    };
    let config = WebConfig {
        trusted_proxies: vec!["127.0.0.9/32".parse().expect("net")],
        ..config()
    };
    let (node, addr) = node(limits, config).await;

    // Three open connections from one address; the fourth is refused at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.1", addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fourth = connect_from("127.0.0.1", addr).await.expect("connect");
    let said = answer(&mut fourth, Duration::from_millis(500))
        .await
        .expect("refused at once");
    assert!(
        said.is_empty() || said.starts_with("HTTP/1.1 503"),
        "{said:?}"
    );
    // Another address is served meanwhile.
    assert_eq!(probe("127.0.0.2", addr).await.0, Some(200));

    // A trusted proxy speaks for many clients: past the per-address bound, up to the total (8).
    for _ in 0..5 {
        held.push(connect_from("127.0.0.9", addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = connect_from("127.0.0.3", addr).await.expect("connect");
    let said = answer(&mut over, Duration::from_millis(500))
        .await
        .expect("refused at once: over the total");
    assert!(
        said.is_empty() || said.starts_with("HTTP/1.1 503"),
        "{said:?}"
    );
    for s in &mut held {
        // None of the held ones was refused: each is still open, waiting for its head.
        assert!(answer(s, Duration::from_millis(50)).await.is_none());
    }
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        probe("127.0.0.3", addr).await.0,
        Some(200),
        "slots come back"
    );
    node.stop().await;
}
