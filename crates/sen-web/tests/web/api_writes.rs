//! The API's write endpoints through the real server, on SQLite and PostgreSQL: bearer tokens,
//! roles, validation, conflicts, redirects, and the public pages seeing each write at once.

use reqwest::{Method, StatusCode, header::HeaderMap};
use sen_core::{Actor, NewUser, Role};
use sen_store::{AuditAction, AuditQuery, Store, dual_test, testing};
use serde_json::{Value, json};

use crate::common::*;

/// A user of `role` with a fresh API token; returns the token.
async fn token(store: &Store, username: &str, role: Role) -> (i64, String) {
    let user = store
        .create_user(
            &Actor::CLI,
            NewUser {
                username: username.into(),
                display_name: String::new(),
                role,
                password: "Hà Lam mùa thu 2026".into(),
                categories: vec![],
                must_change_password: false,
            },
        )
        .await
        .expect("user");
    let made = store
        .create_token(
            &Actor::CLI,
            user.id,
            "test",
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("token");
    (user.id, made.token)
}

enum Body<'a> {
    None,
    Json(Value),
    Raw(&'a str),
}

async fn send(
    node: &Node,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Body<'_>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = client().request(method, node.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req = match body {
        Body::None => req,
        Body::Json(v) => req.json(&v),
        Body::Raw(s) => req
            .header("content-type", "application/json")
            .body(s.to_string()),
    };
    let response = req.send().await.expect("send");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("text");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON from {path}: {text}"))
    };
    (status, headers, value)
}

fn site_json(phone: &str) -> Value {
    json!({
        "name": "Liên hiệp Hội Thử nghiệm",
        "governing_body": "UBND tỉnh Thử nghiệm",
        "address": "Số 1 đường Thử",
        "phone": phone,
        "email": "lh@example.vn",
        "responsible_person": "Bà Nguyễn Thị Thử",
        "credit_note": "Ghi rõ nguồn khi phát hành lại.",
        "visits_base": 1000,
    })
}

fn assert_error(value: &Value, code: &str, field: Option<&str>) {
    assert_eq!(value["error"]["code"], code, "{value}");
    assert_eq!(value["error"]["field"].as_str(), field, "{value}");
    assert!(value["error"]["message"].is_string(), "{value}");
}

dual_test!(
    the_site_is_written_by_an_admin_token_only,
    |backend| async move {
        let store = testing::store(backend).await;
        seed(&store).await;
        let (admin_id, admin) = token(&store, "quantri", Role::Admin).await;
        let (_, author) = token(&store, "tacgia", Role::Author).await;
        let (editor_id, editor) = token(&store, "bientap", Role::Editor).await;
        let node = Node::start(store.clone(), config()).await;
        let c = client();
        // Warm the cache: the change must reach a cached page.
        assert!(page_text(&c, node.url("/")).await.contains("0200 000 000"));

        // No token, a bad one, a header that is not a bearer token: 401 with the challenge.
        for (token, raw_header, invalid) in [
            (None, None, false),
            (Some("sen_not-a-real-token"), None, true),
            (None, Some("Basic dXNlcjpwYXNz"), true),
        ] {
            let mut req = c
                .put(node.url("/api/v1/site"))
                .json(&site_json("0200 999 999"));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(h) = raw_header {
                req = req.header("authorization", h);
            }
            let r = req.send().await.expect("send");
            assert_eq!(r.status(), 401);
            let challenge = r.headers()["www-authenticate"]
                .to_str()
                .expect("ascii")
                .to_string();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            assert_eq!(challenge.contains("invalid_token"), invalid, "{challenge}");
            assert_error(&r.json().await.expect("json"), "unauthorized", None);
        }
        // An author may not.
        let (status, _, body) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&author),
            Body::Json(site_json("0200 999 999")),
        )
        .await;
        assert_eq!(status, 403);
        assert_error(&body, "forbidden", None);
        // A disabled user's token stops at once.
        store
            .set_disabled(&Actor::CLI, editor_id, true)
            .await
            .expect("disable");
        let (status, _, _) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&editor),
            Body::Json(site_json("0200 999 999")),
        )
        .await;
        assert_eq!(status, 401);

        // Refused input names its field and changes nothing.
        let (status, _, body) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&admin),
            Body::Json(site_json("")),
        )
        .await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("phone"));
        let (status, _, body) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&admin),
            Body::Json(json!({"name": "A", "visits_base": "many"})),
        )
        .await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("visits_base"));
        let (status, _, body) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&admin),
            Body::Raw("{not json"),
        )
        .await;
        assert_eq!(status, 400);
        assert_error(&body, "invalid_parameter", Some("body"));
        let mut no_email = site_json("0200 999 999");
        no_email["email"] = json!("khong-phai-email");
        let (status, _, body) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&admin),
            Body::Json(no_email),
        )
        .await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("email"));
        assert_eq!(store.site().await.expect("site").phone, "0200 000 000");
        let html = page_text(&c, node.url("/")).await;
        assert!(html.contains("0200 000 000") && !html.contains("0200 999 999"));
        assert_eq!(
            store
                .audit_log(&AuditQuery {
                    action: Some(AuditAction::SiteUpdate),
                    ..Default::default()
                })
                .await
                .expect("log")
                .entries
                .len(),
            1,
            "the seed's only: nothing refused is in the log"
        );

        // The admin's change shows in the public footer at the next request.
        let (status, _, body) = send(
            &node,
            Method::PUT,
            "/api/v1/site",
            Some(&admin),
            Body::Json(site_json("0200 999 999")),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["phone"], "0200 999 999");
        let html = page_text(&c, node.url("/")).await;
        assert!(
            html.contains("0200 999 999"),
            "the footer shows the new phone"
        );
        let (status, _, body) = send(&node, Method::GET, "/api/v1/site", None, Body::None).await;
        assert_eq!(
            (status, body["phone"].as_str()),
            (StatusCode::OK, Some("0200 999 999"))
        );
        // Audited: who, from where, what changed.
        let log = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SiteUpdate),
                ..Default::default()
            })
            .await
            .expect("log");
        let entry = &log.entries[0];
        assert_eq!(
            (entry.actor_id, entry.actor_name.as_str()),
            (Some(admin_id), "quantri")
        );
        assert_eq!(entry.client_address.as_deref(), Some("127.0.0.1"));
        assert_eq!(
            entry.details,
            json!({"before": {"phone": "0200 000 000"}, "after": {"phone": "0200 999 999"}})
        );
        node.stop().await;
    }
);

