//! The admin area through the real server, on SQLite and PostgreSQL: signing in and out, the
//! session cookie, throttling (also across two nodes), CSRF and same-origin checks, roles, and
//! that a disabled account is out at once.

use reqwest::{Client, StatusCode, header};
use sen_core::{Actor, Role};
use sen_store::{AuditAction, AuditQuery, Backend, Store, dual_test, testing};

use crate::common::*;

dual_test!(sign_in_use_and_sign_out, |backend| async move {
    let store = testing::store(backend).await;
    add_user(&store, "bientap", Role::Admin).await;
    let node = Node::start(store.clone(), config()).await;
    let c = browser();

    let door = c.get(node.url("/admin/users")).send().await.expect("admin");
    assert_eq!(door.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&door), "/admin/login?next=%2Fadmin%2Fusers");

    let wrong = sign_in(&c, &node, "bientap", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .expect("text")
            .contains("Tên đăng nhập hoặc mật khẩu không đúng")
    );

    let right = sign_in(&c, &node, "bientap", PASSWORD).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/admin");
    let cookie = right
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sen_admin="))
        .expect("a session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");

    let dashboard = c.get(node.url("/admin")).send().await.expect("dashboard");
    assert_eq!(dashboard.status(), 200);
    let headers = dashboard.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    let html = dashboard.text().await.expect("text");
    assert!(html.contains("Bảng điều khiển") && html.contains("Người dùng bientap"));
    assert!(!html.contains("<script>"), "no inline script");

    // Sign out: the session ends on the server, not only in this browser.
    let token = form_token(&html);
    let out = c
        .post(node.url("/admin/logout"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = c.get(node.url("/admin")).send().await.expect("admin");
    assert_eq!(after.status(), StatusCode::SEE_OTHER);

    let log = store
        .audit_log(&AuditQuery::default())
        .await
        .expect("audit");
    let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
    for action in [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
    ] {
        assert!(actions.contains(&action.as_str()), "{actions:?}");
    }
    assert!(
        log.entries
            .iter()
            .filter(|e| e.action.starts_with("sign_"))
            .all(|e| e.client_address.as_deref() == Some("127.0.0.1")),
        "every entry of the browser says from where"
    );
    node.stop().await;
});

dual_test!(next_stays_on_this_site, |backend| async move {
    let store = testing::store(backend).await;
    add_user(&store, "bientap", Role::Admin).await;
    let node = Node::start(store, config()).await;
    for (next, expected) in [
        ("https://evil.example/", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin/users", "/admin/users"),
    ] {
        let c = browser();
        let token = login_token(&c, &node).await;
        let response = c
            .post(node.url("/admin/login"))
            .form(&[
                ("_csrf", token.as_str()),
                ("username", "bientap"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), expected, "next={next}");
    }
    node.stop().await;
});

dual_test!(
    forms_without_their_token_change_nothing,
    |backend| async move {
        let store = testing::store(backend).await;
        add_user(&store, "quantri", Role::Admin).await;
        let node = Node::start(store.clone(), config()).await;
        let c = browser();
        assert_eq!(
            sign_in(&c, &node, "quantri", PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        let token = page_token(&c, &node, "/admin/users/new").await;
        let user = [
            ("username", "moi.nguoi"),
            ("display_name", "Người mới"),
            ("role", "author"),
        ];
        // No token, a wrong one, and the right one from another site.
        let missing = c
            .post(node.url("/admin/users/new"))
            .form(&user)
            .send()
            .await
            .expect("post");
        assert_eq!(missing.status(), StatusCode::FORBIDDEN);
        let mut wrong = user.to_vec();
        wrong.push(("_csrf", "0123456789abcdef"));
        let wrong = c
            .post(node.url("/admin/users/new"))
            .form(&wrong)
            .send()
            .await
            .expect("post");
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let mut right = user.to_vec();
        right.push(("_csrf", token.as_str()));
        let elsewhere = c
            .post(node.url("/admin/users/new"))
            .header(header::ORIGIN, "https://evil.example")
            .form(&right)
            .send()
            .await
            .expect("post");
        assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
        assert!(
            store
                .user_by_username("moi.nguoi")
                .await
                .expect("read")
                .is_none(),
            "nothing was created"
        );
        // The login form is protected too.
        let bare = Client::builder()
            .user_agent(BROWSER)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let login = bare
            .post(node.url("/admin/login"))
            .form(&[("username", "quantri"), ("password", PASSWORD)])
            .send()
            .await
            .expect("post");
        assert_eq!(login.status(), StatusCode::FORBIDDEN);

        // With its token the same form works, and the new user's password is shown once.
        let created = c
            .post(node.url("/admin/users/new"))
            .header(header::ORIGIN, node.url("").trim_end_matches('/'))
            .form(&right)
            .send()
            .await
            .expect("post");
        assert_eq!(created.status(), StatusCode::CREATED);
        assert!(
            created
                .text()
                .await
                .expect("text")
                .contains("chỉ hiện một lần")
        );
        let made = store
            .user_by_username("moi.nguoi")
            .await
            .expect("read")
            .expect("created");
        assert!(made.must_change_password);
        node.stop().await;
    }
);

dual_test!(
    bad_input_names_its_field_and_stores_nothing,
    |backend| async move {
        let store = testing::store(backend).await;
        add_user(&store, "quantri", Role::Admin).await;
        let node = Node::start(store.clone(), config()).await;
        let c = browser();
        sign_in(&c, &node, "quantri", PASSWORD).await;
        let token = page_token(&c, &node, "/admin/users/new").await;
        let before = store.users().await.expect("users").len();
        for (form, field, words) in [
            (
                vec![("username", "Ab"), ("role", "author")],
                "username",
                "Tên đăng nhập chỉ gồm",
            ),
            (vec![("username", "tac.gia")], "role", "Chọn vai trò"),
            (
                vec![("username", "quantri"), ("role", "editor")],
                "username",
                "đã có người dùng",
            ),
        ] {
            let mut form = form.clone();
            form.push(("_csrf", token.as_str()));
            let response = c
                .post(node.url("/admin/users/new"))
                .form(&form)
                .send()
                .await
                .expect("post");
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let html = response.text().await.expect("text");
            assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
            assert!(html.contains(words), "{words}");
            assert!(html.contains("aria-invalid=\"true\"") || field == "role");
        }
        assert_eq!(store.users().await.expect("users").len(), before);
        node.stop().await;
    }
);

dual_test!(roles_are_checked_on_the_server, |backend| async move {
    let store = testing::store(backend).await;
    add_user(&store, "ctv", Role::Author).await;
    let node = Node::start(store, config()).await;
    let c = browser();
    sign_in(&c, &node, "ctv", PASSWORD).await;
    let dashboard = c.get(node.url("/admin")).send().await.expect("dashboard");
    assert_eq!(dashboard.status(), 200);
    let html = dashboard.text().await.expect("text");
    assert!(!html.contains("/admin/users\""), "the menu hides users");
    for path in ["/admin/users", "/admin/users/new", "/admin/audit"] {
        let page = c.get(node.url(path)).send().await.expect("page");
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(page.text().await.expect("text").contains("Không có quyền"));
    }
    let token = page_token(&c, &node, "/admin/account").await;
    let post = c
        .post(node.url("/admin/users/new"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "ke.gian"),
            ("role", "admin"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(post.status(), StatusCode::FORBIDDEN);
    node.stop().await;
});

dual_test!(a_disabled_account_is_out_at_once, |backend| async move {
    let store = testing::store(backend).await;
    let id = add_user(&store, "bientap", Role::Editor).await;
    add_user(&store, "quantri", Role::Admin).await;
    let node = Node::start(store.clone(), config()).await;
    let editor = browser();
    sign_in(&editor, &node, "bientap", PASSWORD).await;
    assert_eq!(
        editor
            .get(node.url("/admin"))
            .send()
            .await
            .expect("in")
            .status(),
        200
    );
    let admin = browser();
    sign_in(&admin, &node, "quantri", PASSWORD).await;
    let token = page_token(&admin, &node, &format!("/admin/users/{id}")).await;
    let disabled = admin
        .post(node.url(&format!("/admin/users/{id}/disable")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("disable");
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let out = editor.get(node.url("/admin")).send().await.expect("out");
    assert_eq!(out.status(), StatusCode::SEE_OTHER, "the session ended");
    let again = sign_in(&editor, &node, "bientap", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    node.stop().await;
});

/// Two nodes of one database: a session made on one works on the other, and failures spread over
/// both count together.
async fn two_nodes(backend: Backend) -> (Node, Node, Store) {
    let url = testing::fresh_url(backend).await;
    let a = Store::open(&url).await.expect("a");
    let b = Store::open(&url).await.expect("b");
    add_user(&a, "bientap", Role::Admin).await;
    let first = Node::start(a.clone(), config()).await;
    let second = Node::start(b, config()).await;
    (first, second, a)
}

dual_test!(
    sessions_and_throttling_hold_across_nodes,
    |backend| async move {
        let (first, second, store) = two_nodes(backend).await;
        let c = browser();
        assert_eq!(
            sign_in(&c, &first, "bientap", PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        // The cookie is the host's (both nodes are 127.0.0.1): the second node knows the session.
        let there = c
            .get(second.url("/admin"))
            .send()
            .await
            .expect("other node");
        assert_eq!(there.status(), 200);

        let attacker = browser();
        for round in 0..5 {
            let node = if round % 2 == 0 { &first } else { &second };
            let wrong = sign_in(&attacker, node, "bientap", "wrong-password-0").await;
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "failure {round}");
        }
        for node in [&first, &second] {
            let sixth = sign_in(&attacker, node, "bientap", PASSWORD).await;
            assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
            let retry: i64 = sixth.headers()[header::RETRY_AFTER]
                .to_str()
                .expect("header")
                .parse()
                .expect("seconds");
            assert!((1..=900).contains(&retry), "{retry}");
            assert!(sixth.text().await.expect("text").contains("thử lại sau"));
        }
        let log = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SignInThrottled),
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(log.total, 2);
        first.stop().await;
        second.stop().await;
    }
);

dual_test!(own_password_and_tokens, |backend| async move {
    let store = testing::store(backend).await;
    add_user(&store, "bientap", Role::Editor).await;
    let node = Node::start(store.clone(), config()).await;
    let c = browser();
    sign_in(&c, &node, "bientap", PASSWORD).await;

    // A token made in the admin works on the API's token check and is shown once.
    let token = page_token(&c, &node, "/admin/account").await;
    let made = c
        .post(node.url("/admin/account/tokens"))
        .form(&[
            ("_csrf", token.as_str()),
            ("name", "Đồng bộ"),
            ("expires", "30"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(made.status(), StatusCode::CREATED);
    let html = made.text().await.expect("text");
    let start = html.find("sen_").expect("the token shown");
    let secret: String = html[start..]
        .chars()
        .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-')
        .collect();
    let now = time::OffsetDateTime::now_utc();
    assert!(
        store
            .token_user(&secret, now)
            .await
            .expect("lookup")
            .is_some()
    );
    assert_eq!(
        page_token(&c, &node, "/admin/account").await.len(),
        token.len()
    );
    let shown_again = c
        .get(node.url("/admin/account"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(!shown_again.contains(&secret), "shown only once");

    // A new password: a wrong current one is refused, the right one keeps this browser signed in.
    let token = page_token(&c, &node, "/admin/password").await;
    let refused = c
        .post(node.url("/admin/password"))
        .form(&[
            ("_csrf", token.as_str()),
            ("current_password", "not-the-password"),
            ("password", "Mot-cau-de-nho-2027"),
            ("password_confirm", "Mot-cau-de-nho-2027"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let changed = c
        .post(node.url("/admin/password"))
        .form(&[
            ("_csrf", token.as_str()),
            ("current_password", PASSWORD),
            ("password", "Mot-cau-de-nho-2027"),
            ("password_confirm", "Mot-cau-de-nho-2027"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get(node.url("/admin/account"))
            .send()
            .await
            .expect("page")
            .status(),
        200
    );
    let other = browser();
    assert_eq!(
        sign_in(&other, &node, "bientap", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    node.stop().await;
});

dual_test!(
    site_categories_and_pages_from_the_admin,
    |backend| async move {
        let store = testing::store(backend).await;
        seed(&store).await;
        add_user(&store, "quantri", Role::Admin).await;
        add_user(&store, "bientap", Role::Editor).await;
        let node = Node::start(store.clone(), config()).await;
        let c = browser();
        sign_in(&c, &node, "quantri", PASSWORD).await;

        // The site: every broken rule is named at once, nothing is stored; then a good change shows
        // in the public footer at the next request.
        let token = page_token(&c, &node, "/admin/site").await;
        let site = store.site().await.expect("site");
        let mut form: Vec<(&str, String)> = vec![
            ("_csrf", token.clone()),
            ("name", site.name.clone()),
            ("governing_body", site.governing_body.clone()),
            ("address", String::new()),
            ("phone", "gọi tôi".into()),
            ("email", site.email.clone()),
            ("responsible_person", site.responsible_person.clone()),
            ("visits_base", "0".into()),
        ];
        let refused = c
            .post(node.url("/admin/site"))
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.expect("text");
        assert!(html.contains("href=\"#address\"") && html.contains("href=\"#phone\""));
        assert_eq!(store.site().await.expect("site"), site, "nothing stored");
        form[3].1 = "Số 9 đường Hùng Vương".into();
        form[4].1 = "0235 3 999 888".into();
        let saved = c
            .post(node.url("/admin/site"))
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let home = page_text(&client(), node.url("/")).await;
        assert!(home.contains("0235 3 999 888") && home.contains("Số 9 đường Hùng Vương"));

        // A category: created, renamed (the old address redirects), refused deletion while not empty.
        let token = page_token(&c, &node, "/admin/categories/new").await;
        let created = c
            .post(node.url("/admin/categories/new"))
            .form(&[
                ("_csrf", token.as_str()),
                ("name", "Hoạt động hội viên"),
                ("slug", ""),
                ("position", "9"),
                ("in_menu", "1"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let made = store
            .categories()
            .await
            .expect("categories")
            .into_iter()
            .find(|k| k.name == "Hoạt động hội viên")
            .expect("created");
        assert_eq!(made.slug, "hoat-dong-hoi-vien");
        let renamed = c
            .post(node.url(&format!("/admin/categories/{}", made.id)))
            .form(&[
                ("_csrf", token.as_str()),
                ("name", "Hội viên"),
                ("slug", "hoi-vien"),
                ("position", "9"),
                ("in_menu", "1"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
        let old = client()
            .get(node.url("/chuyen-muc/hoat-dong-hoi-vien"))
            .send()
            .await
            .expect("old address");
        assert_eq!(old.status(), StatusCode::MOVED_PERMANENTLY);
        let parent = store
            .categories()
            .await
            .expect("categories")
            .into_iter()
            .find(|k| k.parent_id.is_none() && k.id != made.id)
            .expect("a seeded category");
        let refused = c
            .post(node.url(&format!("/admin/categories/{}/delete", parent.id)))
            .form(&[("_csrf", token.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert!(
            refused
                .text()
                .await
                .expect("text")
                .contains("Chưa xóa được")
        );
        let deleted = c
            .post(node.url(&format!("/admin/categories/{}/delete", made.id)))
            .form(&[("_csrf", token.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);

        // A static page: a script in its body does not survive; a taken slug is named.
        let token = page_token(&c, &node, "/admin/pages/new").await;
        let page = c
            .post(node.url("/admin/pages/new"))
            .form(&[
                ("_csrf", token.as_str()),
                ("title", "Liên hệ tòa soạn"),
                ("slug", "lien-he-toa-soan"),
                ("body", "<p>Gọi <b>0235</b></p><script>alert(1)</script>"),
                ("position", "3"),
                ("in_menu", "1"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(page.status(), StatusCode::SEE_OTHER);
        let public = page_text(&client(), node.url("/trang/lien-he-toa-soan")).await;
        assert!(public.contains("<b>0235</b>") && !public.contains("alert(1)"));
        let taken = c
            .post(node.url("/admin/pages/new"))
            .form(&[
                ("_csrf", token.as_str()),
                ("title", "Trùng"),
                ("slug", "lien-he-toa-soan"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.expect("text").contains("href=\"#slug\""));

        // An editor may not change any of it.
        let editor = browser();
        sign_in(&editor, &node, "bientap", PASSWORD).await;
        for path in ["/admin/site", "/admin/categories", "/admin/pages/new"] {
            let page = editor.get(node.url(path)).send().await.expect("page");
            assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        }
        let log = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SiteUpdate),
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        // The seed wrote the site first; the newest entry is the admin's, with before and after.
        assert_eq!(log.entries[0].actor_name, "quantri");
        assert!(
            log.entries[0]
                .details
                .to_string()
                .contains("0235 3 999 888")
        );
        node.stop().await;
    }
);

/// The code an authenticator app shows now (`ahead` steps later).
fn code_now(secret: &[u8], ahead: i64) -> String {
    let t = time::OffsetDateTime::now_utc().unix_timestamp() + ahead * sen_core::totp::STEP_SECS;
    sen_core::totp::code_at(secret, t).expect("a code")
}

/// A code no step near now has.
fn wrong_code(secret: &[u8]) -> String {
    let near: Vec<String> = (-2..=2).map(|k| code_now(secret, k)).collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}

/// Turns the second factor on for `user_id` in the store; its secret and recovery codes.
async fn enrol_in_store(store: &Store, user_id: i64) -> (Vec<u8>, Vec<String>) {
    let secret = sen_store::new_totp_secret();
    let codes = store
        .enable_second_factor(
            &Actor::CLI,
            user_id,
            &secret,
            &code_now(&secret, 0),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("enable")
        .expect("right code");
    (secret, codes)
}

async fn post_code(c: &Client, node: &Node, code: &str) -> reqwest::Response {
    let token = page_token(c, node, "/admin/login/code").await;
    c.post(node.url("/admin/login/code"))
        .form(&[("_csrf", token.as_str()), ("code", code), ("next", "")])
        .send()
        .await
        .expect("code")
}

fn session_cookie_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sen_admin="))
        .map(str::to_string)
}

/// Signs in with the password and then the code of the second factor (enrolled just now).
async fn sign_in_with_code(c: &Client, node: &Node, username: &str, secret: &[u8]) {
    let first = sign_in(c, node, username, PASSWORD).await;
    assert_eq!(location(&first), "/admin/login/code");
    // The next step's code: the current one was spent at enrolment.
    let done = post_code(c, node, &code_now(secret, 1)).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/admin");
}

async fn actions_of(store: &Store, action: AuditAction) -> Vec<sen_store::AuditEntry> {
    store
        .audit_log(&AuditQuery {
            action: Some(action),
            ..AuditQuery::default()
        })
        .await
        .expect("audit")
        .entries
}

dual_test!(
    a_second_factor_is_enrolled_and_asked_at_sign_in,
    |backend| async move {
        let store = testing::store(backend).await;
        let id = add_user(&store, "bientap", Role::Editor).await;
        let node = Node::start(store.clone(), config()).await;
        let c = browser();
        sign_in(&c, &node, "bientap", PASSWORD).await;
        let account = page_text(&c, node.url("/admin/account")).await;
        assert!(account.contains("Xác thực hai lớp") && account.contains("Bật xác thực hai lớp"));

        // The enrolment page: a QR code as inline SVG and the secret to type.
        let enrol = page_text(&c, node.url("/admin/account/second-factor")).await;
        assert!(enrol.contains("<svg") && enrol.contains("Google Authenticator"));
        let at = enrol.find("data-secret=\"").expect("the secret") + 13;
        let shown = &enrol[at..at + 32];
        let secret = sen_core::totp::parse_secret(shown).expect("a secret");
        let token = form_token(&enrol);
        let post = |code: String| {
            let (c, url, token, shown) = (
                c.clone(),
                node.url("/admin/account/second-factor"),
                token.clone(),
                shown.to_string(),
            );
            async move {
                c.post(url)
                    .form(&[("_csrf", token), ("secret", shown), ("code", code)])
                    .send()
                    .await
                    .expect("enrol")
            }
        };
        let wrong = post(wrong_code(&secret)).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong
                .text()
                .await
                .expect("text")
                .contains("Mã xác thực không đúng")
        );
        assert!(
            !store
                .user(id)
                .await
                .expect("user")
                .expect("user")
                .totp_enabled
        );
        let enrol_code = code_now(&secret, 0);
        let done = post(enrol_code.clone()).await;
        assert_eq!(done.status(), 200);
        let html = done.text().await.expect("text");
        assert!(html.contains("Mã khôi phục"));
        let recovery: Vec<String> = html
            .split("<li><code>")
            .skip(1)
            .filter_map(|s| s.split('<').next())
            .map(str::to_string)
            .collect();
        assert_eq!(recovery.len(), 10, "{recovery:?}");
        assert!(
            store
                .user(id)
                .await
                .expect("user")
                .expect("user")
                .totp_enabled
        );
        let again = page_text(&c, node.url("/admin/account")).await;
        assert!(!again.contains(&recovery[0]), "shown once");

        // The password alone gives a pending sign-in that opens nothing but the code page.
        let c = browser();
        let first = sign_in(&c, &node, "bientap", PASSWORD).await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&first), "/admin/login/code");
        let pending_cookie = session_cookie_of(&first).expect("a pending session");
        for path in ["/admin", "/admin/account", "/admin/account/second-factor"] {
            let door = c.get(node.url(path)).send().await.expect("page");
            assert_eq!(door.status(), StatusCode::SEE_OTHER, "{path}");
            assert!(location(&door).starts_with("/admin/login"), "{path}");
        }
        // The code of enrolment is spent; a recovery code works once; the session is new.
        let replay = post_code(&c, &node, &enrol_code).await;
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
        let by_recovery = post_code(&c, &node, &recovery[0]).await;
        assert_eq!(by_recovery.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&by_recovery), "/admin");
        let full_cookie = session_cookie_of(&by_recovery).expect("a new session");
        assert_ne!(full_cookie, pending_cookie);
        assert_eq!(
            c.get(node.url("/admin"))
                .send()
                .await
                .expect("page")
                .status(),
            200
        );

        let c = browser();
        sign_in(&c, &node, "bientap", PASSWORD).await;
        assert_eq!(
            post_code(&c, &node, &recovery[0]).await.status(),
            StatusCode::UNAUTHORIZED
        );
        // The next step's code (one step of skew) signs in.
        let next = post_code(&c, &node, &code_now(&secret, 1)).await;
        assert_eq!(next.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&next), "/admin");

        // Turning it off needs the password (or a code).
        let token = page_token(&c, &node, "/admin/account").await;
        let off = |proof: &'static str| {
            let (c, url, token) = (
                c.clone(),
                node.url("/admin/account/second-factor/disable"),
                token.clone(),
            );
            async move {
                c.post(url)
                    .form(&[("_csrf", token.as_str()), ("proof", proof)])
                    .send()
                    .await
                    .expect("disable")
            }
        };
        assert_eq!(
            off("not-the-password").await.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let turned_off = off(PASSWORD).await;
        assert_eq!(turned_off.status(), StatusCode::SEE_OTHER);
        assert!(
            !store
                .user(id)
                .await
                .expect("user")
                .expect("user")
                .totp_enabled
        );
        for action in [
            AuditAction::SecondFactorEnable,
            AuditAction::SecondFactorFailed,
            AuditAction::RecoveryCodeUsed,
            AuditAction::SecondFactorDisable,
        ] {
            assert!(!actions_of(&store, action).await.is_empty(), "{action:?}");
        }
        node.stop().await;
    }
);

dual_test!(wrong_codes_are_throttled, |backend| async move {
    let store = testing::store(backend).await;
    let id = add_user(&store, "quantri", Role::Admin).await;
    let (secret, _) = enrol_in_store(&store, id).await;
    let node = Node::start(store.clone(), config()).await;
    let c = browser();
    let first = sign_in(&c, &node, "quantri", PASSWORD).await;
    assert_eq!(location(&first), "/admin/login/code");
    let wrong = wrong_code(&secret);
    for _ in 0..5 {
        let refused = post_code(&c, &node, &wrong).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(
            refused
                .text()
                .await
                .expect("text")
                .contains("Mã xác thực không đúng")
        );
    }
    let throttled = post_code(&c, &node, &code_now(&secret, 0)).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        actions_of(&store, AuditAction::SecondFactorFailed)
            .await
            .len(),
        5
    );
    node.stop().await;
});

dual_test!(
    the_requirement_sends_editors_to_enrol_but_not_authors,
    |backend| async move {
        let store = testing::store(backend).await;
        let admin = add_user(&store, "quantri", Role::Admin).await;
        add_user(&store, "bientap", Role::Editor).await;
        add_user(&store, "tacgia", Role::Author).await;
        let (secret, _) = enrol_in_store(&store, admin).await;
        let node = Node::start(store.clone(), config()).await;

        let c = browser();
        sign_in_with_code(&c, &node, "quantri", &secret).await;
        let token = page_token(&c, &node, "/admin/security").await;
        let saved = c
            .post(node.url("/admin/security"))
            .form(&[("_csrf", token.as_str()), ("require_second_factor", "on")])
            .send()
            .await
            .expect("save");
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&saved), "/admin/security?done=security_saved");
        assert!(store.second_factor_required().await.expect("setting"));
        let entries = actions_of(&store, AuditAction::SecurityUpdate).await;
        assert_eq!(entries[0].details["after"]["require_second_factor"], true);
        assert_eq!(entries[0].actor_id, Some(admin));

        let editor = browser();
        sign_in(&editor, &node, "bientap", PASSWORD).await;
        for path in ["/admin", "/admin/account", "/admin/users"] {
            let door = editor.get(node.url(path)).send().await.expect("page");
            assert_eq!(door.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&door), "/admin/account/second-factor", "{path}");
        }
        let enrol = page_text(&editor, node.url("/admin/account/second-factor")).await;
        assert!(enrol.contains("Cổng yêu cầu quản trị viên và biên tập viên"));

        let author = browser();
        sign_in(&author, &node, "tacgia", PASSWORD).await;
        assert_eq!(
            author
                .get(node.url("/admin"))
                .send()
                .await
                .expect("page")
                .status(),
            200
        );
        node.stop().await;
    }
);

dual_test!(an_admin_resets_a_lost_second_factor, |backend| async move {
    let store = testing::store(backend).await;
    let admin = add_user(&store, "quantri", Role::Admin).await;
    let editor = add_user(&store, "bientap", Role::Editor).await;
    enrol_in_store(&store, editor).await;
    let node = Node::start(store.clone(), config()).await;
    let c = browser();
    sign_in(&c, &node, "quantri", PASSWORD).await;
    let path = format!("/admin/users/{editor}");
    let page = page_text(&c, node.url(&path)).await;
    assert!(page.contains("Tắt xác thực hai lớp"));
    let token = form_token(&page);
    let reset = c
        .post(node.url(&format!("{path}/second-factor/reset")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&reset), "/admin/users?done=second_factor_reset");
    assert!(
        !store
            .user(editor)
            .await
            .expect("user")
            .expect("user")
            .totp_enabled
    );
    let entries = actions_of(&store, AuditAction::SecondFactorDisable).await;
    assert_eq!(entries[0].actor_id, Some(admin));
    assert_eq!(entries[0].details["reset"], true);

    let phone_lost = browser();
    let back = sign_in(&phone_lost, &node, "bientap", PASSWORD).await;
    assert_eq!(location(&back), "/admin");
    node.stop().await;
});
