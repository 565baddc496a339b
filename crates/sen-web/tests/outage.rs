//! The database away and back: PostgreSQL cut off behind a proxy, a SQLite file locked by another
//! connection, a full disk. Cached pages go on (past their time, with live values), what needs the
//! database answers 503 quickly, counts wait in memory and are booked when it returns, and the log
//! says once that it went and once that it came back.

mod common;

use std::{
    net::SocketAddr,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use common::*;
use sen_store::{Backend, Store, dual_test, testing};
use sen_web::WebConfig;
use serde_json::Value;
use tokio::{net::TcpListener, sync::watch};

/// The log lines the tests look for, as (node, message): one subscriber for the whole binary, so
/// each test names its node.
fn log_lines() -> &'static Mutex<Vec<(String, String)>> {
    static LINES: OnceLock<Mutex<Vec<(String, String)>>> = OnceLock::new();
    LINES.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let _ =
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Recorder));
        Mutex::default()
    })
}

struct Recorder;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        #[derive(Default)]
        struct Fields(String, String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "node" => self.0 = format!("{value:?}"),
                    "message" => self.1 = format!("{value:?}"),
                    _ => {}
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if !fields.0.is_empty() {
            log_lines()
                .lock()
                .expect("log lines")
                .push((fields.0, fields.1));
        }
    }
}

fn logged(node: &str, message: &str) -> usize {
    log_lines()
        .lock()
        .expect("log lines")
        .iter()
        .filter(|(n, m)| n == node && m == message)
        .count()
}

/// A TCP proxy to PostgreSQL that can be cut (new connections refused, open ones dropped) and
/// restored on the same address.
struct Proxy {
    addr: SocketAddr,
    up: watch::Sender<bool>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (up, _) = watch::channel(true);
        let state = up.clone();
        tokio::spawn(async move {
            let mut listener = Some(listener);
            let mut rx = state.subscribe();
            loop {
                let Some(open) = listener.take() else {
                    // Cut: nothing listens until restored.
                    if rx.wait_for(|up| *up).await.is_err() {
                        return;
                    }
                    listener = TcpListener::bind(addr).await.ok();
                    continue;
                };
                tokio::select! {
                    accepted = open.accept() => {
                        listener = Some(open);
                        let Ok((mut client, _)) = accepted else { continue };
                        let mut cut = state.subscribe();
                        let target = target.clone();
                        tokio::spawn(async move {
                            let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = cut.wait_for(|up| !*up) => {}
                            }
                        });
                    }
                    _ = rx.wait_for(|up| !*up) => drop(open),
                }
            }
        });
        Self { addr, up }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

/// The server's `host:port` in `url`, and `url` with it replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> (String, String) {
    let start = url.find('@').map_or("postgres://".len(), |at| at + 1);
    let end = start + url[start..].find('/').expect("database name");
    (
        url[start..end].to_string(),
        format!("{}{addr}{}", &url[..start], &url[end..]),
    )
}

/// A GET and how long it took.
async fn timed(client: &reqwest::Client, url: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let r = client.get(url).send().await.expect("get");
    let status = r.status().as_u16();
    let body = r.text().await.expect("body");
    (status, body, started.elapsed())
}

fn short_ttl(node_id: &str) -> WebConfig {
    WebConfig {
        cache_ttl: Duration::from_secs(2),
        node_id: node_id.into(),
        ..config()
    }
}

/// Waits until `check` holds, for at most `limit`; returns how long it took.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

async fn stored_views(store: &Store, id: i64) -> i64 {
    store
        .article(id)
        .await
        .expect("read")
        .expect("article")
        .views
}

