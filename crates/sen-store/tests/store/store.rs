//! Store behaviour, run on SQLite and on PostgreSQL.

use std::{collections::BTreeSet, sync::Arc};

use parking_lot::Mutex;
use sen_core::format;
use sen_core::{
    Actor, ArticleInput, ArticleStatus, CategoryInput, Change, ErrorCode, PageInput, Site,
};
use sen_store::{
    ArticleViews, Backend, Booking, Bundle, BundleArticle, BundleCategory, BundlePage, Listing,
    SampleState, Store, StoreError, VisitorMark, dual_test, testing,
};
use time::{
    Duration, OffsetDateTime, UtcOffset,
    macros::{datetime, offset},
};
use unicode_normalization::UnicodeNormalization;

/// A site identity with every field the footer must show.
fn identity(name: &str) -> Site {
    Site {
        name: name.into(),
        governing_body: "UBND tỉnh Thử".into(),
        address: "Số 1 đường Thử".into(),
        phone: "0200 000 000".into(),
        email: "lh@example.vn".into(),
        responsible_person: "Bà Nguyễn Thị Thử".into(),
        ..Default::default()
    }
}

async fn category(store: &Store, name: &str) -> i64 {
    store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: name.into(),
                in_menu: true,
                ..Default::default()
            },
        )
        .await
        .expect("category")
        .id
}

fn published(title: &str, category_id: i64, minutes_ago: i64) -> ArticleInput {
    let mut input = ArticleInput::new(title, category_id);
    input.status = ArticleStatus::Published;
    input.published_at = Some(OffsetDateTime::now_utc() - Duration::minutes(minutes_ago));
    input
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[tokio::test]
async fn both_backends_have_the_same_columns() {
    let sqlite = testing::store(Backend::Sqlite).await;
    let pg = testing::store(Backend::Postgres).await;
    let lite_cols: BTreeSet<String> = sqlite
        .debug_columns()
        .await
        .expect("columns")
        .into_iter()
        .collect();
    let pg_cols: BTreeSet<String> = pg
        .debug_columns()
        .await
        .expect("columns")
        .into_iter()
        .collect();
    assert!(!lite_cols.is_empty());
    assert_eq!(lite_cols, pg_cols);
}

dual_test!(
    articles_round_trip_with_tags_and_nfc,
    |backend| async move {
        let store = testing::store(backend).await;
        let cat = category(&store, "Tin hoạt động").await;
        // Decomposed spellings of the same text, as old copy-paste produces.
        let nfd_title: String = "Hội nghị tổng kết".nfd().collect();
        let nfd_tag: String = "Chuyển đổi số".nfd().collect();
        assert_ne!(nfd_title, "Hội nghị tổng kết");
        assert_ne!(nfd_tag, "Chuyển đổi số");
        let mut input = published(&nfd_title, cat, 5);
        input.tags = vec![nfd_tag, "Đại hội".into()];
        input.summary = "Tóm tắt".nfd().collect();
        input.body = "<p>Nội dung <script>x</script></p>".into();
        let article = store
            .create_article(&sen_core::Actor::CLI, input)
            .await
            .expect("create");
        assert_eq!(article.title, "Hội nghị tổng kết");
        assert_eq!(article.slug, "hoi-nghi-tong-ket");
        assert!(!article.body.contains("script"));
        assert_eq!(article.summary, "Tóm tắt");
        let tags: Vec<_> = article.tags.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(tags, ["chuyen-doi-so", "dai-hoi"]);
        let names: Vec<_> = article.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Chuyển đổi số", "Đại hội"]);
        assert!(article.published_at.is_some());
        assert_ne!(article.created_at, OffsetDateTime::UNIX_EPOCH);
        let again = store
            .article(article.id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(again, article);
        assert!(
            store
                .article(article.id + 1000)
                .await
                .expect("read")
                .is_none()
        );
    }
);

dual_test!(
    listed_articles_are_the_published_ones_with_their_tags,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = category(&store, "Tin tức").await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let mut input = published(&format!("Tin số {i}"), news, 10 - i);
            input.featured = i == 0;
            input.tags = vec!["Chung".into(), format!("Riêng {i}")];
            ids.push(
                store
                    .create_article(&sen_core::Actor::CLI, input)
                    .await
                    .expect("create")
                    .id,
            );
        }
        store
            .create_article(&sen_core::Actor::CLI, ArticleInput::new("Bản nháp", news))
            .await
            .expect("draft");
        let mut future = published("Hẹn giờ", news, 0);
        future.published_at = Some(OffsetDateTime::now_utc() + Duration::hours(2));
        let scheduled = store
            .create_article(&sen_core::Actor::CLI, future)
            .await
            .expect("scheduled");

        // Scheduled articles are listed too: whoever shows a list compares the time.
        // By ranges of ids: the draft inside the second range is left out.
        let last = store.last_article_id().await.expect("last id");
        assert_eq!(last, scheduled.id);
        let middle = ids[2];
        let mut all = store
            .listed_articles(Listing::Range {
                after: 0,
                through: middle,
            })
            .await
            .expect("first range");
        assert_eq!(all.len(), 3);
        all.extend(
            store
                .listed_articles(Listing::Range {
                    after: middle,
                    through: last,
                })
                .await
                .expect("second range"),
        );
        assert_eq!(
            all.iter().map(|a| a.summary.id).collect::<Vec<_>>(),
            [ids[0], ids[1], ids[2], scheduled.id]
        );
        assert!(all[0].featured && !all[1].featured);
        let chung = store
            .tag_by_slug("chung")
            .await
            .expect("tag")
            .expect("exists");
        assert!(all[..3].iter().all(|a| a.tag_ids.contains(&chung.id)));
        assert_eq!(all[0].tag_ids.len(), 2);
        assert!(all[3].tag_ids.is_empty());

        let some = store
            .listed_articles(Listing::Ids(&[ids[1], 999_999]))
            .await
            .expect("by id");
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].summary.title, "Tin số 1");
        assert_eq!(some[0].tag_ids, all[1].tag_ids);
        assert!(
            store
                .listed_articles(Listing::Ids(&[]))
                .await
                .expect("none")
                .is_empty()
        );

        // One article comes with its tags, sorted by name.
        let one = store
            .article(ids[2])
            .await
            .expect("article")
            .expect("exists");
        // On SQLite this row comes through the inline reader and the list through sqlx: same times.
        assert_eq!(one.published_at, Some(all[2].summary.published_at));
        assert_eq!(one.title, all[2].summary.title);
        assert_eq!(
            one.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["Chung", "Riêng 2"]
        );
        let untagged = store
            .article(scheduled.id)
            .await
            .expect("article")
            .expect("exists");
        assert!(untagged.tags.is_empty());
        assert!(
            store
                .public_article(scheduled.id)
                .await
                .expect("public")
                .is_none()
        );
    }
);

