//! Accounts, sessions, sign-in throttling, API tokens and the audit log, on SQLite and PostgreSQL.

use std::net::IpAddr;

use sen_core::totp;
use sen_core::{Actor, CategoryInput, ErrorCode, NewUser, Role, User};
use sen_store::{
    AuditAction, AuditQuery, Confirmation, FAILURE_WINDOW, PENDING_SIGN_IN, SESSION_ABSOLUTE,
    SESSION_IDLE, SecondFactorOutcome, SignIn, SignInOutcome, Store, StoreError, dual_test,
    new_totp_secret, testing,
};
use time::{Duration, OffsetDateTime, macros::datetime};

/// The injected clock, far ahead of the real one that stamps writes made without a `now`.
const T0: OffsetDateTime = datetime!(2100-01-01 08:00 UTC);
const PASSWORD: &str = "Hà Lam mùa thu 2026";

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().expect("ip"))
}

fn new_user(username: &str, role: Role) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: String::new(),
        role,
        password: PASSWORD.into(),
        categories: vec![],
        must_change_password: false,
    }
}

async fn add(store: &Store, username: &str, role: Role) -> User {
    store
        .create_user(&Actor::CLI, new_user(username, role))
        .await
        .expect("create user")
}

fn attempt(username: &str, password: &str, client: &str) -> SignIn {
    SignIn {
        username: username.into(),
        password: password.into(),
        client: ip(client),
        user_agent: "Mozilla/5.0 test".into(),
    }
}

async fn sign_in(store: &Store, a: &SignIn, now: OffsetDateTime) -> SignInOutcome {
    store.sign_in(a, now).await.expect("sign in")
}

/// Signs in and returns the session token.
async fn token_for(store: &Store, username: &str, now: OffsetDateTime) -> String {
    match sign_in(store, &attempt(username, PASSWORD, "198.51.100.1"), now).await {
        SignInOutcome::SignedIn(new) => new.token,
        other => panic!("not signed in: {other:?}"),
    }
}

async fn actions(store: &Store) -> Vec<String> {
    let page = store
        .audit_log(&AuditQuery {
            per_page: 500,
            ..AuditQuery::default()
        })
        .await
        .expect("audit log");
    page.entries.into_iter().rev().map(|e| e.action).collect()
}

dual_test!(users_are_created_listed_and_changed, |backend| async move {
    let store = testing::store(backend).await;
    assert!(!store.has_admin().await.expect("has admin"));
    let admin = add(&store, " Admin ", Role::Admin).await;
    assert_eq!(admin.username, "admin");
    assert!(store.has_admin().await.expect("has admin"));

    let taken = store
        .create_user(&Actor::CLI, new_user("ADMIN", Role::Author))
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict("username"))),
        "{taken:?}"
    );
    let bad = store
        .create_user(&Actor::CLI, new_user("a b", Role::Author))
        .await
        .expect_err("bad username");
    assert_eq!(bad.field(), Some("username"));
    let mut weak = new_user("tacgia", Role::Author);
    weak.password = "matkhau123".into();
    match store.create_user(&Actor::CLI, weak).await {
        Err(StoreError::Invalid(e)) => {
            assert_eq!((e.field, e.code), ("password", ErrorCode::CommonPassword))
        }
        other => panic!("{other:?}"),
    }
    let mut ghost = new_user("ghost", Role::Editor);
    ghost.categories = vec![999];
    let missing = store.create_user(&Actor::CLI, ghost).await;
    assert!(
        matches!(missing, Err(StoreError::MissingReference("categories"))),
        "{missing:?}"
    );
    assert!(
        store
            .user_by_username("ghost")
            .await
            .expect("read")
            .is_none(),
        "nothing stored"
    );

    let news = store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Tin tức".into(),
                ..Default::default()
            },
        )
        .await
        .expect("category")
        .id;
    let mut editor = new_user("bientap", Role::Editor);
    editor.display_name = "Trần  Thị B".into();
    editor.categories = vec![news, news];
    let editor = store
        .create_user(&Actor::CLI, editor)
        .await
        .expect("editor");
    assert_eq!(editor.categories, vec![news]);
    assert_eq!(editor.display_name, "Trần Thị B");
    let read = store
        .user_by_username("BienTap")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read, editor);
    assert_eq!(
        store.user(editor.id).await.expect("read"),
        Some(editor.clone())
    );
    assert!(
        store
            .user_by_username("no such")
            .await
            .expect("read")
            .is_none()
    );
    let names: Vec<String> = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, vec!["admin", "bientap"]);

    let actor = admin.actor(ip("203.0.113.7"));
    let changed = store
        .update_user(&actor, editor.id, "Trần Thị B", Role::Author, &[news])
        .await
        .expect("update");
    assert_eq!(
        (changed.role, changed.categories.clone()),
        (Role::Author, vec![])
    );
    assert_eq!(store.user(editor.id).await.expect("read"), Some(changed));
    let entry = store
        .audit_log(&AuditQuery {
            action: Some(AuditAction::UserRole),
            ..AuditQuery::default()
        })
        .await
        .expect("audit")
        .entries
        .remove(0);
    assert_eq!(entry.actor_id, Some(admin.id));
    assert_eq!(entry.client_address.as_deref(), Some("203.0.113.7"));
    assert_eq!(entry.target, format!("user:{}", editor.id));
    assert_eq!(entry.details["before"]["role"], "editor");
    assert_eq!(entry.details["before"]["categories"][0], news);
    assert_eq!(entry.details["after"]["role"], "author");
    assert!(matches!(
        store.update_user(&actor, 9999, "", Role::Admin, &[]).await,
        Err(StoreError::NotFound)
    ));
});