dual_test!(
    categories_and_pages_are_written_through_the_api,
    |backend| async move {
        let store = testing::store(backend).await;
        seed(&store).await;
        let (_, admin) = token(&store, "quantri", Role::Admin).await;
        let (_, editor) = token(&store, "bientap", Role::Editor).await;
        let node = Node::start(store.clone(), config()).await;
        let c = client();
        let admin = Some(admin.as_str());
        let post = |path: &'static str, body: Value| {
            send(&node, Method::POST, path, admin, Body::Json(body))
        };

        // Created, in the list and the menu at once; 409 on a taken slug; 422 naming the field.
        let (status, _, created) = post("/api/v1/categories", json!({"name": "Khoa học"})).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(
            (created["slug"].as_str(), created["in_menu"].as_bool()),
            (Some("khoa-hoc"), Some(true))
        );
        let id = created["id"].as_i64().expect("id");
        assert!(
            page_text(&c, node.url("/"))
                .await
                .contains("/chuyen-muc/khoa-hoc")
        );
        let (status, _, body) = post("/api/v1/categories", json!({"name": "Khoa học"})).await;
        assert_eq!(status, 409);
        assert_error(&body, "conflict", Some("slug"));
        let (status, _, body) = post("/api/v1/categories", json!({"name": "  "})).await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("name"));
        let (status, _, body) = post(
            "/api/v1/categories",
            json!({"name": "X", "position": "đầu"}),
        )
        .await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("position"));
        let (status, _, body) = post(
            "/api/v1/categories",
            json!({"name": "X", "parent_id": 99999}),
        )
        .await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("parent_id"));
        let (status, _, _) = send(
            &node,
            Method::POST,
            "/api/v1/categories",
            Some(&editor),
            Body::Json(json!({"name": "Y"})),
        )
        .await;
        assert_eq!(status, 403);
        let (_, _, list) = send(&node, Method::GET, "/api/v1/categories", None, Body::None).await;
        assert_eq!(
            list["items"].as_array().expect("items").len(),
            3,
            "only the one created"
        );

        // Renamed and hidden: the old address moves permanently, with its page number.
        let path = format!("/api/v1/categories/{id}");
        let (status, _, body) = send(
            &node,
            Method::PATCH,
            &path,
            admin,
            Body::Json(json!({"slug": "khoa-hoc-cong-nghe", "in_menu": false})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["name"].as_str(), body["in_menu"].as_bool()),
            (Some("Khoa học"), Some(false))
        );
        let moved = c
            .get(node.url("/chuyen-muc/khoa-hoc"))
            .send()
            .await
            .expect("get");
        assert_eq!(moved.status(), 301);
        assert_eq!(
            moved.headers()["location"],
            "/chuyen-muc/khoa-hoc-cong-nghe"
        );
        let moved = c
            .get(node.url("/chuyen-muc/khoa-hoc?page=2"))
            .send()
            .await
            .expect("get");
        assert_eq!(
            moved.headers()["location"],
            "/chuyen-muc/khoa-hoc-cong-nghe?page=2"
        );
        assert!(
            !page_text(&c, node.url("/"))
                .await
                .contains("/chuyen-muc/khoa-hoc-cong-nghe"),
            "hidden from the menu"
        );
        for (path, body, status, field) in [
            (
                path.clone(),
                json!({"parent_id": id}),
                422,
                Some("parent_id"),
            ),
            (path.clone(), json!({"slug": "tin-tuc"}), 409, Some("slug")),
            (path.clone(), json!({"colour": "red"}), 422, Some("colour")),
            ("/api/v1/categories/abc".into(), json!({}), 400, Some("id")),
            (
                "/api/v1/categories/99999".into(),
                json!({"name": "Z"}),
                404,
                None,
            ),
        ] {
            let (got, _, answer) = send(&node, Method::PATCH, &path, admin, Body::Json(body)).await;
            assert_eq!(got, status, "{path}: {answer}");
            assert_eq!(answer["error"]["field"].as_str(), field, "{answer}");
        }
        let kept = store.category(id).await.expect("read").expect("kept");
        assert_eq!(
            (kept.slug.as_str(), kept.parent_id),
            ("khoa-hoc-cong-nghe", None)
        );
        // Moved to the top again with an explicit null.
        let (status, _, _) = send(
            &node,
            Method::PATCH,
            &path,
            admin,
            Body::Json(json!({"parent_id": null, "position": 2})),
        )
        .await;
        assert_eq!(status, 200);

        // Only an empty category is deleted.
        let news = store
            .categories()
            .await
            .expect("read")
            .into_iter()
            .find(|k| k.slug == "tin-tuc")
            .expect("news");
        let (status, _, body) = send(
            &node,
            Method::DELETE,
            &format!("/api/v1/categories/{}", news.id),
            admin,
            Body::None,
        )
        .await;
        assert_eq!(status, 409);
        assert_error(&body, "conflict", Some("subcategories"));
        let (status, _, body) = send(&node, Method::DELETE, &path, admin, Body::None).await;
        assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
        assert_eq!(
            c.get(node.url("/chuyen-muc/khoa-hoc-cong-nghe"))
                .send()
                .await
                .expect("get")
                .status(),
            404
        );
        assert_eq!(
            c.get(node.url("/chuyen-muc/khoa-hoc"))
                .send()
                .await
                .expect("get")
                .status(),
            404
        );
        let (status, _, _) = send(&node, Method::DELETE, &path, admin, Body::None).await;
        assert_eq!(status, 404);

        // Pages: created, renamed (the old address redirects), ordered, deleted.
        let (status, _, page) = post("/api/v1/pages", json!({"title": "Liên hệ", "body": "<p>Gọi 0200</p><script>x()</script>", "position": 1})).await;
        assert_eq!(status, 201, "{page}");
        assert_eq!(page["slug"], "lien-he");
        assert!(!page["body"].as_str().expect("body").contains("script"));
        let page_path = format!("/api/v1/pages/{}", page["id"]);
        assert!(
            page_text(&c, node.url("/trang/lien-he"))
                .await
                .contains("Gọi 0200")
        );
        let (status, _, body) = post("/api/v1/pages", json!({"title": "Giới thiệu"})).await;
        assert_eq!(status, 409);
        assert_error(&body, "conflict", Some("slug"));
        let (status, _, body) = post("/api/v1/pages", json!({"body": "<p>x</p>"})).await;
        assert_eq!(status, 422);
        assert_error(&body, "invalid_input", Some("title"));
        let (status, _, body) = send(
            &node,
            Method::PATCH,
            &page_path,
            admin,
            Body::Json(json!({"slug": "lien-he-gop-y", "position": 0})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let moved = c.get(node.url("/trang/lien-he")).send().await.expect("get");
        assert_eq!(moved.status(), 301);
        assert_eq!(moved.headers()["location"], "/trang/lien-he-gop-y");
        assert!(
            page_text(&c, node.url("/trang/lien-he-gop-y"))
                .await
                .contains("Gọi 0200")
        );
        let about = store
            .page_by_slug("gioi-thieu")
            .await
            .expect("read")
            .expect("seeded");
        let (status, _, _) = send(
            &node,
            Method::PATCH,
            &format!("/api/v1/pages/{}", about.id),
            admin,
            Body::Json(json!({"position": 5})),
        )
        .await;
        assert_eq!(status, 200);
        let (_, _, pages) = send(&node, Method::GET, "/api/v1/pages", None, Body::None).await;
        assert_eq!(
            pages["items"][0]["slug"], "lien-he-gop-y",
            "first in the menu: {pages}"
        );
        let (status, _, _) = send(
            &node,
            Method::PATCH,
            &page_path,
            Some(&editor),
            Body::Json(json!({"title": "X"})),
        )
        .await;
        assert_eq!(status, 403);
        let (status, _, _) = send(&node, Method::DELETE, &page_path, admin, Body::None).await;
        assert_eq!(status, 204);
        assert_eq!(
            c.get(node.url("/trang/lien-he-gop-y"))
                .send()
                .await
                .expect("get")
                .status(),
            404
        );
        assert_eq!(
            c.get(node.url("/trang/lien-he"))
                .send()
                .await
                .expect("get")
                .status(),
            404
        );
        let (status, _, _) = send(&node, Method::DELETE, &page_path, None, Body::None).await;
        assert_eq!(status, 401);

        // Every write is in the audit log, from this client.
        let log = store
            .audit_log(&AuditQuery {
                per_page: 100,
                ..Default::default()
            })
            .await
            .expect("log");
        let actions: Vec<&str> = log
            .entries
            .iter()
            .filter(|e| e.actor_name == "quantri")
            .map(|e| e.action.as_str())
            .collect();
        for action in [
            "category_create",
            "category_update",
            "category_delete",
            "page_create",
            "page_update",
            "page_delete",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
        assert!(
            log.entries
                .iter()
                .filter(|e| e.actor_name == "quantri")
                .all(|e| e.client_address.as_deref() == Some("127.0.0.1"))
        );
        node.stop().await;
    }
);

dual_test!(
    a_starting_node_prunes_what_has_expired,
    |backend| async move {
        let store = testing::store(backend).await;
        for sql in [
            "INSERT INTO audit_log (at, actor_name, action, target, details) \
         VALUES ('2000-01-01T00:00:00Z', 'cli', 'site_update', 'site', '{}')",
            "INSERT INTO login_failures (key, failures, window_start) \
         VALUES ('user:xua', 3, '2000-01-01T00:00:00Z')",
        ] {
            testing::execute(&store, sql).await.expect("old row");
        }
        store
            .create_user(
                &Actor::CLI,
                NewUser {
                    username: "nguoicu".into(),
                    display_name: String::new(),
                    role: Role::Author,
                    password: "Hà Lam mùa thu 2026".into(),
                    categories: vec![],
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        let old = time::OffsetDateTime::now_utc() - time::Duration::days(30);
        let signed = store
            .sign_in(
                &sen_store::SignIn {
                    username: "nguoicu".into(),
                    password: "Hà Lam mùa thu 2026".into(),
                    client: None,
                    user_agent: String::new(),
                },
                old,
            )
            .await
            .expect("sign in");
        assert!(matches!(signed, sen_store::SignInOutcome::SignedIn(_)));
        let old_entries = AuditQuery {
            until: Some(time::macros::datetime!(2001-01-01 0:00 UTC)),
            ..Default::default()
        };
        assert_eq!(store.audit_log(&old_entries).await.expect("log").total, 1);
        let node = Node::start(store.clone(), config()).await;
        let started = std::time::Instant::now();
        loop {
            // An UPDATE that changes nothing counts the rows still there.
            let audit_gone = store.audit_log(&old_entries).await.expect("log").total == 0;
            let failures_gone = testing::execute(
                &store,
                "UPDATE login_failures SET failures = failures WHERE key = 'user:xua'",
            )
            .await
            .expect("probe")
                == 0;
            let sessions_gone =
                testing::execute(&store, "UPDATE sessions SET user_agent = user_agent")
                    .await
                    .expect("probe")
                    == 0;
            if audit_gone && failures_gone && sessions_gone {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(3),
                "pruned at start: audit {audit_gone}, failures {failures_gone}, sessions {sessions_gone}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        node.stop().await;
    }
);