/// Reads a cached article page (each GET without a cookie is a view) and two cached lists:
/// every answer a 200 within a second, the article showing every view served so far. Returns the
/// longest answer.
async fn read_cached(node: &Node, paths: &[String], served: &mut i64) -> Duration {
    let c = client();
    let mut longest = Duration::ZERO;
    for (i, path) in paths.iter().enumerate() {
        let (status, body, took) = timed(&c, &node.url(path)).await;
        assert_eq!(status, 200, "{path}");
        assert!(took < Duration::from_secs(1), "{path} took {took:?}");
        longest = longest.max(took);
        if i == 0 {
            *served += 1;
            assert_eq!(shown_views(&body), Some(*served), "live count on {path}");
        }
    }
    longest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_away_and_back() {
    let outage = Duration::from_secs(
        std::env::var("SEN_OUTAGE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(6),
    );
    log_lines();
    let url = testing::fresh_url(Backend::Postgres).await;
    let direct = Store::open(&url).await.expect("open");
    let ids = seed(&direct).await;
    let (server, _) = through(&url, "127.0.0.1:1".parse().expect("addr"));
    let proxy = Proxy::start(server).await;
    let (_, proxied) = through(&url, proxy.addr);
    let node_id = "outage-postgres";
    let store = Store::connect(&proxied).await.expect("through the proxy");
    let node = Node::start(store, short_ttl(node_id)).await;
    let cached = vec![
        article_path(&node, ids[0]).await,
        "/".to_string(),
        "/chuyen-muc/tin-tuc".to_string(),
    ];
    let uncached = article_path(&node, ids[1]).await;
    let mut served = 0;
    read_cached(&node, &cached, &mut served).await;

    proxy.cut();
    let cut = Instant::now();
    let mut checks = Vec::new();
    let mut next_check = Instant::now();
    let mut longest_cached = Duration::ZERO;
    while cut.elapsed() < outage {
        longest_cached = longest_cached.max(read_cached(&node, &cached, &mut served).await);
        if Instant::now() >= next_check {
            next_check += Duration::from_secs(2);
            let (c, base, uncached) = (client(), node.base.clone(), uncached.clone());
            checks.push(tokio::spawn(async move {
                let (status, body, page) = timed(&c, &format!("{base}{uncached}")).await;
                assert_eq!(status, 503, "an uncached article");
                assert!(body.contains("<main"), "the themed page");
                assert!(page < Duration::from_secs(2), "503 took {page:?}");
                let (status, _, health) = timed(&c, &format!("{base}/healthz")).await;
                assert_eq!(status, 503, "health");
                assert!(health < Duration::from_secs(2), "health took {health:?}");
                let (status, body, took) = timed(&c, &format!("{base}/api/v1/articles")).await;
                assert_eq!(status, 503, "the API");
                let body: Value = serde_json::from_str(&body).expect("json");
                assert_eq!(body["error"]["code"], "unavailable", "{body}");
                assert!(took < Duration::from_secs(2), "the API took {took:?}");
                [page, health, took]
            }));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // The longest uncached page, health check and API answer during the outage.
    let mut longest_503 = [Duration::ZERO; 3];
    for check in checks {
        let took = check.await.expect("checks during the outage");
        for (longest, took) in longest_503.iter_mut().zip(took) {
            *longest = (*longest).max(took);
        }
    }
    assert!(served > 10, "{served}");

    proxy.restore();
    let c = client();
    let back = within(Duration::from_secs(10), "recovery", || async {
        timed(&c, &node.url("/healthz")).await.0 == 200
            && timed(&c, &node.url(&uncached)).await.0 == 200
            && timed(&c, &node.url("/api/v1/articles")).await.0 == 200
    })
    .await;
    within(Duration::from_secs(5), "every view booked", || async {
        stored_views(&direct, ids[0]).await == served
    })
    .await;
    within(
        Duration::from_secs(5),
        "the log says it is back",
        || async { logged(node_id, "database is back") == 1 },
    )
    .await;
    assert_eq!(logged(node_id, "database unavailable"), 1);
    eprintln!(
        "outage {outage:?}: {served} views served and booked, back after {back:?}; longest \
         cached page {longest_cached:?}, longest 503 (page, health, API) {longest_503:?}"
    );
    node.stop().await;
}

dual_test!(a_locked_database, |backend| async move {
    log_lines();
    let url = testing::fresh_url(backend).await;
    let store = Store::open(&url).await.expect("open");
    let ids = seed(&store).await;
    let node_id = format!("outage-locked-{backend:?}");
    let node = Node::start(store.clone(), short_ttl(&node_id)).await;
    let cached = vec![
        article_path(&node, ids[0]).await,
        "/".to_string(),
        "/chuyen-muc/tin-tuc".to_string(),
    ];
    let uncached = article_path(&node, ids[1]).await;
    let mut served = 0;
    read_cached(&node, &cached, &mut served).await;

    let lock = testing::lock_database(&url).await.expect("lock");
    let locked = Instant::now();
    while locked.elapsed() < Duration::from_secs(4) {
        read_cached(&node, &cached, &mut served).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let (status, _, took) = timed(&client(), &node.url(&uncached)).await;
    match backend {
        // In WAL mode the lock keeps writers out, not readers.
        Backend::Sqlite => assert_eq!(status, 200),
        // Reads wait for the lock until lock_timeout.
        Backend::Postgres => assert_eq!(status, 503),
    }
    assert!(took < Duration::from_millis(2_500), "took {took:?}");
    if backend == Backend::Sqlite {
        assert_eq!(stored_views(&store, ids[0]).await, 0, "nothing booked yet");
    }
    assert!(
        node.app.read.views.unbooked() > 0,
        "the views wait in memory (or in a flush the lock holds)"
    );
    lock.release().await.expect("release");
    within(Duration::from_secs(5), "every view booked", || async {
        stored_views(&store, ids[0]).await == served
    })
    .await;
    within(
        Duration::from_secs(5),
        "the log says it is back",
        || async { logged(&node_id, "database is back") == 1 },
    )
    .await;
    assert_eq!(logged(&node_id, "database unavailable"), 1);
    node.stop().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_disk() {
    log_lines();
    let store = testing::store(Backend::Sqlite).await;
    let ids = seed(&store).await;
    let node_id = "outage-full-disk";
    let node = Node::start(store.clone(), short_ttl(node_id)).await;
    let cached = vec![article_path(&node, ids[0]).await, "/".to_string()];
    let mut served = 0;
    read_cached(&node, &cached, &mut served).await;
    testing::fill_disk(&store).await.expect("fill");
    let full = Instant::now();
    while full.elapsed() < Duration::from_secs(3) {
        read_cached(&node, &cached, &mut served).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Reads go on: a page not yet cached renders.
    let (status, _, _) = timed(&client(), &node.url(&article_path(&node, ids[1]).await)).await;
    assert_eq!(status, 200);
    assert_eq!(stored_views(&store, ids[0]).await, 0, "nothing booked yet");
    testing::free_disk(&store).await.expect("free");
    within(Duration::from_secs(5), "every view booked", || async {
        stored_views(&store, ids[0]).await == served
    })
    .await;
    within(
        Duration::from_secs(5),
        "the log says it is back",
        || async { logged(node_id, "database is back") == 1 },
    )
    .await;
    assert_eq!(logged(node_id, "database unavailable"), 1);
    node.stop().await;
}