dual_test!(signing_in_and_out_is_audited, |backend| async move {
    let store = testing::store(backend).await;
    let user = add(&store, "nguyenvana", Role::Author).await;
    let new = match sign_in(&store, &attempt("NguyenVanA", PASSWORD, "198.51.100.1"), T0).await {
        SignInOutcome::SignedIn(new) => new,
        other => panic!("{other:?}"),
    };
    assert_eq!(new.token.len(), 43);
    assert_eq!(new.session.csrf_secret.len(), 43);
    let session = store
        .session(&new.token, T0)
        .await
        .expect("lookup")
        .expect("live");
    assert_eq!(session.user, user);
    assert_eq!(session.csrf_secret, new.session.csrf_secret);
    assert_eq!(session.client_address.as_deref(), Some("198.51.100.1"));
    assert_eq!(session.user_agent, "Mozilla/5.0 test");
    assert!(
        store
            .session("not a token", T0)
            .await
            .expect("lookup")
            .is_none()
    );

    for (name, password) in [
        ("nguyenvana", "wrong password!"),
        ("nobody", PASSWORD),
        ("x y", PASSWORD),
    ] {
        assert!(matches!(
            sign_in(&store, &attempt(name, password, "198.51.100.2"), T0).await,
            SignInOutcome::Refused
        ));
    }
    // A new sign-in is a new session; the first goes on.
    let second = token_for(&store, "nguyenvana", T0).await;
    assert_ne!(second, new.token);
    store
        .sign_out(&new.token, ip("198.51.100.1"), T0)
        .await
        .expect("sign out");
    assert!(
        store
            .session(&new.token, T0)
            .await
            .expect("lookup")
            .is_none()
    );
    assert!(store.session(&second, T0).await.expect("lookup").is_some());
    store
        .sign_out(&new.token, None, T0)
        .await
        .expect("again: nothing happens");
    let ended = store
        .sign_out_everywhere(&user.actor(None), user.id, T0)
        .await
        .expect("everywhere");
    assert_eq!(ended, 1);
    assert!(store.session(&second, T0).await.expect("lookup").is_none());

    assert_eq!(
        actions(&store).await,
        vec![
            "user_create",
            "sign_in",
            "sign_in_failed",
            "sign_in_failed",
            "sign_in_failed",
            "sign_in",
            "sign_out",
            "sign_out_everywhere"
        ]
    );
    let failed = store
        .audit_log(&AuditQuery {
            action: Some(AuditAction::SignInFailed),
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    let reasons: Vec<&str> = failed
        .entries
        .iter()
        .rev()
        .map(|e| e.details["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        reasons,
        vec!["wrong_password", "unknown_user", "unknown_user"]
    );
    assert!(
        failed
            .entries
            .iter()
            .all(|e| e.actor_id.is_none() && e.actor_name == "anonymous")
    );
    assert_eq!(
        failed.entries[2].client_address.as_deref(),
        Some("198.51.100.2")
    );
});

dual_test!(sessions_end_when_idle_or_old, |backend| async move {
    let store = testing::store(backend).await;
    add(&store, "bientap", Role::Editor).await;
    let token = token_for(&store, "bientap", T0).await;
    let seen = |t: OffsetDateTime| {
        let store = store.clone();
        let token = token.clone();
        async move {
            store
                .session(&token, t)
                .await
                .expect("lookup")
                .map(|s| s.last_seen_at)
        }
    };
    // Within a minute the request is not written down.
    assert_eq!(seen(T0 + Duration::seconds(30)).await, Some(T0));
    let t1 = T0 + SESSION_IDLE - Duration::minutes(1);
    assert_eq!(seen(t1).await, Some(t1));
    // Idle is counted from the last request.
    let t2 = t1 + SESSION_IDLE - Duration::minutes(1);
    assert_eq!(seen(t2).await, Some(t2));
    assert_eq!(seen(t2 + SESSION_IDLE).await, None, "idle too long");

    let token = token_for(&store, "bientap", T0).await;
    let mut t = T0;
    while t + Duration::hours(1) < T0 + SESSION_ABSOLUTE {
        t += Duration::hours(1);
        assert!(
            store.session(&token, t).await.expect("lookup").is_some(),
            "at {t}"
        );
    }
    assert!(
        store
            .session(&token, T0 + SESSION_ABSOLUTE)
            .await
            .expect("lookup")
            .is_none(),
        "never past the absolute time-out"
    );

    token_for(&store, "bientap", T0).await;
    let pruned = store
        .prune_sessions(T0 + SESSION_ABSOLUTE)
        .await
        .expect("prune");
    assert_eq!(pruned, 3);
});

dual_test!(a_disabled_user_is_out_at_once, |backend| async move {
    let store = testing::store(backend).await;
    let admin = add(&store, "admin", Role::Admin).await;
    let user = add(&store, "tacgia", Role::Author).await;
    let session = token_for(&store, "tacgia", T0).await;
    let api = store
        .create_token(&Actor::CLI, user.id, "máy", None, T0)
        .await
        .expect("token");
    assert!(
        store
            .token_user(&api.token, T0)
            .await
            .expect("auth")
            .is_some()
    );

    store
        .set_disabled(&admin.actor(None), user.id, true)
        .await
        .expect("disable");
    assert!(store.session(&session, T0).await.expect("lookup").is_none());
    assert!(
        store
            .token_user(&api.token, T0)
            .await
            .expect("auth")
            .is_none()
    );
    assert!(matches!(
        sign_in(&store, &attempt("tacgia", PASSWORD, "198.51.100.1"), T0).await,
        SignInOutcome::Refused
    ));
    // Back again: the token works; the sessions ended for good.
    store
        .set_disabled(&admin.actor(None), user.id, false)
        .await
        .expect("enable");
    assert!(
        store
            .token_user(&api.token, T0)
            .await
            .expect("auth")
            .is_some()
    );
    assert!(store.session(&session, T0).await.expect("lookup").is_none());
    assert!(matches!(
        store.set_disabled(&Actor::CLI, 9999, true).await,
        Err(StoreError::NotFound)
    ));
    let log = actions(&store).await;
    for action in ["user_disable", "sign_in_failed", "user_enable"] {
        assert!(log.iter().any(|a| a == action), "{log:?}");
    }
});

dual_test!(a_new_password_ends_the_sessions, |backend| async move {
    let store = testing::store(backend).await;
    let user = add(&store, "tacgia", Role::Author).await;
    let session = token_for(&store, "tacgia", T0).await;
    let weak = store
        .set_password(&Actor::CLI, user.id, "tacgia", true)
        .await;
    assert!(matches!(weak, Err(StoreError::Invalid(e)) if e.code == ErrorCode::TooShort));
    let same = store
        .set_password(&Actor::CLI, user.id, "TacGia", true)
        .await;
    assert!(matches!(same, Err(StoreError::Invalid(_))));
    store
        .set_password(&Actor::CLI, user.id, "một mật khẩu mới", true)
        .await
        .expect("set");
    assert!(store.session(&session, T0).await.expect("lookup").is_none());
    assert!(matches!(
        sign_in(&store, &attempt("tacgia", PASSWORD, "198.51.100.1"), T0).await,
        SignInOutcome::Refused
    ));
    match sign_in(
        &store,
        &attempt("tacgia", "một mật khẩu mới", "198.51.100.1"),
        T0,
    )
    .await
    {
        SignInOutcome::SignedIn(new) => assert!(new.session.user.must_change_password),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store
            .set_password(&Actor::CLI, 9999, "một mật khẩu mới", false)
            .await,
        Err(StoreError::NotFound)
    ));
});

dual_test!(
    five_failures_throttle_the_account_and_the_address,
    |backend| async move {
        let store = testing::store(backend).await;
        add(&store, "admin", Role::Admin).await;
        for i in 0..5 {
            let t = T0 + Duration::minutes(i);
            assert!(matches!(
                sign_in(
                    &store,
                    &attempt("admin", "wrong password", "198.51.100.1"),
                    t
                )
                .await,
                SignInOutcome::Refused
            ));
        }
        // The sixth, even with the right password and from elsewhere, waits for the window's end.
        let t = T0 + Duration::minutes(5);
        match sign_in(&store, &attempt("admin", PASSWORD, "203.0.113.50"), t).await {
            SignInOutcome::Throttled { retry_after } => {
                assert_eq!(retry_after, Duration::minutes(10))
            }
            other => panic!("{other:?}"),
        }
        // The address is throttled for every account.
        match sign_in(&store, &attempt("someone", "x", "198.51.100.1"), t).await {
            SignInOutcome::Throttled { .. } => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store
                .sign_in_wait("admin", None, T0 + FAILURE_WINDOW - Duration::seconds(1))
                .await
                .expect("wait"),
            Some(Duration::SECOND)
        );
        let after = T0 + FAILURE_WINDOW;
        assert_eq!(
            store
                .sign_in_wait("admin", ip("198.51.100.1"), after)
                .await
                .expect("wait"),
            None
        );
        token_for(&store, "admin", after).await;

        // A success clears the account's count, not the addresses'.
        for i in 0..4 {
            sign_in(
                &store,
                &attempt("admin", "wrong password", &format!("192.0.2.{i}")),
                after,
            )
            .await;
        }
        token_for(&store, "admin", after).await;
        for _ in 0..4 {
            sign_in(
                &store,
                &attempt("admin", "wrong password", "192.0.2.100"),
                after,
            )
            .await;
        }
        assert_eq!(
            store
                .sign_in_wait("admin", ip("192.0.2.200"), after)
                .await
                .expect("wait"),
            None
        );
        // IPv6 clients count by /64.
        for i in 0..5 {
            sign_in(
                &store,
                &attempt(
                    &format!("u{i}x"),
                    "wrong password",
                    &format!("2001:db8:5:6::{i}"),
                ),
                after,
            )
            .await;
        }
        assert!(
            store
                .sign_in_wait("other", ip("2001:db8:5:6:ffff::1"), after)
                .await
                .expect("wait")
                .is_some()
        );
        assert!(
            store
                .sign_in_wait("other", ip("2001:db8:5:7::1"), after)
                .await
                .expect("wait")
                .is_none()
        );
        let throttled = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SignInThrottled),
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(throttled.total, 2);
        // Left: the first address, four more, the account's new count, the last address, five
        // unknown accounts and the /64.
        assert_eq!(
            store
                .prune_login_failures(after + FAILURE_WINDOW)
                .await
                .expect("prune"),
            13
        );
    }
);

dual_test!(failures_add_up_across_nodes, |backend| async move {
    let url = testing::fresh_url(backend).await;
    let a = Store::open(&url).await.expect("node a");
    let b = Store::open(&url).await.expect("node b");
    add(&a, "admin", Role::Admin).await;
    // Five failures at once, spread over both nodes: none is lost.
    let tries = (0..5).map(|i| {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            node.sign_in(
                &attempt("admin", "wrong password", &format!("192.0.2.{i}")),
                T0,
            )
            .await
            .expect("sign in")
        })
    });
    for t in tries.collect::<Vec<_>>() {
        assert!(matches!(t.await.expect("task"), SignInOutcome::Refused));
    }
    for node in [&a, &b] {
        match sign_in(node, &attempt("admin", PASSWORD, "203.0.113.1"), T0).await {
            SignInOutcome::Throttled { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    // A session made on one node is known to the other.
    let token = token_for(&a, "admin", T0 + FAILURE_WINDOW).await;
    assert!(
        b.session(&token, T0 + FAILURE_WINDOW)
            .await
            .expect("lookup")
            .is_some()
    );
});

dual_test!(
    api_tokens_are_shown_once_and_revocable,
    |backend| async move {
        let store = testing::store(backend).await;
        let user = add(&store, "bientap", Role::Editor).await;
        let other = add(&store, "tacgia", Role::Author).await;
        let expires = T0 + Duration::days(90);
        let new = store
            .create_token(&Actor::CLI, user.id, "  Nhập   tin ", Some(expires), T0)
            .await
            .expect("token");
        assert!(
            new.token.starts_with("sen_") && new.token.len() == 47,
            "{}",
            new.token
        );
        assert_eq!(new.info.name, "Nhập tin");
        assert_eq!(new.info.username, "bientap");
        assert_eq!(new.info.expires_at, Some(expires));
        store
            .create_token(&Actor::CLI, other.id, "", None, T0)
            .await
            .expect("token");

        let auth = store
            .token_user(&new.token, T0 + Duration::hours(1))
            .await
            .expect("auth")
            .expect("valid");
        assert_eq!((auth.token_id, auth.user.id), (new.info.id, user.id));
        let listed = store.tokens(Some(user.id)).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].last_used_at, Some(T0 + Duration::hours(1)));
        assert_eq!(store.tokens(None).await.expect("list").len(), 2);

        for bad in [
            "",
            "sen_",
            "sen_nope",
            &new.token[4..],
            &format!("{}x", new.token),
        ] {
            assert!(
                store.token_user(bad, T0).await.expect("auth").is_none(),
                "{bad}"
            );
        }
        assert!(
            store
                .token_user(&new.token, expires)
                .await
                .expect("auth")
                .is_none(),
            "expired"
        );

        store
            .revoke_token(&Actor::CLI, new.info.id, T0)
            .await
            .expect("revoke");
        assert!(
            store
                .token_user(&new.token, T0)
                .await
                .expect("auth")
                .is_none()
        );
        assert_eq!(
            store
                .token(new.info.id)
                .await
                .expect("read")
                .and_then(|t| t.revoked_at),
            Some(T0)
        );
        store
            .revoke_token(&Actor::CLI, new.info.id, T0)
            .await
            .expect("again");
        assert!(matches!(
            store.revoke_token(&Actor::CLI, 9999, T0).await,
            Err(StoreError::NotFound)
        ));

        let past = store
            .create_token(&Actor::CLI, user.id, "", Some(T0), T0)
            .await;
        assert!(matches!(past, Err(StoreError::Invalid(e)) if e.field == "expires_at"));
        let nobody = store.create_token(&Actor::CLI, 9999, "", None, T0).await;
        assert!(
            matches!(nobody, Err(StoreError::MissingReference("user_id"))),
            "{nobody:?}"
        );
        let log = actions(&store).await;
        assert_eq!(log.iter().filter(|a| *a == "token_create").count(), 2);
        assert_eq!(log.iter().filter(|a| *a == "token_revoke").count(), 1);
    }
);