dual_test!(updates_append_changes_and_notify, |backend| async move {
    let store = testing::store(backend).await;
    let seen: Arc<Mutex<Vec<Change>>> = Arc::default();
    let sink = seen.clone();
    store.on_change(move |c| sink.lock().push(c.clone()));
    let a = category(&store, "Một").await;
    let b = category(&store, "Hai").await;
    let start = store.last_change_id().await.expect("last");
    let mut input = published("Bài viết", a, 1);
    input.tags = vec!["Cũ".into()];
    let article = store
        .create_article(&sen_core::Actor::CLI, input.clone())
        .await
        .expect("create");
    input.category_id = b;
    input.tags = vec!["Mới".into()];
    input.title = "Bài viết đã sửa".into();
    input.slug = None;
    let updated = store
        .update_article(&sen_core::Actor::CLI, article.id, input)
        .await
        .expect("update");
    assert_eq!(updated.slug, "bai-viet-da-sua");
    assert_eq!(updated.views, 0);
    let changes = store.changes_after(start, 100).await.expect("outbox");
    assert_eq!(changes.len(), 2);
    match &changes[1].change {
        Change::Article {
            id,
            categories,
            tags,
        } => {
            assert_eq!(*id, article.id);
            assert_eq!(categories, &vec![a, b]);
            assert_eq!(tags.len(), 2, "old and new tags are both touched");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        seen.lock().len(),
        4,
        "two categories and two article writes"
    );
    let missing = store
        .update_article(&sen_core::Actor::CLI, 9999, ArticleInput::new("x", a))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
});

dual_test!(errors_say_what_went_wrong, |backend| async move {
    let store = testing::store(backend).await;
    let cat = category(&store, "Tin").await;
    let err = store
        .create_article(&sen_core::Actor::CLI, ArticleInput::new("x", 9999))
        .await
        .expect_err("no such category");
    assert!(
        matches!(err, StoreError::MissingReference("category_id")),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("category_id"));
    assert!(!err.is_unavailable());
    let article = store
        .create_article(&sen_core::Actor::CLI, ArticleInput::new("x", cat))
        .await
        .expect("create");
    let err = store
        .update_article(
            &sen_core::Actor::CLI,
            article.id,
            ArticleInput::new("x", 9999),
        )
        .await
        .expect_err("no such category");
    assert!(
        matches!(err, StoreError::MissingReference("category_id")),
        "{err:?}"
    );
    let err = store
        .update_article(&sen_core::Actor::CLI, 9999, ArticleInput::new("x", cat))
        .await
        .expect_err("no such article");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(err.field(), None);
    let err = store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Tin".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("same slug");
    assert_eq!(err.field(), Some("slug"));
    let err = store
        .create_article(&sen_core::Actor::CLI, ArticleInput::new(" ", cat))
        .await
        .expect_err("no title");
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(err.field(), Some("title"));
    // A store whose pools are closed can reach no database.
    store.close().await;
    let err = store.categories().await.expect_err("closed");
    assert!(err.is_unavailable(), "{err:?}");
});

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let started = std::time::Instant::now();
    let err = testing::connect(
        &format!("postgres://postgres@127.0.0.1:{port}/test"),
        std::time::Duration::from_millis(300),
    )
    .await
    .err()
    .expect("nothing listens");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let err = testing::connect(
        "sqlite:///nonexistent-sen-dir/portal.db",
        std::time::Duration::from_millis(300),
    )
    .await
    .err()
    .expect("no such directory");
    assert!(err.is_unavailable(), "{err:?}");
    let err = Store::open("mysql://localhost/sen")
        .await
        .err()
        .expect("unsupported");
    assert_eq!(err.field(), Some("database_url"));
}

