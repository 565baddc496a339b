//! The HTTP server end to end: real sockets, real databases (SQLite and PostgreSQL).

use std::{io::Read, time::Duration};

use sen_core::{Actor, ArticleInput, ArticleStatus, Site};
use sen_store::{Backend, Store, dual_test, testing};
use sen_web::WebConfig;
use serde_json::Value;

use crate::common::*;

dual_test!(public_pages_render, |backend| async move {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let node = Node::start(store, config()).await;
    let c = client();
    let home = c.get(node.url("/")).send().await.expect("home");
    assert_eq!(home.status(), 200);
    assert!(
        home.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .starts_with("sen_v=")
    );
    let html = home.text().await.expect("text");
    for needle in [
        "<html lang=\"vi\">",
        "Liên hiệp Hội Thử nghiệm",
        "Thống kê truy cập",
        "Đang online",
        "Hôm nay",
        "Trong tuần",
        "Tất cả",
        "Tiêu điểm",
        "Bài viết số 14",
        "Bà Nguyễn Thị Thử",
        "Ghi rõ nguồn khi phát hành lại.",
        "og:title",
        "/chuyen-muc/tin-tuc",
        "/trang/gioi-thieu",
    ] {
        assert!(html.contains(needle), "home lacks {needle}");
    }
    assert!(!html.contains("Bản nháp bí mật"));
    assert!(!html.contains('\u{1}'), "no live marker leaks");
    assert!(
        html.contains("1.001"),
        "the starting total plus this visit, grouped the Vietnamese way"
    );

    let path = article_path(&node, ids[3]).await;
    let page = c.get(node.url(&path)).send().await.expect("article");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-cache"], "miss");
    let html = page.text().await.expect("text");
    for needle in [
        "Bài viết số 3 về khoa học",
        "Lượt xem",
        "Minh Anh",
        "Tin cùng chuyên mục",
        "Tin liên quan",
        "og:type\" content=\"article",
        "GMT+7",
    ] {
        assert!(html.contains(needle), "article lacks {needle}");
    }
    assert!(!html.contains("<script>alert"), "editor HTML is sanitised");
    let again = c.get(node.url(&path)).send().await.expect("article");
    assert_eq!(again.headers()["x-cache"], "hit");

    for (path, status) in [
        ("/chuyen-muc/tin-tuc", 200),
        ("/chuyen-muc/tin-tuc?page=2", 200),
        ("/chuyen-muc/tin-tuc?page=3", 404),
        ("/chuyen-muc/tin-tuc?page=abc", 400),
        ("/chuyen-muc/tin-tuc?utm_source=zalo&x=%ZZ", 200),
        ("/chuyen-muc/tin-tuc?utm_source=zalo", 200),
        ("/chuyen-muc/chuyen-doi-so", 200),
        ("/chuyen-muc/khong-co", 404),
        ("/the/chuyen-doi-so", 200),
        ("/the/khong-co", 404),
        ("/trang/gioi-thieu", 200),
        ("/trang/khong-co", 404),
        (&format!("/in/{}", ids[0]), 200),
        ("/in/abc", 404),
        ("/tin/khong-co-999999.html", 404),
        ("/tin/abc", 404),
        ("/khong/ton/tai", 404),
        ("/static/style.css", 200),
        ("/static/nope.css", 404),
        ("/healthz", 200),
    ] {
        let r = c.get(node.url(path)).send().await.expect("get");
        assert_eq!(r.status(), status, "{path}");
        if status == 404 && !path.starts_with("/static") {
            let body = r.text().await.expect("text");
            assert!(
                body.contains("Không tìm thấy trang"),
                "themed 404 for {path}"
            );
            assert!(body.contains("Thống kê truy cập"));
        }
    }
    // The child category's articles are listed on the parent page too.
    let parent = page_text(&c, node.url("/chuyen-muc/tin-tuc")).await;
    assert!(parent.contains("Bài viết số 12"));

    // A stale slug with a valid id moves permanently to the current address.
    let stale = c
        .get(node.url(&format!("/tin/ten-cu-{}.html", ids[3])))
        .send()
        .await
        .expect("get");
    assert_eq!(stale.status(), 301);
    assert_eq!(stale.headers()["location"], path.as_str());
    node.stop().await;
});