dual_test!(
    the_audit_log_filters_pages_and_prunes,
    |backend| async move {
        let store = testing::store(backend).await;
        let admin = add(&store, "admin", Role::Admin).await;
        let user = add(&store, "tacgia", Role::Author).await;
        // Sign-ins a day apart, a year apart.
        for days in [0, 1, 2, 400, 800] {
            token_for(&store, "tacgia", T0 + Duration::days(days)).await;
        }
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery::default();
            f(&mut q);
            let store = store.clone();
            async move { store.audit_log(&q).await.expect("audit") }
        };
        assert_eq!(q(|_| {}).await.total, 7);
        let by_user = {
            let mut query = AuditQuery {
                actor_id: Some(user.id),
                ..AuditQuery::default()
            };
            query.per_page = 2;
            store.audit_log(&query).await.expect("audit")
        };
        assert_eq!(by_user.total, 5);
        assert_eq!(by_user.entries.len(), 2);
        assert_eq!(
            by_user.entries[0].at,
            T0 + Duration::days(800),
            "newest first"
        );
        let page3 = store
            .audit_log(&AuditQuery {
                actor_id: Some(user.id),
                per_page: 2,
                page: 3,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(page3.entries.len(), 1);
        assert_eq!(page3.entries[0].at, T0);
        let range = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SignIn),
                from: Some(T0 + Duration::days(1)),
                until: Some(T0 + Duration::days(400)),
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(range.total, 2);
        assert_eq!(q(|q| q.actor_id = Some(9999)).await.total, 0);
        assert_eq!(
            store
                .audit_log(&AuditQuery {
                    actor_id: Some(admin.id),
                    ..AuditQuery::default()
                })
                .await
                .expect("audit")
                .total,
            0,
            "the CLI made the users"
        );
        // Everything before the sign-in on day 400 goes: the users' creation and three sign-ins.
        let pruned = store
            .prune_audit_log(T0 + Duration::days(400) - Duration::seconds(1))
            .await
            .expect("prune");
        assert_eq!(pruned, 5);
        assert_eq!(q(|_| {}).await.total, 2);
        assert_eq!(AuditAction::parse("sign_in"), Some(AuditAction::SignIn));
        assert!(
            AuditAction::ALL
                .iter()
                .all(|a| AuditAction::parse(a.as_str()) == Some(*a))
        );
    }
);