dual_test!(slugs_are_unique, |backend| async move {
    let store = testing::store(backend).await;
    category(&store, "Tin tức").await;
    let again = store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Tin tức".into(),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict("slug"))));
    store
        .create_page(
            &Actor::CLI,
            PageInput {
                title: "Giới thiệu".into(),
                ..Default::default()
            },
        )
        .await
        .expect("page");
    let page = store
        .page_by_slug("gioi-thieu")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(page.title, "Giới thiệu");
    let dup = store
        .create_page(
            &Actor::CLI,
            PageInput {
                title: "Giới thiệu".into(),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict("slug"))));
});

dual_test!(counts_flush_and_add_up, |backend| async move {
    let store = testing::store(backend).await;
    let cat = category(&store, "Tin").await;
    let x = store
        .create_article(&sen_core::Actor::CLI, published("X", cat, 3))
        .await
        .expect("x")
        .id;
    let y = store
        .create_article(&sen_core::Actor::CLI, published("Y", cat, 2))
        .await
        .expect("y")
        .id;
    let booked = store
        .flush_counts(&counts(&[(x, 5), (y, 2)], 3, "2026-11-23"))
        .await
        .expect("flush");
    assert_eq!(booked.totals, vec![(x, 5), (y, 2)]);
    let booked = store
        .flush_counts(&counts(&[(y, 7), (424242, 1)], 4, "2026-11-27"))
        .await
        .expect("flush");
    assert_eq!(booked.totals, vec![(y, 9)], "a vanished article is skipped");
    assert_eq!(store.article_views(&[x, y]).await.expect("views").len(), 2);
    let most = store.most_read("2026-11-20", 5).await.expect("most read");
    assert_eq!(most, [y, x]);
    let recent = store.most_read("2026-11-25", 5).await.expect("most read");
    assert_eq!(recent, [y]);
    let visits = store
        .visit_totals("2026-11-27", "2026-11-23")
        .await
        .expect("visits");
    assert_eq!((visits.today, visits.week, visits.all), (4, 7, 7));
    let visits = store
        .visit_totals("2026-11-30", "2026-11-30")
        .await
        .expect("visits");
    assert_eq!((visits.today, visits.week, visits.all), (0, 0, 7));
});

/// Counts without visitor marks, as a test books them.
fn counts(views: &[(i64, i64)], visits: i64, day: &str) -> Booking {
    Booking {
        day: day.into(),
        views: views
            .iter()
            .map(|&(article_id, count)| ArticleViews {
                article_id,
                count,
                marks: Vec::new(),
            })
            .collect(),
        visitors: Vec::new(),
        unmarked_visits: visits,
    }
}

fn seen(visitor: i64, visit_start: i64, last_at: i64, new_visit: bool) -> VisitorMark {
    VisitorMark {
        visitor,
        visit_start,
        // Each call a different nonce, as two nodes' visits have.
        visit_id: if new_visit { visit_start ^ 0x5a5a } else { 0 },
        last_at,
        new_visit,
        replaces: None,
    }
}

dual_test!(
    nodes_settle_repeat_views_and_visits_through_shared_marks,
    |backend| async move {
        let store = testing::store(backend).await;
        let cat = category(&store, "Tin").await;
        let x = store
            .create_article(&sen_core::Actor::CLI, published("X", cat, 3))
            .await
            .expect("x")
            .id;
        let t = 1_800_000_000;
        let day = "2027-01-15";
        // Node A counts visitor 7's view of X and their visit; node B counts the same a second later.
        let node = |at: i64, new_visit: bool| Booking {
            day: day.into(),
            views: vec![ArticleViews {
                article_id: x,
                count: 1,
                marks: vec![(7, at)],
            }],
            visitors: vec![seen(7, at, at, new_visit)],
            unmarked_visits: 0,
        };
        let a = store.flush_counts(&node(t, true)).await.expect("a");
        assert_eq!((a.totals.clone(), a.visits), (vec![(x, 1)], 1));
        let same_second = Booking {
            visitors: vec![VisitorMark {
                visit_id: 99,
                ..seen(7, t, t, true)
            }],
            ..node(t, true)
        };
        let b = store.flush_counts(&same_second).await.expect("b");
        assert_eq!(b.totals, vec![(x, 1)], "B's repeat view is not booked");
        assert_eq!((b.visits, b.duplicate_visits, b.duplicate_views), (0, 1, 1));
        // The visitor keeps reading on A for 40 minutes; B sees them again then: the same visit, and
        // their view of X counts again (the last counted one is over 30 minutes old).
        store
            .flush_counts(&Booking {
                day: day.into(),
                visitors: vec![seen(7, t, t + 40 * 60, false)],
                ..Booking::default()
            })
            .await
            .expect("still reading");
        let later = store
            .flush_counts(&node(t + 41 * 60, true))
            .await
            .expect("later");
        assert_eq!((later.visits, later.duplicate_visits), (0, 1));
        assert_eq!(later.totals, vec![(x, 2)]);
        // After 30 minutes away, a new visit.
        let back = store
            .flush_counts(&node(t + 80 * 60, true))
            .await
            .expect("back");
        assert_eq!(back.visits, 1);
        let visits = store.visit_totals(day, day).await.expect("visits");
        assert_eq!(visits.today, 2);
        // Online: each visitor once; an address hash a cookie took over no longer counts.
        store
            .flush_counts(&Booking {
                day: day.into(),
                visitors: vec![
                    seen(100, t + 80 * 60, t + 80 * 60, true),
                    VisitorMark {
                        replaces: Some(100),
                        ..seen(101, t + 80 * 60, t + 80 * 60, false)
                    },
                    seen(102, t + 80 * 60, t + 80 * 60, true),
                ],
                ..Booking::default()
            })
            .await
            .expect("online");
        let since = t + 80 * 60 - 300;
        assert_eq!(
            store.online_visitors(since).await.expect("online"),
            3,
            "7, 101 and 102"
        );
        store.prune_visitor_marks(t + 80 * 60).await.expect("prune");
        assert_eq!(store.online_visitors(0).await.expect("online"), 3);
        store.prune_visitor_marks(t + 81 * 60).await.expect("prune");
        assert_eq!(store.online_visitors(0).await.expect("online"), 0);
    }
);

