//! The edges of the request path, end to end on both databases: a browser's first cookie, security
//! headers, bad input, proxies, an unreachable database, a change made while a node starts, and the
//! API's OpenAPI document.

use std::time::Duration;

use crate::common::*;
use sen_core::{ArticleInput, ArticleStatus};
use sen_store::{Store, dual_test, testing};
use sen_web::WebConfig;
use serde_json::Value;

async fn json(node: &Node, path: &str) -> (u16, Value) {
    let r = client().get(node.url(path)).send().await.expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn stats(node: &Node) -> Value {
    json(node, "/api/v1/stats").await.1
}

/// The cookies an answer gave, as a browser sends them back: `sen_v=…; sen_f=…`.
fn given_cookies(answer: &reqwest::Response) -> String {
    let cookies: Vec<&str> = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    cookies.join("; ")
}

dual_test!(
    a_first_view_and_its_new_cookie_count_once,
    |backend| async move {
        let store = testing::store(backend).await;
        let ids = seed(&store).await;
        let node = Node::start(store, config()).await;
        let path = article_path(&node, ids[3]).await;
        let before = views(&node, ids[3]).await;
        let today = stats(&node).await["today"].as_i64().expect("today");
        // A request that is not counted gives no cookie: coming back with one, the browser would
        // find no visit counted for it.
        let head = client().head(node.url(&path)).send().await.expect("head");
        assert_eq!(head.status(), 200);
        assert!(head.headers().get("set-cookie").is_none());
        let first = client().get(node.url(&path)).send().await.expect("get");
        assert_eq!(first.status(), 200);
        let cookies = given_cookies(&first);
        assert!(cookies.starts_with("sen_v="), "{cookies}");
        // The same browser reloads, now with the cookies it was given.
        for _ in 0..3 {
            let again = client()
                .get(node.url(&path))
                .header("cookie", &cookies)
                .send()
                .await
                .expect("get");
            assert!(again.headers().get("set-cookie").is_none());
        }
        assert_eq!(
            views(&node, ids[3]).await,
            before + 1,
            "one browser, one view"
        );
        let after = stats(&node).await;
        assert_eq!(after["today"], today + 1, "one browser, one visit: {after}");
        assert_eq!(after["online"], 1, "one browser online: {after}");
        node.stop().await;
    }
);

/// A node that remembers 256 visitors, so that a few thousand fill its memory many times over.
async fn small_memory_node(backend: sen_store::Backend) -> (Node, Vec<i64>) {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let config = WebConfig {
        visitor_capacity: 256,
        ..config()
    };
    (Node::start(store, config).await, ids)
}

dual_test!(
    a_new_visitor_is_remembered_after_many_others,
    |backend| async move {
        let (node, ids) = small_memory_node(backend).await;
        let c = client();
        for v in 0..2_000u32 {
            c.get(node.url("/"))
                .header("cookie", format!("sen_v={:032x}", v + 1))
                .send()
                .await
                .expect("get");
        }
        let path = article_path(&node, ids[2]).await;
        let before = views(&node, ids[2]).await;
        let today = stats(&node).await["today"].as_i64().expect("today");
        for _ in 0..5 {
            c.get(node.url(&path))
                .header("cookie", format!("sen_v={:032x}", 0xfeed_u32))
                .send()
                .await
                .expect("get");
        }
        assert_eq!(
            views(&node, ids[2]).await,
            before + 1,
            "five views, one counted"
        );
        assert_eq!(stats(&node).await["today"], today + 1, "one visit");
        node.stop().await;
    }
);

dual_test!(
    requests_without_cookies_do_not_crowd_out_a_readers_views,
    |backend| async move {
        let (node, ids) = small_memory_node(backend).await;
        let c = client();
        let path = article_path(&node, ids[4]).await;
        let before = views(&node, ids[4]).await;
        let reader = format!("sen_v={:032x}", 0xbeef_u32);
        let view = |cookie: Option<&str>| {
            let mut request = c.get(node.url(&path));
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            request.send()
        };
        view(Some(&reader)).await.expect("get");
        // A flood of requests without cookies (a script that never keeps them), eight times the
        // visitors remembered: each counts, none is remembered in the reader's place.
        for _ in 0..2_000 {
            let answer = view(None).await.expect("get");
            assert!(answer.headers().get("set-cookie").is_some());
        }
        view(Some(&reader)).await.expect("get");
        assert_eq!(
            views(&node, ids[4]).await,
            before + 2_001,
            "the reader's second view within 30 minutes does not count"
        );
        node.stop().await;
    }
);

dual_test!(answers_carry_security_headers, |backend| async move {
    let store = testing::store(backend).await;
    seed(&store).await;
    let node = Node::start(store.clone(), config()).await;
    let r = client().get(node.url("/")).send().await.expect("get");
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(h["x-frame-options"], "SAMEORIGIN");
    let csp = h["content-security-policy"].to_str().expect("csp");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS on http"
    );
    assert!(!h["set-cookie"].to_str().expect("cookie").contains("Secure"));
    let api = client()
        .get(node.url("/api/v1/stats"))
        .send()
        .await
        .expect("get");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    node.stop().await;

    // Behind a proxy that terminates TLS: HSTS, and the visitor cookie only over https.
    let https = WebConfig {
        base_url: "https://portal.example".into(),
        ..config()
    };
    let node = Node::start(store, https).await;
    let r = client().get(node.url("/")).send().await.expect("get");
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .ends_with("; Secure")
    );
    node.stop().await;
});

