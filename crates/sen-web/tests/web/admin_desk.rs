//! The article desk in the admin through the real server, on SQLite and PostgreSQL: an author
//! writes and submits, can't publish; an editor returns with a comment and publishes; a stale save
//! is refused with nothing lost; corrections; bad input named per field with nothing stored;
//! hostile bodies stored clean; autosave's JSON; preview links; revisions and restore; bulk actions.

use reqwest::{Client, StatusCode};
use sen_core::{ArticleStatus, Role};
use sen_store::{AuditAction, Store, dual_test, testing};

use crate::common::*;

/// Posts the article form (`id` `None`: a new one) with the page's own CSRF token.
async fn post_form(
    c: &Client,
    node: &Node,
    id: Option<i64>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let path = id.map_or("/admin/articles/new".to_string(), |id| {
        format!("/admin/articles/{id}")
    });
    let token = page_token(c, node, &path).await;
    let mut form = vec![("_csrf", token.as_str())];
    form.extend_from_slice(fields);
    c.post(node.url(&path))
        .form(&form)
        .send()
        .await
        .expect("post")
}

/// The article a redirect after a save names.
fn saved_id(response: &reqwest::Response) -> i64 {
    let to = location(response);
    let id = to
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok());
    id.unwrap_or_else(|| panic!("a redirect to the article, not {to:?}"))
}

async fn stored(store: &Store, id: i64) -> sen_core::Article {
    store.article(id).await.expect("read").expect("there")
}

/// The page's error summary links to `field`.
async fn names_field(response: reqwest::Response, status: StatusCode, field: &str) -> String {
    assert_eq!(response.status(), status);
    let html = response.text().await.expect("text");
    assert!(
        html.contains(&format!("href=\"#{field}\"")),
        "the summary names {field}"
    );
    html
}