dual_test!(
    a_cookie_booked_before_the_address_it_took_over_is_one_visitor,
    |backend| async move {
        let store = testing::store(backend).await;
        let day = "2026-11-27";
        let t = 1_764_200_000;
        // Node B books first: the cookie (201) that took over the address hash (200) of the
        // browser's first request, which node A counted as a visit and books a moment later.
        let b = store
            .flush_counts(&Booking {
                day: day.into(),
                visitors: vec![VisitorMark {
                    replaces: Some(200),
                    ..seen(201, t, t + 5, false)
                }],
                ..Booking::default()
            })
            .await
            .expect("b");
        assert_eq!(b.visits, 0);
        let a = store
            .flush_counts(&Booking {
                day: day.into(),
                visitors: vec![seen(200, t, t, true)],
                ..Booking::default()
            })
            .await
            .expect("a");
        assert_eq!((a.visits, a.duplicate_visits), (1, 0), "A's visit stands");
        assert_eq!(
            store.online_visitors(t - 300).await.expect("online"),
            1,
            "one browser online"
        );
        let visits = store.visit_totals(day, day).await.expect("visits");
        assert_eq!(visits.today, 1);
    }
);

fn bundle() -> Bundle {
    let mut input = ArticleInput::new("Bài mẫu", 0);
    input.status = ArticleStatus::Published;
    input.published_at = Some(OffsetDateTime::now_utc() - Duration::hours(1));
    input.tags = vec!["Mẫu".into()];
    Bundle {
        site: Some(Site {
            visits_base: 100,
            ..identity("Liên hiệp Hội mẫu")
        }),
        categories: vec![
            BundleCategory {
                slug: "cha".into(),
                name: "Cha".into(),
                description: String::new(),
                parent: None,
                in_menu: true,
            },
            BundleCategory {
                slug: "con".into(),
                name: "Con".into(),
                description: String::new(),
                parent: Some("cha".into()),
                in_menu: true,
            },
        ],
        pages: vec![],
        articles: vec![BundleArticle {
            category: "con".into(),
            input,
        }],
        media: vec![],
    }
}

dual_test!(sample_is_added_once_and_removed, |backend| async move {
    let url = testing::fresh_url(backend).await;
    let first = Store::open(&url).await.expect("open");
    let second = Store::open(&url).await.expect("open");
    assert_eq!(
        first.sample_state().await.expect("state"),
        SampleState::Never
    );
    let b = bundle();
    let (a, b2) = tokio::join!(first.add_sample(&b, true), second.add_sample(&b, true));
    assert_eq!(
        [a.expect("add"), b2.expect("add")]
            .iter()
            .filter(|x| **x)
            .count(),
        1
    );
    let everything = Listing::Range {
        after: 0,
        through: i64::MAX,
    };
    assert_eq!(
        first
            .listed_articles(everything)
            .await
            .expect("listed")
            .len(),
        1
    );
    assert_eq!(first.site().await.expect("site").name, "Liên hiệp Hội mẫu");
    let cats = first.categories().await.expect("cats");
    assert_eq!(cats[1].parent_id, Some(cats[0].id));

    // An editor's own article in a sample category keeps that category.
    let mine = first
        .create_article(&sen_core::Actor::CLI, published("Của tôi", cats[0].id, 1))
        .await
        .expect("mine");
    assert_eq!(first.remove_sample().await.expect("remove"), 1);
    assert_eq!(
        first.sample_state().await.expect("state"),
        SampleState::Removed
    );
    let left = first.listed_articles(everything).await.expect("listed");
    assert_eq!(
        left.iter().map(|a| a.summary.id).collect::<Vec<_>>(),
        [mine.id]
    );
    assert_eq!(first.categories().await.expect("cats").len(), 1);
    assert_eq!(first.site().await.expect("site").visits_base, 0);
    assert!(
        !first.add_sample(&bundle(), true).await.expect("again"),
        "a removed sample stays removed on restart"
    );
    assert!(
        first.add_sample(&bundle(), false).await.expect("explicit"),
        "but can be added on request"
    );
});

fn child_of(name: &str, parent: i64) -> CategoryInput {
    CategoryInput {
        parent_id: Some(parent),
        name: name.into(),
        in_menu: true,
        ..Default::default()
    }
}

