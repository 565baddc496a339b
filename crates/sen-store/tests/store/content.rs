//! Audited writes of the site identity, categories and static pages, on SQLite and PostgreSQL.

use std::net::IpAddr;

use sen_core::{Actor, ArticleInput, CategoryInput, ErrorCode, PageInput, Site};
use sen_store::{AuditAction, AuditEntry, AuditQuery, Store, StoreError, dual_test, testing};
use serde_json::json;

fn admin() -> Actor {
    Actor::User {
        id: 1,
        name: "quantri".into(),
        client: Some("203.0.113.9".parse::<IpAddr>().expect("ip")),
    }
}

fn identity() -> Site {
    Site {
        name: "Liên hiệp Hội Thử nghiệm".into(),
        governing_body: "UBND tỉnh Thử nghiệm".into(),
        address: "Số 1 đường Thử".into(),
        phone: "0200 000 000".into(),
        email: "lh@example.vn".into(),
        responsible_person: "Bà Nguyễn Thị Thử".into(),
        ..Default::default()
    }
}

fn named(name: &str) -> CategoryInput {
    CategoryInput {
        name: name.into(),
        in_menu: true,
        ..Default::default()
    }
}

fn titled(title: &str) -> PageInput {
    PageInput {
        title: title.into(),
        body: "<p>Nội dung</p>".into(),
        in_menu: true,
        ..Default::default()
    }
}

/// The entries of one action, newest first.
async fn entries(store: &Store, action: AuditAction) -> Vec<AuditEntry> {
    store
        .audit_log(&AuditQuery {
            action: Some(action),
            ..Default::default()
        })
        .await
        .expect("audit log")
        .entries
}

async fn total_entries(store: &Store) -> i64 {
    store
        .audit_log(&AuditQuery::default())
        .await
        .expect("audit log")
        .total
}

dual_test!(
    the_site_identity_is_audited_field_by_field,
    |backend| async move {
        let store = testing::store(backend).await;
        store.put_site(&admin(), identity()).await.expect("site");
        let changed = Site {
            phone: "0200 111 222".into(),
            visits_base: 5000,
            ..identity()
        };
        store
            .put_site(&admin(), changed.clone())
            .await
            .expect("site");
        assert_eq!(store.site().await.expect("read"), changed);
        let log = entries(&store, AuditAction::SiteUpdate).await;
        assert_eq!(log.len(), 2);
        let newest = &log[0];
        assert_eq!(
            (
                newest.actor_id,
                newest.actor_name.as_str(),
                newest.target.as_str()
            ),
            (Some(1), "quantri", "site")
        );
        assert_eq!(newest.client_address.as_deref(), Some("203.0.113.9"));
        assert_eq!(
            newest.details,
            json!({
                "before": {"phone": "0200 000 000", "visits_base": 0},
                "after": {"phone": "0200 111 222", "visits_base": 5000},
            })
        );

        // A required field emptied, or one of the wrong kind: refused by name, nothing written.
        let outbox = store.last_change_id().await.expect("outbox");
        let logged = total_entries(&store).await;
        for (bad, field, code) in [
            (
                Site {
                    responsible_person: " ".into(),
                    ..identity()
                },
                "responsible_person",
                ErrorCode::Required,
            ),
            (
                Site {
                    email: "khong-phai-email".into(),
                    ..identity()
                },
                "email",
                ErrorCode::InvalidEmail,
            ),
            (
                Site {
                    logo_url: "javascript:x".into(),
                    ..identity()
                },
                "logo_url",
                ErrorCode::InvalidUrl,
            ),
        ] {
            let err = store.put_site(&admin(), bad).await.expect_err("refused");
            assert!(
                matches!(&err, StoreError::Invalid(v) if v.code == code),
                "{err:?}"
            );
            assert_eq!(err.field(), Some(field));
        }
        assert_eq!(store.site().await.expect("read"), changed);
        assert_eq!(store.last_change_id().await.expect("outbox"), outbox);
        assert_eq!(total_entries(&store).await, logged);
    }
);

