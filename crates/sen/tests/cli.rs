//! The `sen` binary as an operator uses it: start-up errors, sample content, and no lost views on SIGTERM.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use sen_store::{Backend, testing};
use serde_json::Value;

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36";

fn sen() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sen"));
    cmd.env_remove("SEN_DATABASE_URL")
        .env_remove("SEN_DATA")
        .env_remove("SEN_LISTEN")
        .env("SEN_LOG", "warn");
    cmd
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sen-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn stderr_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    text
}

#[test]
fn a_bad_database_url_is_named() {
    let dir = temp_dir("badurl");
    let out = sen()
        .args(["migrate", "--data"])
        .arg(&dir)
        .args(["--database", "mysql://x@y/z"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("mysql://x@y/z"));
    let out = sen()
        .args([
            "migrate",
            "--database",
            "postgres://nobody:secret@127.0.0.1:1/none",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(
        line.contains("cannot open database postgres://nobody:***@127.0.0.1:1/none"),
        "{line}"
    );
    assert!(!line.contains("secret"));
}

#[test]
fn an_unwritable_data_directory_is_named() {
    let dir = temp_dir("file");
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    let out = sen()
        .arg("migrate")
        .arg("--data")
        .arg(file.join("data"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(
        line.contains("data directory") && line.contains("not-a-dir"),
        "{line}"
    );
}

#[test]
fn a_port_in_use_is_named() {
    let dir = temp_dir("port");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = sen()
        .args(["serve", "--no-sample", "--listen", &addr, "--data"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    let out = sen()
        .args(["serve", "--listen", "nonsense", "--data"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(stderr_line(&out).contains("nonsense"));
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut cmd = sen();
        cmd.args(["serve", "--listen", &listen]).args(args);
        Self::spawn(cmd, &listen, Stdio::null())
    }

    /// Runs a prepared `sen serve` command that should listen on `listen`.
    fn spawn(mut cmd: Command, listen: &str, stdout: Stdio) -> Self {
        let child = cmd
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn");
        let base = format!("http://{listen}");
        let started = Instant::now();
        loop {
            if let Ok(r) = reqwest::blocking_get(&format!("{base}/healthz"))
                && r == 200
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "sen did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, base }
    }

    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "clean exit: {status}");
    }
}

impl Drop for Server {
    /// A failed test doesn't leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

mod reqwest {
    //! A tiny blocking client over the async one, so the tests read plainly.
    pub use ::reqwest::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    pub fn blocking_get(url: &str) -> Result<u16> {
        runtime().block_on(async { Ok(Client::new().get(url).send().await?.status().as_u16()) })
    }

    pub fn blocking_text(url: &str, user_agent: &str) -> Result<(u16, String)> {
        runtime().block_on(async {
            let r = Client::builder()
                .user_agent(user_agent)
                .build()?
                .get(url)
                .send()
                .await?;
            let status = r.status().as_u16();
            Ok((status, r.text().await?))
        })
    }

    pub fn blocking_many(url: &str, n: usize, user_agent: &str) {
        runtime().block_on(async {
            let client = Client::builder()
                .user_agent(user_agent)
                .build()
                .expect("client");
            for _ in 0..n {
                let status = client.get(url).send().await.expect("send").status();
                assert_eq!(status, 200);
            }
        })
    }
}

fn first_article(base: &str) -> (i64, String) {
    let (_, text) = reqwest::blocking_text(&format!("{base}/api/v1/articles?per_page=1"), BROWSER)
        .expect("api");
    let v: Value = serde_json::from_str(&text).expect("json");
    let item = &v["items"][0];
    (
        item["id"].as_i64().expect("id"),
        item["url"].as_str().expect("url").to_string(),
    )
}

fn views(base: &str, id: i64) -> i64 {
    let (_, text) =
        reqwest::blocking_text(&format!("{base}/api/v1/articles/{id}"), BROWSER).expect("api");
    serde_json::from_str::<Value>(&text).expect("json")["views"]
        .as_i64()
        .expect("views")
}

fn no_view_is_lost_on_sigterm(database: Option<String>) {
    let dir = temp_dir("sigterm");
    let mut common: Vec<String> = vec!["--data".into(), dir.display().to_string()];
    if let Some(url) = &database {
        common.extend(["--database".into(), url.clone()]);
    }
    let common: Vec<&str> = common.iter().map(String::as_str).collect();
    let out = sen()
        .args(["sample", "--articles", "30"])
        .args(&common)
        .output()
        .expect("sample");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::start(&[&common[..], &["--no-sample"]].concat());
    let (id, url) = first_article(&server.base);
    reqwest::blocking_many(&url, 137, BROWSER);
    // Counted views show before any flush, and the SIGTERM right after loses none.
    assert_eq!(views(&server.base, id), 137);
    server.terminate();

    let server = Server::start(&[&common[..], &["--no-sample"]].concat());
    assert_eq!(views(&server.base, id), 137);
    server.terminate();

    let out = sen()
        .args(["sample", "--remove"])
        .args(&common)
        .output()
        .expect("remove");
    assert!(String::from_utf8_lossy(&out.stdout).contains("30 articles"));
}

#[test]
fn no_view_is_lost_on_sigterm_sqlite() {
    no_view_is_lost_on_sigterm(None);
}

#[test]
fn no_view_is_lost_on_sigterm_postgres() {
    let url = tokio::runtime::Runtime::new()
        .expect("rt")
        .block_on(testing::fresh_url(Backend::Postgres));
    no_view_is_lost_on_sigterm(Some(url));
}

#[test]
fn the_sample_portal_appears_on_first_start_on_sqlite_only() {
    let dir = temp_dir("first");
    let server = Server::start(&["--data", &dir.display().to_string()]);
    let (status, html) =
        reqwest::blocking_text(&format!("{}/", server.base), BROWSER).expect("home");
    assert_eq!(status, 200);
    assert!(html.contains("Hà Lam"), "the sample portal is served");
    let (_, api) =
        reqwest::blocking_text(&format!("{}/api/v1/articles", server.base), BROWSER).expect("api");
    let total = serde_json::from_str::<Value>(&api).expect("json")["total"]
        .as_i64()
        .expect("total");
    assert!(total >= 40);
    let (_, cats) = reqwest::blocking_text(&format!("{}/api/v1/categories", server.base), BROWSER)
        .expect("api");
    assert!(
        serde_json::from_str::<Value>(&cats).expect("json")["items"]
            .as_array()
            .expect("items")
            .len()
            >= 6
    );
    server.terminate();

    // PostgreSQL is never seeded by surprise.
    let url = tokio::runtime::Runtime::new()
        .expect("rt")
        .block_on(testing::fresh_url(Backend::Postgres));
    let server = Server::start(&["--database", &url]);
    let (_, api) =
        reqwest::blocking_text(&format!("{}/api/v1/articles", server.base), BROWSER).expect("api");
    assert_eq!(
        serde_json::from_str::<Value>(&api).expect("json")["total"],
        0
    );
    let (status, _) = reqwest::blocking_text(&format!("{}/", server.base), BROWSER).expect("home");
    assert_eq!(status, 200, "an empty portal still serves its home page");
    server.terminate();
    let server = Server::start(&["--database", &url, "--sample"]);
    let (_, api) =
        reqwest::blocking_text(&format!("{}/api/v1/articles", server.base), BROWSER).expect("api");
    assert!(
        serde_json::from_str::<Value>(&api).expect("json")["total"]
            .as_i64()
            .expect("total")
            >= 40
    );
    server.terminate();
}

#[test]
fn settings_come_from_the_file_then_the_environment_then_flags() {
    let dir = temp_dir("config");
    let from_file = format!("127.0.0.1:{}", free_port());
    std::fs::write(
        dir.join("sen.toml"),
        format!(
            "listen = \"{from_file}\"\ndata = \"{}\"\n",
            dir.join("data").display()
        ),
    )
    .expect("sen.toml");
    let mut cmd = sen();
    cmd.current_dir(&dir).args(["serve", "--no-sample"]);
    Server::spawn(cmd, &from_file, Stdio::null()).terminate();
    assert!(
        dir.join("data/sen.db").exists(),
        "the data directory came from sen.toml"
    );

    let from_env = format!("127.0.0.1:{}", free_port());
    let mut cmd = sen();
    cmd.current_dir(&dir)
        .env("SEN_LISTEN", &from_env)
        .args(["serve", "--no-sample"]);
    Server::spawn(cmd, &from_env, Stdio::null()).terminate();

    let from_flag = format!("127.0.0.1:{}", free_port());
    let mut cmd = sen();
    cmd.current_dir(&dir).env("SEN_LISTEN", &from_env).args([
        "serve",
        "--no-sample",
        "--listen",
        &from_flag,
    ]);
    Server::spawn(cmd, &from_flag, Stdio::null()).terminate();

    std::fs::write(dir.join("sen.toml"), "lisen = \"x\"\n").expect("sen.toml");
    let out = sen()
        .current_dir(&dir)
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("sen.toml"));
}

#[test]
fn json_logs_have_one_object_per_line_with_a_request_id() {
    let dir = temp_dir("json");
    let listen = format!("127.0.0.1:{}", free_port());
    let log = dir.join("log.json");
    let file = std::fs::File::create(&log).expect("log file");
    let mut cmd = sen();
    cmd.env("SEN_LOG", "info")
        .args([
            "serve",
            "--no-sample",
            "--log-format",
            "json",
            "--listen",
            &listen,
            "--data",
        ])
        .arg(dir.join("data"));
    let server = Server::spawn(cmd, &listen, Stdio::from(file));
    let base = server.base.clone();
    reqwest::blocking_text(&format!("{base}/khong-co"), BROWSER).expect("get");
    server.terminate();
    let text = std::fs::read_to_string(&log).expect("read log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["fields"]["path"] == "/khong-co")
        .expect("a line for the request");
    assert_eq!(request["fields"]["status"], 404);
    assert!(
        request["fields"]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}

/// The resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kb / 1024.0
}

/// A connection from the loopback address `from` (127.0.0.x), so attackers and other clients
/// count as different hosts.
async fn connect_from(from: &str, to: &str) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().expect("addr"))?;
    socket.connect(to.parse().expect("addr")).await
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_burst_of_endless_request_heads_leaves_memory_as_it_was() {
    // 1,000 client sockets here, as many in sen (which raises its own limit).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let dir = temp_dir("heads");
    let data = dir.display().to_string();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut cmd = sen();
    cmd.args(["serve", "--no-sample", "--listen", &listen, "--data", &data])
        .env("SEN_MAX_CONNECTIONS_PER_ADDRESS", "5000");
    let server = Server::spawn(cmd, &listen, Stdio::null());
    let pid = server.child.id();
    let addr = server.base.trim_start_matches("http://").to_string();
    for _ in 0..20 {
        assert_eq!(
            reqwest::blocking_get(&format!("{}/", server.base)).expect("get"),
            200
        );
    }
    let before = rss_mib(pid);
    let (held, after) = runtime().block_on(async {
        let (release, released) = tokio::sync::watch::channel(false);
        let mut clients = Vec::new();
        for _ in 0..1000 {
            let addr = addr.clone();
            let mut released = released.clone();
            clients.push(tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let Ok(mut s) = connect_from("127.0.0.1", &addr).await else {
                    return;
                };
                // 390 KB of one header that never ends; the server may close early.
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ").await;
                let chunk = [b'a'; 16 * 1024];
                for _ in 0..24 {
                    if s.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
                let _ = released.changed().await;
            }));
        }
        let mut held = rss_mib(pid);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(8) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            held = held.max(rss_mib(pid));
        }
        let _ = release.send(true);
        for c in clients {
            c.await.expect("join");
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        (held, rss_mib(pid))
    });
    assert!(
        held - before <= 150.0,
        "RSS {before:.0} MiB before, {held:.0} MiB while held"
    );
    assert!(
        after - before <= 50.0,
        "RSS {before:.0} MiB before, {after:.0} MiB after"
    );
    assert_eq!(
        reqwest::blocking_get(&format!("{}/healthz", server.base)).expect("get"),
        200
    );
    server.terminate();
}

#[test]
fn running_out_of_file_descriptors_does_not_stop_serving() {
    let dir = temp_dir("emfile");
    let listen = format!("127.0.0.1:{}", free_port());
    // sen under a 128-descriptor limit, with no connection bound below it: accepting hits EMFILE.
    let base = sen();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -n 128 && exec \"$0\" \"$@\""])
        .arg(base.get_program())
        .args(["serve", "--no-sample", "--listen", &listen, "--data"])
        .arg(&dir)
        .env("SEN_HEADER_TIMEOUT_SECS", "2")
        .env("SEN_MAX_CONNECTIONS_PER_ADDRESS", "5000");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let log = dir.join("log");
    let file = std::fs::File::create(&log).expect("log");
    let server = Server::spawn(cmd, &listen, Stdio::from(file));
    let answered = runtime().block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // 200 slow request heads from one address: more than sen has descriptors for.
        let mut slow = Vec::new();
        for _ in 0..200 {
            if let Ok(mut s) = connect_from("127.0.0.1", &listen).await {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: slow\r\n").await;
                slow.push(s);
            }
        }
        // Another client waits in the queue until the slow ones time out (2 s), then is served.
        let started = Instant::now();
        let status = tokio::time::timeout(Duration::from_secs(10), async {
            let mut s = connect_from("127.0.0.2", &listen).await.ok()?;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                .await
                .ok()?;
            let mut text = String::new();
            s.read_to_string(&mut text).await.ok()?;
            Some(text)
        })
        .await;
        drop(slow);
        (status, started.elapsed())
    });
    let (text, took) = answered;
    let text = text.ok().flatten().unwrap_or_default();
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "not served in {took:?}: {text:?}"
    );
    // And at once again, now that descriptors are free.
    assert_eq!(
        reqwest::blocking_get(&format!("{}/healthz", server.base)).expect("get"),
        200
    );
    server.terminate();
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("cannot accept connections"),
        "EMFILE was reached: {logged}"
    );
}