dual_test!(categories_never_form_a_cycle, |backend| async move {
    let store = testing::store(backend).await;
    let a = category(&store, "A").await;
    let b = store
        .create_category(&Actor::CLI, child_of("B", a))
        .await
        .expect("b")
        .id;
    let c = store
        .create_category(&Actor::CLI, child_of("C", b))
        .await
        .expect("c")
        .id;
    let start = store.last_change_id().await.expect("last");
    for (id, parent) in [(a, a), (a, b), (a, c), (b, c)] {
        let name = ["A", "B", "C"][[a, b, c].iter().position(|x| *x == id).expect("known")];
        let err = store
            .update_category(&Actor::CLI, id, child_of(name, parent))
            .await
            .expect_err("a cycle");
        assert!(
            err.field() == Some("parent_id"),
            "{id} under {parent}: {err:?}"
        );
        assert!(
            matches!(&err, StoreError::Invalid(v) if v.code == ErrorCode::Cycle),
            "{err:?}"
        );
    }
    let err = store
        .update_category(&Actor::CLI, c, child_of("C", 9999))
        .await
        .expect_err("no such parent");
    assert!(
        matches!(err, StoreError::MissingReference("parent_id")),
        "{err:?}"
    );
    let err = store
        .create_category(&Actor::CLI, child_of("D", 9999))
        .await
        .expect_err("no such parent");
    assert!(
        matches!(err, StoreError::MissingReference("parent_id")),
        "{err:?}"
    );
    assert_eq!(store.changes_after(start, 10).await.expect("outbox"), []);
    // Moving a category elsewhere in the tree, or to the top, is fine.
    store
        .update_category(&Actor::CLI, c, child_of("C", a))
        .await
        .expect("c under a");
    store
        .update_category(&Actor::CLI, b, child_of("B", c))
        .await
        .expect("b under c");
    let top = CategoryInput {
        name: "A".into(),
        ..Default::default()
    };
    store
        .update_category(&Actor::CLI, a, top)
        .await
        .expect("a on top");
    let cats = store.categories().await.expect("categories");
    let parent = |id| cats.iter().find(|x| x.id == id).expect("kept").parent_id;
    assert_eq!((parent(a), parent(b), parent(c)), (None, Some(c), Some(a)));
});

/// Reads the outbox after `last` as a node's follower does, moving `last` on.
async fn follow(store: &Store, last: &mut i64, seen: &mut Vec<Change>) {
    for entry in store.changes_after(*last, 100).await.expect("outbox") {
        assert!(entry.id > *last);
        *last = entry.id;
        seen.push(entry.change);
    }
}