dual_test!(views_are_counted_exactly, |backend| async move {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let node = Node::start(store.clone(), config()).await;
    let id = ids[5];
    let path = article_path(&node, id).await;
    let url = node.url(&path);
    let before = views(&node, id).await;
    get_many(&url, 500, 16, BROWSER, None).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while views(&node, id).await != before + 500 {
        assert!(std::time::Instant::now() < deadline, "500 views within 2 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    get_many(&url, 100, 16, BOT, None).await;
    assert_eq!(views(&node, id).await, before + 500, "bots don't count");
    get_many(
        &url,
        10,
        1,
        BROWSER,
        Some("sen_v=0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_eq!(
        views(&node, id).await,
        before + 501,
        "one visitor counts once in 30 minutes"
    );
    // HEAD is not a view.
    client().head(&url).send().await.expect("head");
    assert_eq!(views(&node, id).await, before + 501);
    // The page shows the same count, grouped the Vietnamese way once it passes a thousand.
    let html = page_text(&client(), &url).await;
    assert!(
        html.contains(&sen_core::format::number((before + 502) as u64)),
        "page shows the live count"
    );

    // A clean shutdown books everything.
    node.stop().await;
    let stored = store
        .article(id)
        .await
        .expect("read")
        .expect("exists")
        .views;
    assert_eq!(stored, before + 502);
});

dual_test!(gzip_pages_carry_exact_live_values, |backend| async move {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let node = Node::start(store, config()).await;
    let path = article_path(&node, ids[1]).await;
    let c = client();
    for round in 0..3 {
        let r = c
            .get(node.url(&path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("get");
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let bytes = r.bytes().await.expect("bytes");
        let mut decoder = flate2::read::GzDecoder::new(&bytes[..]);
        let mut html = String::new();
        decoder
            .read_to_string(&mut html)
            .expect("one valid gzip member");
        assert!(decoder.into_inner().is_empty(), "nothing after the member");
        assert!(html.trim_end().ends_with("</html>"), "the whole page");
        let v = views(&node, ids[1]).await;
        assert_eq!(v, round + 1);
        assert_eq!(shown_views(&html), Some(v), "the page shows this view");
    }
    node.stop().await;
});

dual_test!(changes_show_at_the_next_request, |backend| async move {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let node = Node::start(store.clone(), config()).await;
    let c = client();
    let path = article_path(&node, ids[2]).await;
    let other = article_path(&node, ids[5]).await;
    for p in ["/", path.as_str(), other.as_str(), "/chuyen-muc/tin-tuc"] {
        c.get(node.url(p)).send().await.expect("warm");
        assert_eq!(
            c.get(node.url(p)).send().await.expect("get").headers()["x-cache"],
            "hit",
            "{p}"
        );
    }
    let mut input = ArticleInput::new(
        "Tiêu đề đã sửa",
        store
            .article(ids[2])
            .await
            .expect("read")
            .expect("a")
            .category_id,
    );
    input.status = ArticleStatus::Published;
    input.published_at = Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    input.slug = Some("bai-viet-so-2-ve-khoa-hoc".into());
    store
        .update_article(&sen_core::Actor::CLI, ids[2], input)
        .await
        .expect("update");
    let html = page_text(&c, node.url(&path)).await;
    assert!(html.contains("Tiêu đề đã sửa"));
    let home = page_text(&c, node.url("/")).await;
    assert!(home.contains("Tiêu đề đã sửa"));
    // A page in another category that doesn't show the article stays cached.
    let site = store.site().await.expect("site");
    store
        .put_site(
            &Actor::CLI,
            Site {
                name: "Tên mới của Liên hiệp".into(),
                ..site
            },
        )
        .await
        .expect("site");
    let html = page_text(&c, node.url(&other)).await;
    assert!(html.contains("Tên mới của Liên hiệp"));

    // Withdrawn to a draft: out of every list, and its page answers 404, at the next request.
    let category_id = store
        .article(ids[2])
        .await
        .expect("read")
        .expect("a")
        .category_id;
    let category = store
        .categories()
        .await
        .expect("categories")
        .into_iter()
        .find(|k| k.id == category_id)
        .expect("category");
    let list_path = format!("/chuyen-muc/{}", category.slug);
    assert!(
        page_text(&c, node.url(&list_path))
            .await
            .contains("Tiêu đề đã sửa")
    );
    let mut draft = ArticleInput::new("Tiêu đề đã sửa", category_id);
    draft.slug = Some("bai-viet-so-2-ve-khoa-hoc".into());
    store
        .update_article(&sen_core::Actor::CLI, ids[2], draft)
        .await
        .expect("withdraw");
    assert!(
        !page_text(&c, node.url("/"))
            .await
            .contains("Tiêu đề đã sửa")
    );
    assert!(
        !page_text(&c, node.url(&list_path))
            .await
            .contains("Tiêu đề đã sửa")
    );
    let gone = c.get(node.url(&path)).send().await.expect("get");
    assert_eq!(gone.status(), 404);
    // A new article leads its category's list and the API at once.
    let mut fresh = ArticleInput::new("Tin mới vừa đăng", category_id);
    fresh.status = ArticleStatus::Published;
    fresh.published_at = Some(time::OffsetDateTime::now_utc());
    let fresh = store
        .create_article(&sen_core::Actor::CLI, fresh)
        .await
        .expect("create");
    assert!(
        page_text(&c, node.url(&list_path))
            .await
            .contains("Tin mới vừa đăng")
    );
    let api: Value = c
        .get(node.url("/api/v1/articles?per_page=1"))
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(api["items"][0]["id"], fresh.id);
    node.stop().await;
});

dual_test!(
    a_scheduled_article_enters_cached_pages_on_time,
    |backend| async move {
        let store = testing::store(backend).await;
        let ids = seed(&store).await;
        let node = Node::start(store.clone(), config()).await;
        let c = client();
        let category_id = store
            .article(ids[0])
            .await
            .expect("read")
            .expect("a")
            .category_id;
        // Stored times are whole seconds; a few of them leave room for a slow machine.
        let due = sen_core::format::utc_seconds(
            time::OffsetDateTime::now_utc() + time::Duration::seconds(4),
        );
        let mut scheduled = ArticleInput::new("Tin đăng theo lịch hẹn", category_id);
        scheduled.status = ArticleStatus::Published;
        scheduled.published_at = Some(due);
        let scheduled = store
            .create_article(&sen_core::Actor::CLI, scheduled)
            .await
            .expect("schedule");
        // The node's follower reads its own write from the outbox too, and drops the pages again.
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The home page is cached without it; its own page is not found yet.
        c.get(node.url("/")).send().await.expect("warm");
        let early = c.get(node.url("/")).send().await.expect("get");
        assert_eq!(early.headers()["x-cache"], "hit");
        assert!(
            !early
                .text()
                .await
                .expect("body")
                .contains("Tin đăng theo lịch hẹn")
        );
        let own = format!("/tin/{}-{}.html", scheduled.slug, scheduled.id);
        assert_eq!(
            c.get(node.url(&own)).send().await.expect("get").status(),
            404
        );
        // Well within the 60 s a cached page lives, the time comes and the page shows it.
        let started = std::time::Instant::now();
        loop {
            let past_due =
                time::OffsetDateTime::now_utc() > due + time::Duration::milliseconds(500);
            let home = page_text(&c, node.url("/")).await;
            if home.contains("Tin đăng theo lịch hẹn") {
                break;
            }
            assert!(
                !past_due,
                "half a second after its time the article is on the home page"
            );
            assert!(started.elapsed() < Duration::from_secs(10));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            c.get(node.url(&own)).send().await.expect("get").status(),
            200
        );
        node.stop().await;
    }
);

dual_test!(visits_are_counted_per_visitor, |backend| async move {
    let store = testing::store(backend).await;
    seed(&store).await;
    let node = Node::start(store, config()).await;
    let stats = |node: &Node| {
        let url = node.url("/api/v1/stats");
        async move {
            client()
                .get(url)
                .send()
                .await
                .expect("get")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let start = stats(&node).await;
    assert_eq!(start["total"], 1000);
    for v in 0..3 {
        let cookie = format!("sen_v={:032x}", v + 1);
        for _ in 0..4 {
            client()
                .get(node.url("/"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("get");
        }
    }
    get_many(&node.url("/"), 5, 5, BOT, None).await;
    get_many(&node.url("/"), 5, 5, BROWSER, None).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = stats(&node).await;
    assert_eq!(
        after["today"], 4,
        "three cookie visitors and one anonymous one: {after}"
    );
    assert_eq!(after["week"], 4);
    assert_eq!(after["total"], 1004);
    assert_eq!(after["online"], 4);
    node.stop().await;
});

dual_test!(api_answers_and_rejects_bad_input, |backend| async move {
    let store = testing::store(backend).await;
    let ids = seed(&store).await;
    let node = Node::start(store, config()).await;
    let c = client();
    let get = |path: &str| c.get(node.url(path)).send();
    let list: Value = get("/api/v1/articles?per_page=4&page=2")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 15);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    for key in [
        "id",
        "title",
        "url",
        "summary",
        "category",
        "published_at",
        "views",
    ] {
        assert!(items[0].get(key).is_some(), "item has {key}");
    }
    assert!(
        time::OffsetDateTime::parse(
            items[0]["published_at"].as_str().expect("time"),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    let past: Value = get("/api/v1/articles?page=99")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(past["items"].as_array().expect("items").len(), 0);
    assert_eq!(past["total"], 15);
    for bad in ["per_page=abc", "per_page=1000", "per_page=0", "page=-1"] {
        let r = get(&format!("/api/v1/articles?{bad}")).await.expect("get");
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.expect("json");
        let name = bad.split('=').next().expect("name");
        assert_eq!(body["error"]["field"], name);
    }
    let by_slug: Value = get("/api/v1/articles?category=chuyen-doi-so")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(by_slug["total"], 5);
    let cats: Value = get("/api/v1/categories")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let child_id = cats["items"][1]["id"].as_i64().expect("id");
    let by_id: Value = get(&format!("/api/v1/articles?category={child_id}"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(by_id["total"], 5);
    assert_eq!(
        get("/api/v1/articles?category=khong-co")
            .await
            .expect("get")
            .status(),
        404
    );
    let one: Value = get(&format!("/api/v1/articles/{}", ids[0]))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(
        one["body"]
            .as_str()
            .expect("body")
            .contains("Nội dung bài 0")
    );
    assert_eq!(one["byline"], "Minh Anh");
    assert_eq!(one["tags"].as_array().expect("tags").len(), 2);
    assert_eq!(
        get("/api/v1/articles/999999").await.expect("get").status(),
        404
    );
    assert_eq!(
        get("/api/v1/articles/abc").await.expect("get").status(),
        400
    );
    assert_eq!(get("/api/v1/nope").await.expect("get").status(), 404);
    let stats: Value = get("/api/v1/stats")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    for key in ["online", "today", "week", "total"] {
        assert!(stats[key].is_i64(), "{key}");
    }
    let metrics = get("/metrics")
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("sen_http_requests_total{route=\"/api/v1/articles\",status=\"200\"}"));
    assert!(metrics.contains("sen_views_pending"));
    assert!(metrics.contains("sen_page_cache_hits_total"));
    node.stop().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_refused_to_other_addresses() {
    let store = testing::store(Backend::Sqlite).await;
    // Trusting loopback as a proxy makes the forwarded address the client.
    let config = WebConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().expect("net")],
        ..config()
    };
    let node = Node::start(store, config).await;
    let r = client()
        .get(node.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 403);
    let r = client()
        .get(node.url("/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_postgres() {
    let url = testing::fresh_url(Backend::Postgres).await;
    let store_a = Store::open(&url).await.expect("a");
    let ids = seed(&store_a).await;
    let store_b = Store::open(&url).await.expect("b");
    let a = Node::start(
        store_a.clone(),
        WebConfig {
            node_id: "a".into(),
            ..config()
        },
    )
    .await;
    let b = Node::start(
        store_b.clone(),
        WebConfig {
            node_id: "b".into(),
            ..config()
        },
    )
    .await;
    let path = article_path(&a, ids[4]).await;
    // Both nodes cache the page.
    for node in [&a, &b] {
        client().get(node.url(&path)).send().await.expect("get");
    }
    get_many(&a.url(&path), 120, 8, BROWSER, None).await;
    get_many(&b.url(&path), 80, 8, BROWSER, None).await;
    // A change through node A's store reaches node B's cached page within a second.
    let site = store_a.site().await.expect("site");
    store_a
        .put_site(
            &Actor::CLI,
            Site {
                name: "Đổi tên qua nút A".into(),
                ..site
            },
        )
        .await
        .expect("site");
    let started = std::time::Instant::now();
    loop {
        let html = page_text(&client(), b.url(&path)).await;
        if html.contains("Đổi tên qua nút A") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "node B saw the change within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // An article published through node A enters node B's lists within a second too.
    let category_id = store_a
        .article(ids[4])
        .await
        .expect("read")
        .expect("a")
        .category_id;
    let mut fresh = ArticleInput::new("Đăng qua nút A", category_id);
    fresh.status = ArticleStatus::Published;
    fresh.published_at = Some(time::OffsetDateTime::now_utc());
    store_a
        .create_article(&sen_core::Actor::CLI, fresh)
        .await
        .expect("create");
    let started = std::time::Instant::now();
    loop {
        if page_text(&client(), b.url("/"))
            .await
            .contains("Đăng qua nút A")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "node B listed the new article within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.stop().await;
    b.stop().await;
    let stored = store_a
        .article(ids[4])
        .await
        .expect("read")
        .expect("a")
        .views;
    // 2 warm-up views, 200 counted on the nodes, and the polling reads of node B.
    assert!(stored >= 202, "views from both nodes add up: {stored}");
    let reads = stored - 202;
    assert!((1..=25).contains(&reads), "{reads} polling reads");
}

/// The ids a category page lists, in order (the default theme's `row__title` links).
fn listed_ids(html: &str) -> Vec<i64> {
    html.split("class=\"row__title\"><a href=\"/tin/")
        .skip(1)
        .filter_map(|rest| {
            let file = rest.split('"').next()?;
            let stem = file.strip_suffix(".html")?;
            stem.rsplit('-').next()?.parse().ok()
        })
        .collect()
}

/// A small deterministic generator, one per writer.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// Eight writers change articles on two nodes of one PostgreSQL for a while (30 s, or
/// `SEN_STRESS_SECS`); afterwards both nodes' category pages and API lists agree exactly with the
/// database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_agree_with_the_database_after_concurrent_writers() {
    let seconds: u64 = std::env::var("SEN_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let url = testing::fresh_url(Backend::Postgres).await;
    let store_a = Store::open(&url).await.expect("a");
    seed(&store_a).await;
    let store_b = Store::open(&url).await.expect("b");
    let a = Node::start(store_a.clone(), config()).await;
    let b = Node::start(store_b.clone(), config()).await;
    let categories: Vec<i64> = store_a
        .categories()
        .await
        .expect("categories")
        .iter()
        .map(|c| c.id)
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    let mut writers = Vec::new();
    for w in 0..8u64 {
        let store = if w % 2 == 0 {
            store_a.clone()
        } else {
            store_b.clone()
        };
        let categories = categories.clone();
        let (a_base, b_base) = (a.base.clone(), b.base.clone());
        writers.push(tokio::spawn(async move {
            let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ (w + 1));
            let mut mine: Vec<i64> = Vec::new();
            let mut n = 0u64;
            while std::time::Instant::now() < deadline {
                n += 1;
                let category = categories[dice.roll(categories.len() as u64) as usize];
                let mut input =
                    ArticleInput::new(&format!("Bài {w}-{n} của người viết {w}"), category);
                input.status = if dice.roll(4) == 0 {
                    ArticleStatus::Draft
                } else {
                    ArticleStatus::Published
                };
                input.published_at = Some(
                    time::OffsetDateTime::now_utc()
                        - time::Duration::seconds(dice.roll(3600) as i64),
                );
                input.featured = dice.roll(3) == 0;
                input.tags = vec![format!("Nhóm {}", dice.roll(4))];
                if mine.is_empty() || dice.roll(3) == 0 {
                    mine.push(
                        store
                            .create_article(&sen_core::Actor::CLI, input)
                            .await
                            .expect("create")
                            .id,
                    );
                } else {
                    let id = mine[dice.roll(mine.len() as u64) as usize];
                    store
                        .update_article(&sen_core::Actor::CLI, id, input)
                        .await
                        .expect("update");
                }
                // Readers keep both nodes' caches and catalogues busy meanwhile.
                if n.is_multiple_of(4) {
                    let base = if n.is_multiple_of(8) {
                        &a_base
                    } else {
                        &b_base
                    };
                    let _ = client()
                        .get(format!("{base}/chuyen-muc/tin-tuc"))
                        .send()
                        .await;
                }
            }
            n
        }));
    }
    let mut writes = 0;
    for writer in writers {
        writes += writer.await.expect("writer");
    }
    // Followers read the outbox every 100 ms in tests.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let now = time::OffsetDateTime::now_utc();
    let last = store_a.last_article_id().await.expect("last");
    let truth = store_a
        .listed_articles(sen_store::Listing::Range {
            after: 0,
            through: last,
        })
        .await
        .expect("published");
    let chrome_categories = store_a.categories().await.expect("categories");
    for category in &chrome_categories {
        // The category with its subcategories, newest first, as readers see it.
        let mut tree = vec![category.id];
        tree.extend(
            chrome_categories
                .iter()
                .filter(|c| c.parent_id == Some(category.id))
                .map(|c| c.id),
        );
        let mut expected: Vec<&sen_core::ListedArticle> = truth
            .iter()
            .filter(|a| tree.contains(&a.summary.category_id) && a.summary.published_at <= now)
            .collect();
        expected.sort_by_key(|a| {
            (
                std::cmp::Reverse(a.summary.published_at),
                std::cmp::Reverse(a.summary.id),
            )
        });
        let expected: Vec<i64> = expected.iter().map(|a| a.summary.id).collect();
        for node in [&a, &b] {
            let mut listed = Vec::new();
            for page in 1.. {
                let list: Value = client()
                    .get(node.url(&format!(
                        "/api/v1/articles?category={}&per_page=100&page={page}",
                        category.id
                    )))
                    .send()
                    .await
                    .expect("get")
                    .json()
                    .await
                    .expect("json");
                let items = list["items"].as_array().expect("items");
                listed.extend(items.iter().filter_map(|i| i["id"].as_i64()));
                if items.len() < 100 {
                    assert_eq!(list["total"].as_u64(), Some(expected.len() as u64));
                    break;
                }
            }
            assert_eq!(
                listed, expected,
                "API list of category {} on {}",
                category.slug, node.base
            );
            let html = page_text(
                &client(),
                node.url(&format!("/chuyen-muc/{}", category.slug)),
            )
            .await;
            let first_page: Vec<i64> = expected.iter().take(12).copied().collect();
            assert_eq!(
                listed_ids(&html),
                first_page,
                "category page {} on {}",
                category.slug,
                node.base
            );
        }
    }
    assert!(writes > 50, "the writers wrote: {writes}");
    a.stop().await;
    b.stop().await;
}
