//! The article desk through the API, on SQLite and PostgreSQL: who may write, submit, return,
//! publish and trash; the version check; corrections; revisions; drafts never shown to the
//! public; bad input answered per field with nothing stored; hostile bodies stored clean.

use reqwest::{Method, StatusCode};
use sen_core::Role;
use sen_store::{AuditAction, Store, dual_test, testing};
use serde_json::{Value, json};

use crate::common::*;

async fn call(
    node: &Node,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, node.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let response = req.send().await.expect("send");
    let status = response.status();
    let text = response.text().await.expect("text");
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, value)
}

fn assert_field(status: StatusCode, body: &Value, expected: u16, field: &str) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(body["error"]["field"], field, "{body}");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{body}"
    );
}

/// The audit log's entries of `action` on article `id`.
async fn logged_on(store: &Store, action: AuditAction, id: i64) -> usize {
    logged(store, action, Some(&format!("article:{id}"))).await
}

/// Every article in the store, drafts and trash included.
async fn article_count(store: &Store) -> usize {
    logged(store, AuditAction::ArticleCreate, None).await
}

/// Bodies that must not run: scripts, handlers, script URLs, frames, SVG script, CSS
/// expressions and the filter-evasion forms of the same.
pub const HOSTILE: &[&str] = &[
    "<script>alert('s')</script>",
    "<img src=x onerror=alert('img')>",
    "<a href=\"javascript:alert('js')\">a</a>",
    "<a href=\"JaVaScRiPt:alert('js2')\">b</a>",
    "<a href=\"jav&#x09;ascript:alert('tab')\">c</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">d</a>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "<svg><script>alert('svg')</script></svg>",
    "<svg onload=alert('svg2')></svg>",
    "<p style=\"width: expression(alert('css'))\">e</p>",
    "<style>body{background:url(javascript:alert('st'))}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mx')>",
    "<object data=\"javascript:alert('o')\"></object><embed src=\"javascript:alert('e')\">",
    "<form action=\"javascript:alert('f')\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('m')\">",
    "<base href=\"javascript:alert('b')//\"><link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<div onmouseover=\"alert('div')\">f</div><details open ontoggle=alert('t')>",
    "<img src=\"x\" alt=\"`\"><script>alert('q')</script>",
    "<scr<script>ipt>alert('nest')</scr</script>ipt>",
];

/// What must not be left anywhere in a stored body.
pub const FORBIDDEN: &[&str] = &[
    "<script",
    "onerror",
    "onload",
    "onmouseover",
    "ontoggle",
    "javascript:",
    "data:",
    "<iframe",
    "<svg",
    "expression(",
    "<style",
    "<object",
    "<embed",
    "<form",
    "<meta",
    "<base",
    "<link",
    "style=",
];