#[test]
fn the_first_start_on_sqlite_makes_an_administrator_once() {
    use std::io::Read;
    let dir = temp_dir("admin");
    let start = || {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut cmd = sen();
        cmd.args(["serve", "--listen", &listen, "--data"]).arg(&dir);
        let mut server = Server::spawn(cmd, &listen, Stdio::piped());
        let mut stdout = server.child.stdout.take().expect("stdout");
        server.terminate();
        let mut out = String::new();
        stdout.read_to_string(&mut out).expect("read stdout");
        (listen, out)
    };
    let (listen, out) = start();
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("created the administrator \"admin\" with the password: "))
        .unwrap_or_else(|| panic!("no password printed: {out}"))
        .to_string();
    assert!(
        out.contains(&format!("sign in at http://{listen}/admin/login")),
        "{out}"
    );
    let url = format!("sqlite://{}", dir.join("sen.db").display());
    let outcome = tokio::runtime::Runtime::new().expect("rt").block_on(async {
        let store = sen_store::Store::open(&url).await.expect("store");
        let attempt = sen_store::SignIn {
            username: "admin".into(),
            password,
            client: None,
            user_agent: String::new(),
        };
        let outcome = store
            .sign_in(&attempt, time::OffsetDateTime::now_utc())
            .await
            .expect("sign in");
        store.close().await;
        outcome
    });
    match outcome {
        sen_store::SignInOutcome::SignedIn(new) => {
            assert!(
                new.session.user.must_change_password,
                "a printed password is temporary"
            )
        }
        other => panic!("{other:?}"),
    }
    let (_, again) = start();
    assert!(!again.contains("administrator"), "once only: {again}");
}