/// The code an authenticator app shows at `at`.
fn code(secret: &[u8], at: OffsetDateTime) -> String {
    totp::code_at(secret, at.unix_timestamp()).expect("a code")
}

/// A user with the second factor on, enrolled at `T0`: their secret and recovery codes.
async fn enrolled(store: &Store, username: &str, role: Role) -> (User, Vec<u8>, Vec<String>) {
    let user = add(store, username, role).await;
    let secret = new_totp_secret();
    let codes = store
        .enable_second_factor(&Actor::CLI, user.id, &secret, &code(&secret, T0), T0)
        .await
        .expect("enable")
        .expect("the code is right");
    (user, secret, codes)
}

/// Signs in with the password only: the pending session's token.
async fn pending_token(store: &Store, username: &str, now: OffsetDateTime) -> String {
    match sign_in(store, &attempt(username, PASSWORD, "198.51.100.1"), now).await {
        SignInOutcome::SignedIn(new) => {
            assert!(new.session.pending, "a second factor is due");
            new.token
        }
        other => panic!("password refused: {other:?}"),
    }
}

async fn complete(
    store: &Store,
    token: &str,
    typed: &str,
    now: OffsetDateTime,
) -> SecondFactorOutcome {
    store
        .complete_sign_in(token, typed, ip("198.51.100.1"), now)
        .await
        .expect("complete sign-in")
}