dual_test!(
    renamed_categories_redirect_and_are_audited,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = store
            .create_category(&admin(), named("Tin tức"))
            .await
            .expect("news");
        assert_eq!(news.slug, "tin-tuc");
        let created = entries(&store, AuditAction::CategoryCreate).await;
        assert_eq!(created[0].target, format!("category:{}", news.id));
        assert_eq!(created[0].details["slug"], "tin-tuc");
        assert_eq!(created[0].client_address.as_deref(), Some("203.0.113.9"));
        let err = store
            .create_category(&admin(), named("Tin tức"))
            .await
            .expect_err("taken");
        assert!(matches!(err, StoreError::Conflict("slug")), "{err:?}");

        // Renamed twice: both old slugs lead to the current one.
        let renamed = CategoryInput {
            slug: Some("tin-moi".into()),
            ..named("Tin mới")
        };
        store
            .update_category(&admin(), news.id, renamed)
            .await
            .expect("rename");
        let again = CategoryInput {
            slug: Some("thoi-su".into()),
            ..named("Thời sự")
        };
        store
            .update_category(&admin(), news.id, again)
            .await
            .expect("rename again");
        for old in ["tin-tuc", "tin-moi"] {
            assert_eq!(
                store.category_redirect(old).await.expect("read").as_deref(),
                Some("thoi-su"),
                "{old}"
            );
        }
        assert_eq!(
            store.category_redirect("thoi-su").await.expect("read"),
            None
        );
        assert_eq!(
            store.category_redirect("khong-co").await.expect("read"),
            None
        );
        // An old slug taken by another category is that category's now.
        let other = store
            .create_category(&admin(), named("Tin tức"))
            .await
            .expect("slug free again");
        assert_eq!(other.slug, "tin-tuc");
        assert_eq!(
            store.category_redirect("tin-tuc").await.expect("read"),
            None
        );
        // The current slug of another category is taken.
        let taken = CategoryInput {
            slug: Some("tin-tuc".into()),
            ..named("Thời sự")
        };
        let err = store
            .update_category(&admin(), news.id, taken)
            .await
            .expect_err("taken");
        assert!(matches!(err, StoreError::Conflict("slug")), "{err:?}");

        // Hidden from the menu and moved down: only what changed is in the entry.
        let hidden = CategoryInput {
            slug: Some("thoi-su".into()),
            in_menu: false,
            position: 7,
            ..named("Thời sự")
        };
        let saved = store
            .update_category(&admin(), news.id, hidden)
            .await
            .expect("hide");
        assert_eq!((saved.in_menu, saved.position), (false, 7));
        let updates = entries(&store, AuditAction::CategoryUpdate).await;
        assert_eq!(updates.len(), 3);
        assert_eq!(
            updates[0].details,
            json!({"before": {"in_menu": true, "position": 0}, "after": {"in_menu": false, "position": 7}})
        );
        assert_eq!(
            updates[2].details,
            json!({"before": {"name": "Tin tức", "slug": "tin-tuc"}, "after": {"name": "Tin mới", "slug": "tin-moi"}})
        );

        // Refused input changes nothing.
        let outbox = store.last_change_id().await.expect("outbox");
        let logged = total_entries(&store).await;
        let err = store
            .update_category(&admin(), news.id, named(" "))
            .await
            .expect_err("no name");
        assert_eq!(err.field(), Some("name"));
        let err = store
            .update_category(
                &admin(),
                news.id,
                CategoryInput {
                    parent_id: Some(news.id),
                    ..named("Thời sự")
                },
            )
            .await
            .expect_err("its own parent");
        assert_eq!(err.field(), Some("parent_id"));
        let err = store
            .update_category(&admin(), 9999, named("Không có"))
            .await
            .expect_err("no such");
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
        assert_eq!(store.category(news.id).await.expect("read"), Some(saved));
        assert_eq!(store.last_change_id().await.expect("outbox"), outbox);
        assert_eq!(total_entries(&store).await, logged);
    }
);