/// Two nodes on one PostgreSQL: a scheduled article goes public on time on both, announced by
/// the scheduler once; when the node holding the scheduler's lease is killed, the other takes it
/// over and publishes what comes due, on time.
#[test]
fn the_scheduler_acts_once_and_another_node_takes_over() {
    use sen_core::{Actor, ArticleInput, ArticleStatus, CategoryInput};
    use sen_store::{AuditAction, AuditQuery, Store};
    use time::OffsetDateTime;

    let rt = runtime();
    let url = rt.block_on(testing::fresh_url(Backend::Postgres));
    let store = rt.block_on(Store::open(&url)).expect("store");
    let start = |node: &str| {
        let dir = temp_dir(&format!("scheduler-{node}"));
        let dir = dir.display().to_string();
        Server::start(&["--data", &dir, "--database", &url, "--node-id", node])
    };
    let mut nodes = vec![("a", start("a")), ("b", start("b"))];
    let category = rt
        .block_on(store.create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Lịch công tác".into(),
                in_menu: true,
                ..Default::default()
            },
        ))
        .expect("category");
    let schedule = |title: &str, after: time::Duration| {
        let at = sen_core::format::utc_seconds(OffsetDateTime::now_utc() + after);
        let mut input = ArticleInput::new(title, category.id);
        input.status = ArticleStatus::Published;
        input.published_at = Some(at);
        let id = rt
            .block_on(store.create_article(&Actor::CLI, input))
            .expect("article")
            .id;
        (id, at)
    };
    // The scheduler's announcements of an article: when each was written.
    let announced = |id: i64| -> Vec<OffsetDateTime> {
        rt.block_on(store.audit_log(&AuditQuery {
            action: Some(AuditAction::ArticlePublish),
            per_page: 100,
            ..Default::default()
        }))
        .expect("audit")
        .entries
        .into_iter()
        .filter(|e| e.target == format!("article:{id}") && e.actor_name == "scheduler")
        .map(|e| e.at)
        .collect()
    };
    // Waits until every live node's home page lists `title`; returns when that was.
    let shown_everywhere = |nodes: &[(&str, Server)], title: &str, by: OffsetDateTime| {
        loop {
            let shown = nodes.iter().all(|(_, server)| {
                reqwest::blocking_text(&format!("{}/", server.base), BROWSER)
                    .is_ok_and(|(_, html)| html.contains(title))
            });
            let now = OffsetDateTime::now_utc();
            if shown {
                return now;
            }
            assert!(now < by, "{title:?} not on every home page by {by}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Both home pages are cached before the time comes.
    for (_, server) in &nodes {
        assert_eq!(
            reqwest::blocking_get(&format!("{}/", server.base)).expect("home"),
            200
        );
    }

    let (first, at) = schedule("Lịch tiếp dân tháng Mười Hai", time::Duration::seconds(4));
    let shown = shown_everywhere(
        &nodes,
        "Lịch tiếp dân tháng Mười Hai",
        at + time::Duration::seconds(3),
    );
    assert!(shown >= at, "not before its time: shown {shown}, due {at}");
    std::thread::sleep(Duration::from_millis(1500));
    let runs = announced(first);
    assert_eq!(runs.len(), 1, "announced once by the two nodes: {runs:?}");
    assert!(
        runs[0] - at < time::Duration::seconds(2),
        "on time: {runs:?} for {at}"
    );

    // Kill the node holding the lease; the other takes over within the lease's 5 s.
    let holder = rt
        .block_on(store.lease_holder("scheduler"))
        .expect("lease")
        .expect("someone holds the scheduler");
    let index = nodes
        .iter()
        .position(|(name, _)| holder.starts_with(&format!("{name}:")))
        .expect("a node of ours holds it");
    let (_, mut leader) = nodes.remove(index);
    leader.child.kill().expect("kill");
    leader.child.wait().expect("wait");
    let killed = OffsetDateTime::now_utc();
    // Due before the survivor can take the lease: published as it takes over.
    let (second, _) = schedule("Thông báo nghỉ lễ", time::Duration::seconds(2));
    // Due after it has taken over: published on time.
    let (third, at_third) = schedule("Kế hoạch hội nghị tổng kết", time::Duration::seconds(8));
    shown_everywhere(
        &nodes,
        "Kế hoạch hội nghị tổng kết",
        at_third + time::Duration::seconds(3),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let taken_over = announced(second);
    assert_eq!(taken_over.len(), 1, "{taken_over:?}");
    assert!(
        taken_over[0] - killed < time::Duration::seconds(7),
        "taken over within the lease: killed {killed}, published {taken_over:?}"
    );
    let runs = announced(third);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(
        runs[0] - at_third < time::Duration::seconds(2),
        "on time: {runs:?} for {at_third}"
    );
    let survivor = rt
        .block_on(store.lease_holder("scheduler"))
        .expect("lease")
        .expect("held");
    assert!(
        survivor.starts_with(&format!("{}:", nodes[0].0)),
        "{survivor}"
    );
    for (_, server) in nodes {
        server.terminate();
    }
}

/// `sen media check`: the sample's images, moved from the database to the media directory at
/// the first start, are all there; an object nobody names is an orphan until `--fix-orphans`
/// removes it; a file the library names but the storage lost is reported.
#[test]
fn media_check_finds_orphans_and_missing_files() {
    let dir = temp_dir("media-check");
    let data = dir.display().to_string();
    let server = Server::start(&["--data", &data]);
    let started = Instant::now();
    let rt = runtime();
    let store = rt
        .block_on(sen_store::Store::open(&format!("sqlite://{}/sen.db", data)))
        .expect("store");
    // The move and the variants happen in the background after start: wait until the database
    // holds no file and the library no image waiting for its variants.
    loop {
        let legacy = rt.block_on(store.legacy_media_keys()).expect("legacy");
        let pending = rt.block_on(store.pending_variants()).expect("pending");
        let moved = rt.block_on(store.media_keys()).expect("keys");
        if legacy.is_empty() && pending.is_empty() && !moved.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the sample's images were not moved: {} in the database, {} waiting for variants",
            legacy.len(),
            pending.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server.terminate();
    let media = dir.join("media");
    // A moved cover is described by its article's title, so the article keeps saving.
    let cover = rt
        .block_on(store.media_file("sample/cover-1.jpg"))
        .expect("read")
        .expect("moved");
    assert!(
        !cover.alt.is_empty() && cover.variants_state == "done",
        "{cover:?}"
    );
    rt.block_on(store.close());
    let check = |fix: bool| {
        let mut cmd = sen();
        cmd.args(["media", "check", "--data", &data]);
        if fix {
            cmd.arg("--fix-orphans");
        }
        cmd.output().expect("check")
    };
    let out = check(false);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 missing, 0 orphans"));

    std::fs::write(media.join("la-ai.bin"), b"left behind").expect("orphan");
    let out = check(false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("orphan: la-ai.bin (11 bytes"));
    let out = check(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!media.join("la-ai.bin").exists(), "removed");

    std::fs::remove_file(media.join("sample/cover-1.jpg")).expect("lose a file");
    let out = check(false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing: sample/cover-1.jpg"));
}