dual_test!(
    a_second_factor_is_enrolled_and_asked_for,
    |backend| async move {
        let store = testing::store(backend).await;
        let user = add(&store, "bientap", Role::Editor).await;
        let secret = new_totp_secret();
        assert_eq!(secret.len(), totp::SECRET_LEN);
        let wrong = store
            .enable_second_factor(&Actor::CLI, user.id, &secret, "000000", T0)
            .await
            .expect("enable");
        assert!(wrong.is_none() || code(&secret, T0) == "000000");
        assert!(
            !store
                .user(user.id)
                .await
                .expect("user")
                .expect("user")
                .totp_enabled
        );
        let enrol_code = code(&secret, T0);
        let codes = store
            .enable_second_factor(&Actor::CLI, user.id, &secret, &enrol_code, T0)
            .await
            .expect("enable")
            .expect("right code");
        assert_eq!(codes.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
        );
        assert!(
            store
                .user(user.id)
                .await
                .expect("user")
                .expect("user")
                .totp_enabled
        );
        assert_eq!(store.recovery_codes_left(user.id).await.expect("left"), 10);

        // The password alone gives a pending session; it grants nothing and ends in 5 minutes.
        let t1 = T0 + Duration::seconds(10);
        let pending = pending_token(&store, "bientap", t1).await;
        let session = store
            .session(&pending, t1)
            .await
            .expect("session")
            .expect("pending");
        assert!(session.pending);
        assert_eq!(session.expires_at, t1 + PENDING_SIGN_IN);
        assert!(
            store
                .session(&pending, t1 + PENDING_SIGN_IN)
                .await
                .expect("session")
                .is_none()
        );
        assert!(matches!(
            complete(&store, &pending, &code(&secret, t1), t1 + PENDING_SIGN_IN).await,
            SecondFactorOutcome::Expired
        ));

        // The code used to enrol is spent: its step can't sign in.
        let pending = pending_token(&store, "bientap", t1).await;
        assert!(matches!(
            complete(&store, &pending, &enrol_code, t1).await,
            SecondFactorOutcome::Refused
        ));
        // The next step's code, a step early (the phone's clock ahead), is right; the session is new.
        let t2 = T0 + Duration::seconds(30);
        let next_code = code(&secret, t2);
        let new = match complete(&store, &pending, &next_code, t1).await {
            SecondFactorOutcome::SignedIn(new) => new,
            other => panic!("not signed in: {other:?}"),
        };
        assert_ne!(new.token, pending);
        assert!(!new.session.pending);
        assert!(
            store
                .session(&pending, t1)
                .await
                .expect("session")
                .is_none()
        );
        let full = store
            .session(&new.token, t2)
            .await
            .expect("session")
            .expect("full");
        assert!(!full.pending && full.expires_at == t1 + SESSION_ABSOLUTE);
        // The same code again, within its window: refused.
        let again = pending_token(&store, "bientap", t2).await;
        assert!(matches!(
            complete(&store, &again, &next_code, t2).await,
            SecondFactorOutcome::Refused
        ));
        // Two steps away is too far.
        let far = code(&secret, t2 + Duration::seconds(90));
        assert!(matches!(
            complete(&store, &again, &far, t2).await,
            SecondFactorOutcome::Refused
        ));

        // A recovery code works once, typed any way.
        let typed = format!(" {} ", codes[0].to_uppercase());
        assert!(matches!(
            complete(&store, &again, &typed, t2).await,
            SecondFactorOutcome::SignedIn(_)
        ));
        assert_eq!(store.recovery_codes_left(user.id).await.expect("left"), 9);
        let once_more = pending_token(&store, "bientap", t2).await;
        assert!(matches!(
            complete(&store, &once_more, &codes[0], t2).await,
            SecondFactorOutcome::Refused
        ));
        assert!(matches!(
            complete(&store, &once_more, &codes[1], t2).await,
            SecondFactorOutcome::SignedIn(_)
        ));

        let seen = actions(&store).await;
        for action in [
            AuditAction::SecondFactorEnable,
            AuditAction::SecondFactorFailed,
            AuditAction::RecoveryCodeUsed,
        ] {
            assert!(
                seen.contains(&action.as_str().to_string()),
                "{action:?} in {seen:?}"
            );
        }
    }
);