dual_test!(
    the_desk_through_the_api_follows_the_workflow,
    |backend| async move {
        let store = testing::store(backend).await;
        seed(&store).await;
        let news = category_id(&store, "tin-tuc").await;
        let other = category_id(&store, "chuyen-doi-so").await;
        let author = api_token(&store, "tacgia", Role::Author, vec![]).await;
        let editor = api_token(&store, "bientap", Role::Editor, vec![news]).await;
        let outsider = api_token(&store, "bientapkhac", Role::Editor, vec![other]).await;
        let node = Node::start(store.clone(), config()).await;
        let before = article_count(&store).await;

        // Bad input: each names its field, nothing is stored.
        let good = json!({"title": "Hội thảo chuyển đổi số", "category": "tin-tuc"});
        let mut cases: Vec<(Value, u16, &str)> = vec![
            (json!({"title": "Không chuyên mục"}), 422, "category"),
            (
                json!({"title": "Chuyên mục lạ", "category": "khong-co"}),
                422,
                "category",
            ),
            (
                json!({"title": "Số lạ", "category": 99999}),
                422,
                "category",
            ),
            (json!({"title": "  ", "category": news}), 422, "title"),
            (
                json!({"title": "x".repeat(400), "category": news}),
                422,
                "title",
            ),
            (
                json!({"title": "Bài", "category": news, "titel": "typo"}),
                422,
                "titel",
            ),
            (
                json!({"title": "Bài", "category": news, "featured": "yes"}),
                422,
                "featured",
            ),
            (
                json!({"title": "Bài", "category": news, "tags": "a, b"}),
                422,
                "tags",
            ),
        ];
        for (field, value) in [
            ("source_url", json!("ftp://example.vn/a")),
            ("cover", json!("javascript:alert(1)")),
            ("publish_at", json!("ngày mai")),
            ("unpublish_at", json!("2026-13-45")),
            ("status", json!("approved")),
            ("status", json!("archived")),
        ] {
            let mut body = good.clone();
            body[field] = value;
            cases.push((body, 422, field));
        }
        let mut ends_first = good.clone();
        ends_first["publish_at"] = json!("2026-12-02T08:00:00+07:00");
        ends_first["unpublish_at"] = json!("2026-12-01T08:00:00+07:00");
        cases.push((ends_first, 422, "unpublish_at"));
        for (body, expected, field) in cases {
            let (status, answer) = call(
                &node,
                Method::POST,
                "/api/v1/articles",
                Some(&author),
                Some(body.clone()),
            )
            .await;
            assert_field(status, &answer, expected, field);
        }
        let r = client()
            .post(node.url("/api/v1/articles"))
            .bearer_auth(&author)
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400);
        // No token: 401; an author asking to publish: 403.
        let (status, _) = call(
            &node,
            Method::POST,
            "/api/v1/articles",
            None,
            Some(good.clone()),
        )
        .await;
        assert_eq!(status, 401);
        let mut publish = good.clone();
        publish["status"] = json!("published");
        let (status, answer) = call(
            &node,
            Method::POST,
            "/api/v1/articles",
            Some(&author),
            Some(publish.clone()),
        )
        .await;
        assert_eq!(status, 403, "{answer}");
        // An editor of another category may not publish in this one.
        let (status, _) = call(
            &node,
            Method::POST,
            "/api/v1/articles",
            Some(&outsider),
            Some(publish.clone()),
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(
            article_count(&store).await,
            before,
            "nothing refused is stored"
        );

        // The author writes a hostile body and submits it.
        let mut new = good.clone();
        new["status"] = json!("submitted");
        new["summary"] = json!("Tóm tắt hội thảo.");
        new["body"] = json!(format!("<p>Nội dung thật.</p>{}", HOSTILE.concat()));
        new["tags"] = json!(["Chuyển đổi số", "Hội thảo"]);
        new["source_name"] = json!("Báo Khoa học");
        new["source_url"] = json!("https://khoahoc.example.vn/bai-1");
        let (status, created) = call(
            &node,
            Method::POST,
            "/api/v1/articles",
            Some(&author),
            Some(new),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["status"], "submitted");
        let id = created["id"].as_i64().expect("id");
        let path = format!("/api/v1/articles/{id}");
        assert!(
            created["url"]
                .as_str()
                .expect("url")
                .starts_with(&node.base)
        );
        assert_eq!(logged_on(&store, AuditAction::ArticleCreate, id).await, 1);
        assert_eq!(logged_on(&store, AuditAction::ArticleSubmit, id).await, 1);

        // Drafts and submissions: never to the public, nor to an editor of another category.
        let (status, _) = call(&node, Method::GET, &path, None, None).await;
        assert_eq!(status, 404);
        let (status, _) = call(&node, Method::GET, &path, Some(&outsider), None).await;
        assert_eq!(status, 404);
        let (status, _) = call(&node, Method::GET, &path, Some("sen_not-a-token"), None).await;
        assert_eq!(status, 401);
        let (status, seen) = call(&node, Method::GET, &path, Some(&editor), None).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["status"], "submitted");
        let body = seen["body"].as_str().expect("body").to_lowercase();
        assert!(body.contains("nội dung thật"), "{body}");
        for bad in FORBIDDEN {
            assert!(!body.contains(bad), "{bad} stored in {body}");
        }
        let version = seen["version"].as_i64().expect("version");

        // A submission is the editors' now: the author can't change it.
        let (status, _) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&author),
            Some(json!({"version": version, "title": "Đổi tên"})),
        )
        .await;
        assert_eq!(status, 403);
        // A version is required; a return needs its comment.
        let (status, answer) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({"status": "returned", "note": "x"})),
        )
        .await;
        assert_field(status, &answer, 422, "version");
        let (status, answer) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({"version": version, "status": "returned"})),
        )
        .await;
        assert_field(status, &answer, 422, "note");
        let (status, returned) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({"version": version, "status": "returned", "note": "Bổ sung số liệu."})),
        )
        .await;
        assert_eq!(status, 200, "{returned}");
        assert_eq!(returned["status"], "returned");
        let version = returned["version"].as_i64().expect("version");

        // The author edits and resubmits; an old version is refused and changes nothing.
        let (status, answer) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&author),
            Some(json!({"version": version - 1, "title": "Tên cũ hơn"})),
        )
        .await;
        assert_field(status, &answer, 409, "version");
        let (status, resubmitted) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&author),
            Some(json!({
                "version": version,
                "summary": "Tóm tắt có số liệu.",
                "status": "submitted",
            })),
        )
        .await;
        assert_eq!(status, 200, "{resubmitted}");
        assert_eq!(resubmitted["status"], "submitted");
        assert_eq!(resubmitted["summary"], "Tóm tắt có số liệu.");
        let version = resubmitted["version"].as_i64().expect("version");
        // The author can't publish; the editor can.
        let (status, _) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&author),
            Some(json!({"version": version, "status": "published"})),
        )
        .await;
        assert_eq!(status, 403);
        let (status, published) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({"version": version, "status": "published"})),
        )
        .await;
        assert_eq!(status, 200, "{published}");
        assert_eq!(published["status"], "published");
        let (status, public) = call(&node, Method::GET, &path, None, None).await;
        assert_eq!(status, 200);
        assert_eq!(public["title"], "Hội thảo chuyển đổi số");
        let page = page_text(&client(), public["url"].as_str().expect("url")).await;
        assert!(page.contains("Hội thảo chuyển đổi số"));
        assert!(
            !page.contains("alert('"),
            "nothing hostile reaches the page"
        );
        let version = published["version"].as_i64().expect("version");

        // Changing what readers have read is a correction, with its note.
        let (status, answer) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({"version": version, "body": "<p>Nội dung đã sửa.</p>"})),
        )
        .await;
        assert_field(status, &answer, 422, "correction_note");
        let (status, corrected) = call(
            &node,
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({
                "version": version,
                "body": "<p>Nội dung đã sửa.</p>",
                "correction_note": "Sửa số liệu ở đoạn đầu.",
            })),
        )
        .await;
        assert_eq!(status, 200, "{corrected}");
        assert_eq!(corrected["correction"]["note"], "Sửa số liệu ở đoạn đầu.");
        let (status, revisions) = call(
            &node,
            Method::GET,
            &format!("{path}/revisions"),
            Some(&editor),
            None,
        )
        .await;
        assert_eq!(status, 200, "{revisions}");
        let kinds: Vec<&str> = revisions["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["kind"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(kinds.first(), Some(&"correction"), "{kinds:?}");
        assert!(kinds.contains(&"create"), "{kinds:?}");
        let (status, _) = call(&node, Method::GET, &format!("{path}/revisions"), None, None).await;
        assert_eq!(status, 401);

        // Trash: not by the author once published; by the editor; not twice.
        let (status, _) = call(&node, Method::DELETE, &path, Some(&author), None).await;
        assert_eq!(status, 403);
        let (status, _) = call(&node, Method::DELETE, &path, Some(&editor), None).await;
        assert_eq!(status, 204);
        let (status, _) = call(&node, Method::GET, &path, None, None).await;
        assert_eq!(status, 404);
        let (status, _) = call(&node, Method::DELETE, &path, Some(&editor), None).await;
        assert_eq!(status, 409);
        for action in [
            AuditAction::ArticleReturn,
            AuditAction::ArticlePublish,
            AuditAction::ArticleTrash,
        ] {
            assert_eq!(logged_on(&store, action, id).await, 1, "{action:?}");
        }
        assert_eq!(logged_on(&store, AuditAction::ArticleSubmit, id).await, 2);

        // An editor schedules: published, but not public before its time.
        let mut scheduled = good.clone();
        scheduled["title"] = json!("Bài hẹn giờ");
        scheduled["status"] = json!("published");
        scheduled["publish_at"] = json!(sen_core::format::rfc3339(
            time::OffsetDateTime::now_utc() + time::Duration::hours(1)
        ));
        let (status, created) = call(
            &node,
            Method::POST,
            "/api/v1/articles",
            Some(&editor),
            Some(scheduled),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().expect("id");
        let (status, _) = call(
            &node,
            Method::GET,
            &format!("/api/v1/articles/{id}"),
            None,
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (_, seen) = call(
            &node,
            Method::GET,
            &format!("/api/v1/articles/{id}"),
            Some(&editor),
            None,
        )
        .await;
        assert_eq!(seen["status"], "published");
        assert!(seen["publish_at"].is_string());
        node.stop().await;
    }
);