dual_test!(
    an_article_goes_from_author_to_readers,
    |backend| async move {
        let store = testing::store(backend).await;
        seed(&store).await;
        let news = category_id(&store, "tin-tuc").await;
        let other = category_id(&store, "chuyen-doi-so").await;
        add_user(&store, "ctv", Role::Author).await;
        add_staff(&store, "bientap", Role::Editor, vec![news]).await;
        add_staff(&store, "bientapkhac", Role::Editor, vec![other]).await;
        let node = Node::start(store.clone(), config()).await;
        let author = browser();
        sign_in(&author, &node, "ctv", PASSWORD).await;
        let news_text = news.to_string();

        // Bad input: named at its field, nothing stored.
        let created = logged(&store, AuditAction::ArticleCreate, None).await;
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("title", " "), ("category", &news_text)], "title"),
            (&[("title", "Bài"), ("category", "")], "category"),
            (
                &[
                    ("title", "Bài"),
                    ("category", &news_text),
                    ("publish_at", "mai"),
                ],
                "publish_at",
            ),
            (
                &[
                    ("title", "Bài"),
                    ("category", &news_text),
                    ("source_url", "ftp://x.vn"),
                ],
                "source_url",
            ),
        ];
        for (fields, field) in cases {
            let r = post_form(&author, &node, None, fields).await;
            let html = names_field(r, StatusCode::UNPROCESSABLE_ENTITY, field).await;
            assert!(
                html.contains("value=\"Bài\"") || field == "title",
                "what was typed stays"
            );
        }
        assert_eq!(
            logged(&store, AuditAction::ArticleCreate, None).await,
            created
        );

        // An author pressing "publish" gets a draft and the reason, never a published article.
        let r = post_form(
            &author,
            &node,
            None,
            &[
                ("title", "Bài tự xuất bản"),
                ("category", &news_text),
                ("action", "publish"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.expect("text").contains("href=\"#action\""));
        assert_eq!(logged(&store, AuditAction::ArticlePublish, None).await, 0);

        // The author writes a hostile body and submits.
        let hostile = "<p>Hội nghị tổng kết năm.</p><script>alert(1)</script>\
                   <img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>\
                   <iframe src=\"https://evil.example/\"></iframe><svg onload=alert(4)></svg>";
        let r = post_form(
            &author,
            &node,
            None,
            &[
                ("title", "Hội nghị tổng kết năm 2026"),
                ("category", &news_text),
                ("body", hostile),
                ("action", "submit"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id = saved_id(&r);
        let article = stored(&store, id).await;
        assert_eq!(article.status, ArticleStatus::Pending);
        assert!(article.body.contains("Hội nghị tổng kết năm."));
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "<iframe",
            "<svg",
            "onload",
        ] {
            assert!(!article.body.contains(bad), "{bad} in {}", article.body);
        }
        // The author sees no publish button; an editor of another category can't open it.
        let form = page_text(&author, node.url(&format!("/admin/articles/{id}"))).await;
        assert!(!form.contains("value=\"publish\""));
        let outsider = browser();
        sign_in(&outsider, &node, "bientapkhac", PASSWORD).await;
        let r = outsider
            .get(node.url(&format!("/admin/articles/{id}")))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // The editor returns it: a comment is required.
        let editor = browser();
        sign_in(&editor, &node, "bientap", PASSWORD).await;
        let version = stored(&store, id).await.version.to_string();
        let mut fields = vec![
            ("title", "Hội nghị tổng kết năm 2026"),
            ("category", news_text.as_str()),
            ("body", "<p>Hội nghị tổng kết năm.</p>"),
            ("version", version.as_str()),
            ("action", "return"),
        ];
        let r = post_form(&editor, &node, Some(id), &fields).await;
        names_field(r, StatusCode::UNPROCESSABLE_ENTITY, "note").await;
        // The text was saved all the same (the form shows the new version); the state stays.
        let article = stored(&store, id).await;
        assert_eq!(article.status, ArticleStatus::Pending);
        let version = article.version.to_string();
        fields[3] = ("version", version.as_str());
        fields.push(("note", "Thêm số liệu hội viên."));
        let r = post_form(&editor, &node, Some(id), &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let article = stored(&store, id).await;
        assert_eq!(article.status, ArticleStatus::Returned);
        let form = page_text(&author, node.url(&format!("/admin/articles/{id}"))).await;
        assert!(
            form.contains("Thêm số liệu hội viên."),
            "the author sees the comment"
        );

        // A save made on an older version is refused; what was typed comes back.
        let old = (article.version - 1).to_string();
        let r = post_form(
            &author,
            &node,
            Some(id),
            &[
                ("title", "Tiêu đề viết trên bản cũ"),
                ("category", &news_text),
                ("version", &old),
            ],
        )
        .await;
        let html = names_field(r, StatusCode::UNPROCESSABLE_ENTITY, "version").await;
        assert!(
            html.contains("Tiêu đề viết trên bản cũ"),
            "nothing typed is lost"
        );
        assert_eq!(stored(&store, id).await.title, "Hội nghị tổng kết năm 2026");

        // The author edits and resubmits; the editor publishes.
        let version = article.version.to_string();
        let r = post_form(
            &author,
            &node,
            Some(id),
            &[
                ("title", "Hội nghị tổng kết năm 2026"),
                ("category", &news_text),
                ("body", "<p>Hội nghị tổng kết năm, 1.250 hội viên.</p>"),
                ("version", &version),
                ("action", "submit"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let article = stored(&store, id).await;
        assert_eq!(article.status, ArticleStatus::Pending);
        let version = article.version.to_string();
        let r = post_form(
            &editor,
            &node,
            Some(id),
            &[
                ("title", &article.title),
                ("category", &news_text),
                ("body", &article.body),
                ("version", &version),
                ("action", "publish"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let article = stored(&store, id).await;
        assert_eq!(article.status, ArticleStatus::Published);
        let public = client()
            .get(node.url(&format!("/api/v1/articles/{id}")))
            .send()
            .await
            .expect("api");
        assert_eq!(public.status(), 200, "public at the next request");
        for action in [
            AuditAction::ArticleSubmit,
            AuditAction::ArticleReturn,
            AuditAction::ArticlePublish,
        ] {
            assert!(
                logged(&store, action, None).await >= 1,
                "{action:?} in the log"
            );
        }

        // A correction needs its note, then shows on the public page. (The form here leaves the
        // publication time empty: that must not take the article off the site.)
        let version = article.version.to_string();
        let mut fields = vec![
            ("title", article.title.as_str()),
            ("category", news_text.as_str()),
            ("body", "<p>Hội nghị tổng kết năm, 1.520 hội viên.</p>"),
            ("version", version.as_str()),
        ];
        let r = post_form(&editor, &node, Some(id), &fields).await;
        names_field(r, StatusCode::UNPROCESSABLE_ENTITY, "correction_note").await;
        fields.push(("correction_note", "Sửa số hội viên."));
        let r = post_form(&editor, &node, Some(id), &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let url = format!("/tin/{}-{id}.html", article.slug);
        let page = page_text(&client(), node.url(&url)).await;
        assert!(
            page.contains("Sửa số hội viên.") && page.contains("1.520"),
            "{url}"
        );

        // Revisions list every save; restoring one is a new revision.
        let list = page_text(
            &editor,
            node.url(&format!("/admin/articles/{id}/revisions")),
        )
        .await;
        assert!(list.contains("Sửa số hội viên."), "{list}");
        let revisions = store.revisions(id).await.expect("revisions");
        let first = revisions.last().expect("the first").id;
        let compare = editor
            .get(node.url(&format!(
                "/admin/articles/{id}/compare?a={first}&b={}",
                revisions[0].id
            )))
            .send()
            .await
            .expect("compare");
        assert_eq!(compare.status(), 200);
        let compare = compare.text().await.expect("text");
        assert!(
            compare.contains("<ins") && compare.contains("<del"),
            "words marked"
        );
        // Restoring the first text of a public article is itself a correction, with its note.
        let token = page_token(&editor, &node, &format!("/admin/articles/{id}/revisions")).await;
        let version = stored(&store, id).await.version.to_string();
        let r = editor
            .post(node.url(&format!("/admin/articles/{id}/revisions/{first}/restore")))
            .form(&[
                ("_csrf", token.as_str()),
                ("version", version.as_str()),
                ("correction_note", "Trở lại bản đầu."),
            ])
            .send()
            .await
            .expect("restore");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let restored = stored(&store, id).await;
        assert!(
            restored.body.contains("Hội nghị tổng kết năm.") && !restored.body.contains("1.520")
        );
        assert_eq!(restored.status, ArticleStatus::Published);
        let after = store.revisions(id).await.expect("revisions");
        assert_eq!(after.len(), revisions.len() + 1);
        assert_eq!(after[0].note, "Trở lại bản đầu.");
        node.stop().await;
    }
);

dual_test!(autosave_preview_links_and_bulk, |backend| async move {
    let store = testing::store(backend).await;
    seed(&store).await;
    let news = category_id(&store, "tin-tuc").await;
    add_user(&store, "ctv", Role::Author).await;
    add_staff(&store, "bientap", Role::Editor, vec![news]).await;
    let node = Node::start(store.clone(), config()).await;
    let author = browser();
    sign_in(&author, &node, "ctv", PASSWORD).await;
    let token = page_token(&author, &node, "/admin/articles/new").await;
    let news_text = news.to_string();
    let autosave = |path: &str, fields: Vec<(&'static str, String)>| {
        author
            .post(node.url(path))
            .header("x-csrf-token", &token)
            .form(&fields)
            .send()
    };

    // The first autosave makes a draft; the next ones save over the version they hold.
    let r = autosave(
        "/admin/articles/autosave",
        vec![
            ("title", "Bản nháp tự lưu".into()),
            ("category", news_text.clone()),
        ],
    )
    .await
    .expect("autosave");
    assert_eq!(r.status(), 200);
    let saved: serde_json::Value = r.json().await.expect("json");
    let id = saved["id"].as_i64().expect("id");
    let version = saved["version"].as_i64().expect("version");
    let url = format!("/admin/articles/{id}/autosave");
    let r = autosave(
        &url,
        vec![
            ("title", "Bản nháp tự lưu, lần hai".into()),
            ("category", news_text.clone()),
            ("version", version.to_string()),
        ],
    )
    .await
    .expect("autosave");
    assert_eq!(r.status(), 200);
    // Another tab still on the first version: 409 with where to compare; nothing written.
    let r = autosave(
        &url,
        vec![
            ("title", "Từ thẻ khác".into()),
            ("category", news_text.clone()),
            ("version", version.to_string()),
        ],
    )
    .await
    .expect("autosave");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: serde_json::Value = r.json().await.expect("json");
    assert!(
        problem["compare_url"]
            .as_str()
            .is_some_and(|u| u.contains(&id.to_string()))
    );
    assert_eq!(stored(&store, id).await.title, "Bản nháp tự lưu, lần hai");
    // Bad input: 422 naming the field.
    let r = autosave(
        &url,
        vec![
            ("title", "".into()),
            ("category", news_text.clone()),
            ("version", (version + 1).to_string()),
        ],
    )
    .await
    .expect("autosave");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = r.json().await.expect("json");
    assert!(problem["fields"]["title"].is_string(), "{problem}");
    // Two autosaves within minutes are one revision.
    let kinds: Vec<String> = store
        .revisions(id)
        .await
        .expect("revisions")
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds, ["autosave", "create"].map(String::from).to_vec());

    // A preview link opens the draft without signing in; a forged one does not.
    let token = page_token(&author, &node, &format!("/admin/articles/{id}")).await;
    let r = author
        .post(node.url(&format!("/admin/articles/{id}/preview-link")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("link");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = location(&r)
        .split("preview=")
        .nth(1)
        .expect("a link")
        .to_string();
    let anyone = client();
    let preview = anyone
        .get(node.url(&format!("/xem-truoc/{link}")))
        .send()
        .await
        .expect("preview");
    assert_eq!(preview.status(), 200);
    assert_eq!(preview.headers()["cache-control"], "no-store");
    assert!(
        preview
            .text()
            .await
            .expect("text")
            .contains("Bản nháp tự lưu, lần hai")
    );
    let forged = format!("{}x", &link[..link.len() - 1]);
    for bad in [forged.as_str(), "1.99999999999.abc", "nonsense"] {
        let r = anyone
            .get(node.url(&format!("/xem-truoc/{bad}")))
            .send()
            .await
            .expect("preview");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    let draft_page = anyone
        .get(node.url(&format!("/tin/{}-{id}.html", stored(&store, id).await.slug)))
        .send()
        .await
        .expect("public");
    assert_eq!(
        draft_page.status(),
        StatusCode::NOT_FOUND,
        "a draft is not public"
    );

    // Bulk: the author may submit their own but not publish; the editor publishes.
    let token = page_token(&author, &node, "/admin/articles").await;
    let id_text = id.to_string();
    let bulk = |c: &Client, token: &str, action: &str| {
        c.post(node.url("/admin/articles/bulk"))
            .form(&[
                ("_csrf", token),
                ("ids", id_text.as_str()),
                ("bulk_action", action),
            ])
            .send()
    };
    let r = bulk(&author, &token, "publish").await.expect("bulk");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&store, id).await.status, ArticleStatus::Draft);
    bulk(&author, &token, "submit").await.expect("bulk");
    assert_eq!(stored(&store, id).await.status, ArticleStatus::Pending);
    let editor = browser();
    sign_in(&editor, &node, "bientap", PASSWORD).await;
    let token = page_token(&editor, &node, "/admin/articles").await;
    bulk(&editor, &token, "publish").await.expect("bulk");
    assert_eq!(stored(&store, id).await.status, ArticleStatus::Published);
    node.stop().await;
});