dual_test!(bad_input_gets_a_clear_answer, |backend| async move {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let node = Node::start(store, config()).await;
    let c = client();
    // Pages: the themed page, never plain text.
    for (path, status) in [
        ("/tin/%FF.html", 400),
        ("/chuyen-muc/%C3%28", 400),
        ("/chuyen-muc/tin-tuc?page=%201", 400),
        ("/chuyen-muc/tin-tuc?page=+1", 400),
        ("/in/+1", 404),
        ("/in/01", 404),
        (&format!("/tin/a-+{}.html", ids[0]), 404),
    ] {
        let r = c.get(node.url(path)).send().await.expect("get");
        assert_eq!(r.status(), status, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/html"),
            "{path}"
        );
        let html = r.text().await.expect("text");
        assert!(html.contains("<main"), "{path} is the themed page");
    }
    // The API: JSON naming the field.
    for (path, status, code, field) in [
        (
            "/api/v1/articles?page=%201",
            400,
            "invalid_parameter",
            Some("page"),
        ),
        (
            "/api/v1/articles?per_page=+5",
            400,
            "invalid_parameter",
            Some("per_page"),
        ),
        (
            "/api/v1/articles?per_page=101",
            400,
            "invalid_parameter",
            Some("per_page"),
        ),
        ("/api/v1/articles/+1", 400, "invalid_parameter", Some("id")),
        (
            "/api/v1/articles/%FF",
            400,
            "invalid_parameter",
            Some("path"),
        ),
        ("/api/v1/articles/999999", 404, "not_found", None),
        (
            "/api/v1/articles?category=khong-co",
            404,
            "not_found",
            Some("category"),
        ),
        ("/api/v1/nope", 404, "not_found", None),
    ] {
        let (got, body) = json(&node, path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert_eq!(body["error"]["field"].as_str(), field, "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    node.stop().await;
});

dual_test!(
    head_requests_are_no_visits_and_an_empty_node_shows_no_one_online,
    |backend| async move {
        let store = testing::store(backend).await;
        seed(&store).await;
        let node = Node::start(store, config()).await;
        let start = stats(&node).await;
        assert_eq!(start["online"], 0, "nobody has come: {start}");
        for _ in 0..3 {
            let r = client().head(node.url("/")).send().await.expect("head");
            assert_eq!(r.status(), 200);
        }
        let after_head = stats(&node).await;
        assert_eq!(after_head["today"], start["today"], "HEAD is no visit");
        assert_eq!(after_head["online"], 0);
        client().get(node.url("/")).send().await.expect("get");
        let after_get = stats(&node).await;
        assert_eq!(
            after_get["today"].as_i64(),
            start["today"].as_i64().map(|n| n + 1)
        );
        assert_eq!(after_get["online"], 1);
        node.stop().await;
    }
);

dual_test!(
    forwarded_addresses_that_cant_be_read_are_nobody,
    |backend| async move {
        let store = testing::store(backend).await;
        // Loopback is the proxy here, so what it forwards decides who the client is.
        let config = WebConfig {
            trusted_proxies: vec!["127.0.0.1/32".parse().expect("net")],
            ..config()
        };
        let node = Node::start(store, config).await;
        let metrics = |forwarded: &'static str| {
            client()
                .get(node.url("/metrics"))
                .header("x-forwarded-for", forwarded)
                .send()
        };
        for forwarded in [
            "8.8.8.8:1234",
            "[2001:db8::1]:443",
            "2001:db8::1",
            "unknown",
            "",
            "junk, 127.0.0.1",
        ] {
            let r = metrics(forwarded).await.expect("get");
            assert_eq!(r.status(), 403, "{forwarded:?} is not the proxy itself");
        }
        assert_eq!(metrics("127.0.0.5").await.expect("get").status(), 200);
        node.stop().await;
    }
);

dual_test!(an_unreachable_database_answers_503, |backend| async move {
    let store = testing::store(backend).await;
    seed(&store).await;
    let node = Node::start(store.clone(), config()).await;
    assert_eq!(json(&node, "/api/v1/articles").await.0, 200);
    store.close().await;
    let r = client()
        .get(node.url("/api/v1/articles"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let health = client()
        .get(node.url("/healthz"))
        .send()
        .await
        .expect("get");
    assert_eq!(health.status(), 503);
    node.stop().await;
});

dual_test!(
    a_change_made_while_a_node_starts_reaches_it,
    |backend| async move {
        let url = testing::fresh_url(backend).await;
        let writer = Store::open(&url).await.expect("writer");
        let ids = seed(&writer).await;
        let reader = Store::open(&url).await.expect("reader");
        // The node has loaded its catalogue but follows nothing yet when another node publishes.
        let (app, listener) = Node::prepare(reader, config()).await;
        let category = writer
            .article(ids[0])
            .await
            .expect("read")
            .expect("article")
            .category_id;
        let mut input = ArticleInput::new("Đăng trong lúc nút khởi động", category);
        input.status = ArticleStatus::Published;
        input.published_at = Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(5));
        let id = writer
            .create_article(&sen_core::Actor::CLI, input)
            .await
            .expect("create")
            .id;
        let node = Node::serve(app, listener).await;
        let started = std::time::Instant::now();
        loop {
            let (_, list) = json(&node, "/api/v1/articles?per_page=5").await;
            if list["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|a| a["id"] == id)
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the node never listed an article committed while it started"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        node.stop().await;
    }
);

dual_test!(
    the_openapi_document_lists_every_api_route_and_validates,
    |backend| async move {
        let store = testing::store(backend).await;
        let ids = seed(&store).await;
        let node = Node::start(store, config()).await;
        let (status, doc) = json(&node, "/api/v1/openapi.json").await;
        assert_eq!(status, 200);
        assert!(
            doc["openapi"].as_str().expect("version").starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        let mut paths: Vec<&str> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(String::as_str)
            .collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "/api/v1/articles",
                "/api/v1/articles/{id}",
                "/api/v1/articles/{id}/revisions",
                "/api/v1/categories",
                "/api/v1/categories/{id}",
                "/api/v1/media",
                "/api/v1/media/{key}",
                "/api/v1/pages",
                "/api/v1/pages/{id}",
                "/api/v1/site",
                "/api/v1/stats"
            ]
        );
        assert_eq!(doc, serde_json::to_value(sen_web::openapi()).expect("doc"));
        // Every documented public read answers as documented (the writes and the reads that
        // need a token: web/api_writes.rs, web/api_articles.rs).
        let public = |get: &serde_json::Value| {
            get.is_object()
                && get["security"].as_array().is_none_or(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
                })
        };
        for path in paths.iter().filter(|p| public(&doc["paths"][**p]["get"])) {
            let path = path.replace("{id}", &ids[0].to_string());
            let (status, _) = json(&node, &path).await;
            assert_eq!(status, 200, "{path}");
        }
        // One file per test run: both databases' runs of this test go at once.
        let file = std::env::temp_dir().join(format!(
            "sen-openapi-{}-{backend:?}.json",
            std::process::id()
        ));
        std::fs::write(&file, doc.to_string()).expect("write");
        let checked = std::process::Command::new("openapi-spec-validator")
            .arg("--schema")
            .arg("3.1")
            .arg(&file)
            .output()
            .expect("openapi-spec-validator runs (pip install openapi-spec-validator)");
        let _ = std::fs::remove_file(&file);
        assert!(
            checked.status.success(),
            "the document validates: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        node.stop().await;
    }
);

/// Two nodes on one database, as a load balancer without affinity sees them.
async fn two_nodes(backend: sen_store::Backend) -> (Node, Node, Vec<i64>) {
    let url = testing::fresh_url(backend).await;
    let store_a = Store::open(&url).await.expect("a");
    let ids = seed(&store_a).await;
    let store_b = Store::open(&url).await.expect("b");
    let a = Node::start(
        store_a,
        WebConfig {
            node_id: "a".into(),
            ..config()
        },
    )
    .await;
    let b = Node::start(
        store_b,
        WebConfig {
            node_id: "b".into(),
            ..config()
        },
    )
    .await;
    (a, b, ids)
}

/// Waits until both nodes have booked and re-read what was counted.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

dual_test!(
    one_visitor_alternating_between_nodes_counts_once,
    |backend| async move {
        let (a, b, ids) = two_nodes(backend).await;
        let path = article_path(&a, ids[6]).await;
        let before = views(&a, ids[6]).await;
        let today = stats(&a).await["today"].as_i64().expect("today");
        let cookie = "sen_v=00000000000000000000000000c0ffee";
        for i in 0..6 {
            let node = if i % 2 == 0 { &a } else { &b };
            let r = client()
                .get(node.url(&path))
                .header("cookie", cookie)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200);
            if i == 2 {
                // Let both nodes book between the requests too.
                settle().await;
            }
        }
        settle().await;
        for node in [&a, &b] {
            assert_eq!(
                views(node, ids[6]).await,
                before + 1,
                "six views on two nodes, one counted"
            );
            let s = stats(node).await;
            assert_eq!(s["today"], today + 1, "one visit: {s}");
            assert_eq!(s["online"], 1, "one visitor online: {s}");
        }
        a.stop().await;
        b.stop().await;
    }
);

dual_test!(
    a_first_view_then_a_reload_on_another_node_counts_once,
    |backend| async move {
        let (a, b, ids) = two_nodes(backend).await;
        let path = article_path(&a, ids[7]).await;
        let before = views(&a, ids[7]).await;
        let today = stats(&a).await["today"].as_i64().expect("today");
        let first = client().get(a.url(&path)).send().await.expect("get");
        let jar = given_cookies(&first);
        assert!(jar.contains("; sen_f="), "{jar}");
        // The browser reloads; the balancer sends it to the other node.
        for _ in 0..3 {
            client()
                .get(b.url(&path))
                .header("cookie", &jar)
                .send()
                .await
                .expect("get");
        }
        settle().await;
        for node in [&a, &b] {
            assert_eq!(
                views(node, ids[7]).await,
                before + 1,
                "one browser, one view"
            );
            let s = stats(node).await;
            assert_eq!(s["today"], today + 1, "one browser, one visit: {s}");
            assert_eq!(s["online"], 1, "one browser online: {s}");
        }
        a.stop().await;
        b.stop().await;
    }
);