dual_test!(only_an_empty_category_is_deleted, |backend| async move {
    let store = testing::store(backend).await;
    let parent = store
        .create_category(&admin(), named("Cha"))
        .await
        .expect("parent");
    let child = store
        .create_category(
            &admin(),
            CategoryInput {
                parent_id: Some(parent.id),
                ..named("Con")
            },
        )
        .await
        .expect("child");
    store
        .create_article(
            &sen_core::Actor::CLI,
            ArticleInput::new("Bản nháp", child.id),
        )
        .await
        .expect("a draft");
    let err = store
        .delete_category(&admin(), parent.id)
        .await
        .expect_err("has a child");
    assert!(
        matches!(err, StoreError::Conflict("subcategories")),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "it still has subcategories");
    let err = store
        .delete_category(&admin(), child.id)
        .await
        .expect_err("has an article");
    assert!(matches!(err, StoreError::Conflict("articles")), "{err:?}");
    assert_eq!(store.categories().await.expect("read").len(), 2);
    assert!(
        entries(&store, AuditAction::CategoryDelete)
            .await
            .is_empty()
    );

    // Renamed, then deleted: its old slug goes with it.
    store
        .update_category(
            &admin(),
            parent.id,
            CategoryInput {
                slug: Some("cha-moi".into()),
                ..named("Cha")
            },
        )
        .await
        .expect("rename");
    let leaf = store
        .create_category(
            &admin(),
            CategoryInput {
                parent_id: Some(parent.id),
                ..named("Lá")
            },
        )
        .await
        .expect("leaf");
    let before = store.last_change_id().await.expect("outbox");
    store
        .delete_category(&admin(), leaf.id)
        .await
        .expect("empty");
    assert!(
        store.last_change_id().await.expect("outbox") > before,
        "a change for every node"
    );
    assert_eq!(store.category(leaf.id).await.expect("read"), None);
    let deleted = entries(&store, AuditAction::CategoryDelete).await;
    assert_eq!(deleted[0].target, format!("category:{}", leaf.id));
    assert_eq!(deleted[0].details["name"], "Lá");
    let err = store
        .delete_category(&admin(), leaf.id)
        .await
        .expect_err("gone");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(
        store
            .category_redirect("cha")
            .await
            .expect("read")
            .as_deref(),
        Some("cha-moi")
    );
});

dual_test!(
    pages_are_audited_ordered_and_redirected,
    |backend| async move {
        let store = testing::store(backend).await;
        let about = store
            .create_page(&admin(), titled("Giới thiệu"))
            .await
            .expect("about");
        let contact = store
            .create_page(&admin(), titled("Liên hệ"))
            .await
            .expect("contact");
        let err = store
            .create_page(&admin(), titled("Giới thiệu"))
            .await
            .expect_err("taken");
        assert!(matches!(err, StoreError::Conflict("slug")), "{err:?}");
        let created = entries(&store, AuditAction::PageCreate).await;
        assert_eq!(created.len(), 2);
        assert_eq!(created[1].details["slug"], "gioi-thieu");

        // Contact first in the menu, about renamed with a new text.
        let first = PageInput {
            position: 0,
            ..PageInput::from(&contact)
        };
        store
            .update_page(&admin(), contact.id, first)
            .await
            .expect("order");
        let moved = PageInput {
            position: 5,
            slug: Some("ve-chung-toi".into()),
            body: "<p>Mới</p>".into(),
            ..PageInput::from(&about)
        };
        store
            .update_page(&admin(), about.id, moved)
            .await
            .expect("rename");
        let order: Vec<i64> = store
            .pages()
            .await
            .expect("pages")
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(order, [contact.id, about.id]);
        assert_eq!(
            store
                .page_redirect("gioi-thieu")
                .await
                .expect("read")
                .as_deref(),
            Some("ve-chung-toi")
        );
        assert_eq!(store.page_by_slug("gioi-thieu").await.expect("read"), None);
        let updated = entries(&store, AuditAction::PageUpdate).await;
        assert_eq!(
            updated[0].details["before"],
            json!({"slug": "gioi-thieu", "position": 0, "body_chars": 15})
        );
        assert_eq!(
            updated[0].details["after"],
            json!({"slug": "ve-chung-toi", "position": 5, "body_chars": 10})
        );
        assert_eq!(updated[0].details["body_changed"], true);
        let err = store
            .update_page(
                &admin(),
                about.id,
                PageInput {
                    slug: Some("lien-he".into()),
                    ..titled("Về")
                },
            )
            .await
            .expect_err("taken");
        assert!(matches!(err, StoreError::Conflict("slug")), "{err:?}");
        let err = store
            .update_page(&admin(), about.id, titled(""))
            .await
            .expect_err("no title");
        assert_eq!(err.field(), Some("title"));

        store.delete_page(&admin(), about.id).await.expect("delete");
        assert_eq!(store.page(about.id).await.expect("read"), None);
        assert_eq!(store.page_redirect("gioi-thieu").await.expect("read"), None);
        let deleted = entries(&store, AuditAction::PageDelete).await;
        assert_eq!(deleted[0].details["slug"], "ve-chung-toi");
        let err = store
            .delete_page(&admin(), about.id)
            .await
            .expect_err("gone");
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
    }
);