dual_test!(wrong_codes_count_towards_throttling, |backend| async move {
    let store = testing::store(backend).await;
    let (_, secret, _) = enrolled(&store, "quantri", Role::Admin).await;
    let t = T0 + Duration::minutes(1);
    let pending = pending_token(&store, "quantri", t).await;
    let right = code(&secret, t);
    let wrong = if right == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..5 {
        assert!(matches!(
            complete(&store, &pending, wrong, t).await,
            SecondFactorOutcome::Refused
        ));
    }
    match complete(&store, &pending, &right, t).await {
        SecondFactorOutcome::Throttled { retry_after } => {
            assert!(retry_after > Duration::ZERO && retry_after <= FAILURE_WINDOW)
        }
        other => panic!("not throttled: {other:?}"),
    }
    // A right password does not wipe the count of wrong codes.
    let t = t + Duration::minutes(1);
    assert!(matches!(
        sign_in(&store, &attempt("quantri", PASSWORD, "203.0.113.9"), t).await,
        SignInOutcome::Throttled { .. }
    ));
});

dual_test!(
    turning_off_and_requiring_the_second_factor,
    |backend| async move {
        let store = testing::store(backend).await;
        let (user, secret, _) = enrolled(&store, "bientap", Role::Editor).await;
        let user = store.user(user.id).await.expect("user").expect("user");
        let admin = add(&store, "quantri", Role::Admin).await;
        let client = ip("198.51.100.1");
        let t = T0 + Duration::minutes(1);
        let confirm = |proof: String, accept_code: bool| {
            let (store, user) = (store.clone(), user.clone());
            async move {
                store
                    .confirm_identity(&user, &proof, accept_code, client, t)
                    .await
                    .expect("confirm")
            }
        };
        assert_eq!(confirm(PASSWORD.into(), true).await, Confirmation::Right);
        assert_eq!(
            confirm("not the password".into(), true).await,
            Confirmation::Wrong
        );
        // A code confirms only where codes are accepted, and once.
        assert_eq!(confirm(code(&secret, t), false).await, Confirmation::Wrong);
        assert_eq!(confirm(code(&secret, t), true).await, Confirmation::Right);
        assert_eq!(confirm(code(&secret, t), true).await, Confirmation::Wrong);

        // An administrator resets it (a lost phone): the password alone signs in again.
        let reset = store
            .disable_second_factor(&admin.actor(None), user.id)
            .await
            .expect("reset");
        assert!(reset);
        assert!(
            !store
                .user(user.id)
                .await
                .expect("user")
                .expect("user")
                .totp_enabled
        );
        assert_eq!(store.recovery_codes_left(user.id).await.expect("left"), 0);
        match sign_in(&store, &attempt("bientap", PASSWORD, "198.51.100.7"), t).await {
            SignInOutcome::SignedIn(new) => assert!(!new.session.pending),
            other => panic!("not signed in: {other:?}"),
        }

        assert!(!store.second_factor_required().await.expect("setting"));
        assert!(
            store
                .set_second_factor_required(&admin.actor(None), true)
                .await
                .expect("set")
        );
        assert!(
            !store
                .set_second_factor_required(&admin.actor(None), true)
                .await
                .expect("set")
        );
        assert!(store.second_factor_required().await.expect("setting"));
        let entries = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SecurityUpdate),
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(entries.total, 1);
        assert_eq!(
            entries.entries[0].details["before"]["require_second_factor"],
            false
        );
        assert_eq!(
            entries.entries[0].details["after"]["require_second_factor"],
            true
        );
        let resets = store
            .audit_log(&AuditQuery {
                action: Some(AuditAction::SecondFactorDisable),
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(resets.entries[0].details["reset"], true);
        assert_eq!(resets.entries[0].actor_id, Some(admin.id));
    }
);