dual_test!(
    followers_see_changes_that_commit_out_of_order,
    |backend| async move {
        let url = testing::fresh_url(backend).await;
        let first = Store::open(&url).await.expect("open");
        let second = Store::open(&url).await.expect("open");
        let cat = category(&first, "Tin").await;
        let mut last = first.last_change_id().await.expect("last");
        let mut seen = Vec::new();
        // Writer A appends its change and holds its transaction open.
        let held = testing::hold_change(&first, &Change::Site)
            .await
            .expect("hold");
        // Writer B, another node, writes an article meanwhile.
        let writer = tokio::spawn(async move {
            second
                .create_article(&sen_core::Actor::CLI, published("B", cat, 1))
                .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        follow(&first, &mut last, &mut seen).await;
        held.commit().await.expect("commit A");
        let b = writer.await.expect("join").expect("B writes");
        follow(&first, &mut last, &mut seen).await;
        assert_eq!(
            seen,
            [
                Change::Site,
                Change::Article {
                    id: b.id,
                    categories: vec![cat],
                    tags: vec![]
                }
            ],
            "the follower saw every change, in the order they committed"
        );
    }
);

dual_test!(
    concurrent_moves_name_every_category_the_article_left,
    |backend| async move {
        let url = testing::fresh_url(backend).await;
        let nodes = [
            Store::open(&url).await.expect("open"),
            Store::open(&url).await.expect("open"),
        ];
        let mut cats = Vec::new();
        for i in 0..5 {
            cats.push(category(&nodes[0], &format!("Mục {i}")).await);
        }
        let mut input = published("Bài", cats[0], 1);
        input.tags = vec!["Thẻ 0".into()];
        let article = nodes[0]
            .create_article(&sen_core::Actor::CLI, input)
            .await
            .expect("create");
        let start = nodes[0].last_change_id().await.expect("last");
        let mut writers = Vec::new();
        for w in 0..6usize {
            let store = nodes[w % 2].clone();
            let cats = cats.clone();
            writers.push(tokio::spawn(async move {
                for round in 0..8usize {
                    let k = (w + round) % cats.len();
                    let mut input = published("Bài", cats[k], 1);
                    input.tags = vec![format!("Thẻ {k}")];
                    store
                        .update_article(&sen_core::Actor::CLI, article.id, input)
                        .await
                        .expect("move");
                }
            }));
        }
        for writer in writers {
            writer.await.expect("join");
        }
        // In outbox order, each move must start where the one before it ended: otherwise the
        // category (and tag) it really left is missing from every change.
        let (mut category, mut tag) = (cats[0], article.tags[0].id);
        let changes = nodes[0].changes_after(start, 1000).await.expect("outbox");
        assert_eq!(changes.len(), 48);
        for entry in changes {
            let Change::Article {
                id,
                categories,
                tags,
            } = entry.change
            else {
                panic!("unexpected {:?}", entry.change)
            };
            assert_eq!(id, article.id);
            assert_eq!(
                categories[0], category,
                "a move from {category} recorded as from {categories:?}"
            );
            assert!(tags.contains(&tag), "tag {tag} left out of {tags:?}");
            category = *categories.last().expect("a category");
            let now = nodes[0]
                .tag_by_slug(&format!(
                    "the-{}",
                    cats.iter().position(|c| *c == category).expect("known")
                ))
                .await
                .expect("tag")
                .expect("exists");
            tag = now.id;
        }
        let last = nodes[0]
            .article(article.id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(last.category_id, category);
    }
);

dual_test!(ids_are_never_handed_out_twice, |backend| async move {
    let store = testing::store(backend).await;
    let cat = category(&store, "Tin").await;
    // The outbox, pruned empty, goes on counting.
    let newest = store.last_change_id().await.expect("last");
    assert!(newest > 0);
    store
        .prune_changes(OffsetDateTime::now_utc() + Duration::days(1))
        .await
        .expect("prune");
    assert_eq!(store.last_change_id().await.expect("last"), 0);
    store
        .put_site(&Actor::CLI, identity("Cổng"))
        .await
        .expect("site");
    let changes = store.changes_after(0, 10).await.expect("outbox");
    assert_eq!(changes.len(), 1);
    assert!(changes[0].id > newest, "{} after {newest}", changes[0].id);

    // Sample content, removed, leaves its ids behind.
    let mine = store
        .create_article(&sen_core::Actor::CLI, published("Của tôi", cat, 1))
        .await
        .expect("mine");
    let mut sample = bundle();
    sample.pages.push(BundlePage {
        slug: "gioi-thieu".into(),
        title: "Giới thiệu".into(),
        body: String::new(),
    });
    store.add_generated(&sample).await.expect("sample");
    let everything = Listing::Range {
        after: 0,
        through: i64::MAX,
    };
    let max_article = store.last_article_id().await.expect("last");
    assert!(max_article > mine.id);
    let max_category = store
        .categories()
        .await
        .expect("categories")
        .iter()
        .map(|c| c.id)
        .max()
        .expect("some");
    let sample_tag = store
        .tag_by_slug("mau")
        .await
        .expect("tag")
        .expect("exists");
    let sample_page = store
        .page_by_slug("gioi-thieu")
        .await
        .expect("page")
        .expect("exists");
    assert_eq!(store.remove_sample().await.expect("remove"), 1);
    assert_eq!(
        store
            .listed_articles(everything)
            .await
            .expect("listed")
            .len(),
        1
    );

    let mut input = published("Bài mới", cat, 1);
    input.tags = vec!["Mới".into()];
    let article = store
        .create_article(&sen_core::Actor::CLI, input)
        .await
        .expect("article");
    assert!(
        article.id > max_article,
        "{} after {max_article}",
        article.id
    );
    assert!(article.tags[0].id > sample_tag.id);
    let category = store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Mục mới".into(),
                ..Default::default()
            },
        )
        .await
        .expect("category");
    assert!(category.id > max_category);
    let page = store
        .create_page(
            &Actor::CLI,
            PageInput {
                title: "Liên hệ".into(),
                ..Default::default()
            },
        )
        .await
        .expect("page");
    assert!(page.id > sample_page.id);
});

/// A category (or page, without a parent) inserted as the first schema takes it; its id.
async fn old_row(store: &Store, table: &str, name: &str, slug: &str, parent: Option<i64>) -> i64 {
    let t = "'2026-11-01T00:00:00Z'";
    let sql = if table == "categories" {
        let parent = parent.map_or("NULL".to_string(), |p| p.to_string());
        format!(
            "INSERT INTO categories (parent_id, name, slug, description, position, in_menu, created_at, updated_at) \
             VALUES ({parent}, '{name}', '{slug}', '', 0, TRUE, {t}, {t})"
        )
    } else {
        format!(
            "INSERT INTO pages (title, slug, body, position, in_menu, created_at, updated_at) \
             VALUES ('{name}', '{slug}', '', 0, TRUE, {t}, {t})"
        )
    };
    assert_eq!(testing::execute(store, &sql).await.expect("insert"), 1);
    let ids = if table == "categories" {
        store
            .categories()
            .await
            .expect("categories")
            .into_iter()
            .filter(|c| c.slug == slug)
            .map(|c| c.id)
            .collect::<Vec<_>>()
    } else {
        store
            .pages()
            .await
            .expect("pages")
            .into_iter()
            .filter(|p| p.slug == slug)
            .map(|p| p.id)
            .collect()
    };
    ids[0]
}

dual_test!(
    the_second_migration_keeps_what_the_first_schema_held,
    |backend| async move {
        let url = testing::fresh_url(backend).await;
        let store = Store::connect(&url).await.expect("connect");
        testing::migrate_to(&store, 1).await.expect("first schema");
        // Categories and pages as the first schema held them (the store's writes of them now
        // need the audit log); articles and counts through the store's own queries.
        let top = old_row(&store, "categories", "Tin tức", "tin-tuc", None).await;
        let sub = old_row(&store, "categories", "Trong nước", "trong-nuoc", Some(top)).await;
        // A parent younger than its child: rows come back in id order, a child before its parent.
        let portal = old_row(&store, "categories", "Cổng", "cong", None).await;
        let moved = format!("UPDATE categories SET parent_id = {portal} WHERE id = {top}");
        assert_eq!(testing::execute(&store, &moved).await.expect("moved"), 1);
        // Articles as the first schema takes them (the store's queries now read later columns).
        let tag = |name: &str, slug: &str| {
            format!(
                "INSERT INTO tags (name, slug) VALUES ('{name}', '{slug}') ON CONFLICT DO NOTHING"
            )
        };
        let mut ids = Vec::new();
        for i in 0..3i64 {
            let insert = format!(
                "INSERT INTO articles (title, slug, summary, body, category_id, status, created_at, published_at, updated_at) \
                 VALUES ('Tin {i}', 'tin-{i}', 'Tóm tắt {i}', '<p>Bài {i}</p>', {sub}, 'published', \
                 '2026-11-2{i}T01:00:00Z', '2026-11-2{i}T01:00:00Z', '2026-11-2{i}T01:00:00Z')"
            );
            assert_eq!(testing::execute(&store, &insert).await.expect("article"), 1);
            let id = store.last_article_id().await.expect("id");
            for (name, slug) in [
                ("Chung".to_string(), "chung".to_string()),
                (format!("Riêng {i}"), format!("rieng-{i}")),
            ] {
                testing::execute(&store, &tag(&name, &slug))
                    .await
                    .expect("tag");
                let link = format!(
                    "INSERT INTO article_tags (article_id, tag_id) SELECT {id}, id FROM tags WHERE slug = '{slug}'"
                );
                assert_eq!(testing::execute(&store, &link).await.expect("link"), 1);
            }
            ids.push(id);
        }
        store
            .flush_counts(&counts(&[(ids[0], 5), (ids[2], 2)], 3, "2026-11-27"))
            .await
            .expect("counts");
        old_row(&store, "pages", "Giới thiệu", "gioi-thieu", None).await;
        // Times as the first schema could hold them: any offset, any fraction of a second.
        let odd = format!(
            "UPDATE articles SET published_at = '2026-11-20T10:00:00.987654321+07:00', \
             created_at = '2026-11-20T03:30:00.5Z' WHERE id = {}",
            ids[0]
        );
        assert_eq!(testing::execute(&store, &odd).await.expect("odd times"), 1);
        let categories = store.categories().await.expect("categories");
        let pages = store.pages().await.expect("pages");
        let changes = store.changes_after(0, 100).await.expect("outbox");

        store.migrate().await.expect("migrate");
        assert_eq!(
            testing::foreign_key_violations(&store)
                .await
                .expect("check"),
            0
        );
        assert_eq!(store.categories().await.expect("categories"), categories);
        assert_eq!(store.pages().await.expect("pages"), pages);
        assert_eq!(store.changes_after(0, 100).await.expect("outbox"), changes);
        for (i, id) in ids.iter().enumerate() {
            let again = store.article(*id).await.expect("read").expect("kept");
            assert_eq!(again.title, format!("Tin {i}"));
            assert_eq!(
                (again.category_id, again.body.as_str()),
                (sub, format!("<p>Bài {i}</p>").as_str())
            );
            let tags: Vec<&str> = again.tags.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(tags, ["Chung", format!("Riêng {i}").as_str()]);
            assert_eq!((again.version, again.author_id), (1, None));
            for t in [again.created_at, again.updated_at] {
                assert_eq!((t.offset(), t.nanosecond()), (UtcOffset::UTC, 0));
            }
        }
        let first = store.article(ids[0]).await.expect("read").expect("kept");
        assert_eq!(first.published_at, Some(datetime!(2026-11-20 03:00 UTC)));
        assert_eq!(first.created_at, datetime!(2026-11-20 03:30 UTC));
        assert_eq!(
            store.most_read("2026-11-01", 5).await.expect("most read"),
            [ids[0], ids[2]]
        );
        assert_eq!(
            store
                .visit_totals("2026-11-27", "2026-11-23")
                .await
                .expect("visits")
                .all,
            3
        );
        // Keys still hold, and ids go on from where they were.
        let err = store
            .create_article(&sen_core::Actor::CLI, ArticleInput::new("x", 9999))
            .await
            .expect_err("no such category");
        assert!(
            matches!(err, StoreError::MissingReference("category_id")),
            "{err:?}"
        );
        let next = store
            .create_article(&sen_core::Actor::CLI, published("Tin mới", top, 0))
            .await
            .expect("article");
        assert!(next.id > ids[2]);
        let last = store.changes_after(0, 100).await.expect("outbox");
        assert!(last.last().expect("some").id > changes.last().map_or(0, |c| c.id));
        drop(
            Store::open(&url)
                .await
                .expect("open again, nothing left to apply"),
        );
    }
);

dual_test!(times_sort_and_filter_by_instant, |backend| async move {
    let store = testing::store(backend).await;
    let cat = category(&store, "Tin").await;
    let at = |title: &str, t: OffsetDateTime| {
        let mut input = ArticleInput::new(title, cat);
        input.status = ArticleStatus::Published;
        input.published_at = Some(t);
        input.created_at = Some(t);
        input
    };
    // 03:00Z written the Vietnamese way, with a fraction of a second; and 03:30Z.
    let x = store
        .create_article(
            &sen_core::Actor::CLI,
            at("X", datetime!(2026-11-20 10:00:00.123456789 +07:00)),
        )
        .await
        .expect("x");
    let y = store
        .create_article(
            &sen_core::Actor::CLI,
            at("Y", datetime!(2026-11-20 03:30 UTC)),
        )
        .await
        .expect("y");
    // An hour ago far east, and in an hour far west: as text, each looks like the other side of now.
    let now = OffsetDateTime::now_utc();
    let recent = store
        .create_article(
            &sen_core::Actor::CLI,
            at(
                "Vừa đăng",
                (now - Duration::hours(1)).to_offset(offset!(+14)),
            ),
        )
        .await
        .expect("recent");
    let scheduled = store
        .create_article(
            &sen_core::Actor::CLI,
            at(
                "Hẹn giờ",
                (now + Duration::hours(1)).to_offset(offset!(-12)),
            ),
        )
        .await
        .expect("scheduled");
    for a in [&x, &y, &recent, &scheduled] {
        store
            .flush_counts(&counts(&[(a.id, 3)], 0, "2026-11-20"))
            .await
            .expect("views");
    }

    // Equal views: the later publication first, then the earlier; the scheduled one not yet.
    let most = store.most_read("2026-11-01", 10).await.expect("most read");
    assert_eq!(most, [recent.id, y.id, x.id]);
    assert!(
        store
            .public_article(recent.id)
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        store
            .public_article(scheduled.id)
            .await
            .expect("read")
            .is_none()
    );

    // Stored and returned in UTC, whole seconds: the same on both databases.
    let x_at = datetime!(2026-11-20 03:00 UTC);
    let again = store.article(x.id).await.expect("read").expect("exists");
    for t in [x.published_at, x.created_at.into(), again.published_at] {
        let t = t.expect("a time");
        assert_eq!(t, x_at);
        assert_eq!(t.offset(), UtcOffset::UTC);
        assert_eq!(format::rfc3339(t), "2026-11-20T03:00:00Z");
    }
    let listed = store
        .listed_articles(Listing::Ids(&[x.id, recent.id]))
        .await
        .expect("listed");
    assert_eq!(listed[0].summary.published_at, x_at);
    assert_eq!(listed[0].summary.published_at.offset(), UtcOffset::UTC);
    assert_eq!(
        listed[1].summary.published_at,
        format::utc_seconds(now - Duration::hours(1))
    );
});

dual_test!(
    a_locked_database_fails_fast_as_unavailable,
    |backend| async move {
        let url = testing::fresh_url(backend).await;
        let store = Store::open(&url).await.expect("open");
        let cat = category(&store, "Tin").await;
        let id = store
            .create_article(&sen_core::Actor::CLI, published("Bài", cat, 5))
            .await
            .expect("article")
            .id;
        let lock = testing::lock_database(&url).await.expect("lock");
        let quick = std::time::Duration::from_millis(2_500);
        let started = std::time::Instant::now();
        let err = store
            .flush_counts(&counts(&[(id, 3)], 2, "2026-11-30"))
            .await
            .expect_err("locked out");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(started.elapsed() < quick, "{:?}", started.elapsed());
        let started = std::time::Instant::now();
        let read = store.article(id).await;
        match backend {
            // In WAL mode a writer's exclusive lock leaves readers alone.
            Backend::Sqlite => assert!(read.expect("read").is_some()),
            Backend::Postgres => assert!(read.expect_err("locked").is_unavailable()),
        }
        assert!(started.elapsed() < quick, "{:?}", started.elapsed());
        lock.release().await.expect("release");
        let totals = store
            .flush_counts(&counts(&[(id, 3)], 2, "2026-11-30"))
            .await
            .expect("flush");
        assert_eq!(totals.totals, [(id, 3)]);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_fast_as_unavailable() {
    // SQLite only: PostgreSQL's full disk is the server's, reached as an unreachable server.
    let store = testing::store(Backend::Sqlite).await;
    let cat = category(&store, "Tin").await;
    let id = store
        .create_article(&sen_core::Actor::CLI, published("Bài", cat, 5))
        .await
        .expect("article")
        .id;
    testing::fill_disk(&store).await.expect("fill");
    let started = std::time::Instant::now();
    let err = store
        .flush_counts(&counts(&[(id, 4)], 1, "2026-11-30"))
        .await
        .expect_err("full");
    assert!(err.is_unavailable(), "{err:?}");
    let err = store
        .create_article(&sen_core::Actor::CLI, published("Bài nữa", cat, 1))
        .await
        .expect_err("full");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(
        store
            .article(id)
            .await
            .expect("reads go on")
            .map(|a| a.views),
        Some(0)
    );
    testing::free_disk(&store).await.expect("free");
    let totals = store
        .flush_counts(&counts(&[(id, 4)], 1, "2026-11-30"))
        .await
        .expect("flush");
    assert_eq!(totals.totals, [(id, 4)]);
}
