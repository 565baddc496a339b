//! The article desk on SQLite and PostgreSQL: saves with the version check, corrections, the
//! workflow's transitions with their audit entries, revisions, the desk's list and counts, and the
//! scheduler with its lease.

use sen_core::{
    Actor, ArticleInput, ArticleStatus, CategoryInput, NewUser, Role, User,
    workflow::{self, Action, Facts, Refusal},
};
use sen_store::{
    ArticleSave, AuditAction, AuditQuery, DeskQuery, DeskSort, DeskStatus, SaveKind, Store,
    StoreError, Transition, dual_test, testing,
};
use time::{Duration, OffsetDateTime};

async fn category(store: &Store, name: &str) -> i64 {
    let input = CategoryInput {
        name: name.into(),
        ..CategoryInput::default()
    };
    store
        .create_category(&Actor::CLI, input)
        .await
        .expect("category")
        .id
}

async fn user(store: &Store, username: &str, role: Role, categories: Vec<i64>) -> User {
    let new = NewUser {
        username: username.into(),
        display_name: format!("Người {username}"),
        role,
        password: "Hà Lam mùa thu 2026".into(),
        categories,
        must_change_password: false,
    };
    store.create_user(&Actor::CLI, new).await.expect("user")
}

fn actor(u: &User) -> Actor {
    u.actor(None)
}

fn save(input: ArticleInput, version: i64, kind: SaveKind) -> ArticleSave {
    ArticleSave {
        input,
        version,
        kind,
        correction_note: String::new(),
    }
}

fn step(action: Action, note: &str) -> Transition {
    Transition {
        action,
        note: note.into(),
        version: None,
    }
}

async fn audit_actions(store: &Store, target: &str) -> Vec<String> {
    let log = store
        .audit_log(&AuditQuery {
            per_page: 200,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    let mut actions: Vec<String> = log
        .entries
        .into_iter()
        .filter(|e| e.target == target)
        .map(|e| e.action)
        .collect();
    actions.reverse();
    actions
}

dual_test!(
    an_article_goes_from_draft_to_public_by_the_workflow,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = category(&store, "Tin hoạt động").await;
        let author = user(&store, "tac.gia", Role::Author, vec![]).await;
        let editor = user(&store, "bien.tap", Role::Editor, vec![news]).await;

        let mut input = ArticleInput::new("Hội nghị tổng kết năm", news);
        input.body = "<p>Bản thảo đầu tiên.</p><script>alert(1)</script>".into();
        let draft = store
            .create_article(&actor(&author), input.clone())
            .await
            .expect("create");
        assert_eq!(
            (draft.status, draft.author_id, draft.version),
            (ArticleStatus::Draft, Some(author.id), 1)
        );
        assert_eq!(
            draft.body, "<p>Bản thảo đầu tiên.</p>",
            "the body is sanitised on the way in"
        );

        // The author may not publish; may submit.
        let refused = store
            .transition_article(
                &author,
                &actor(&author),
                draft.id,
                step(Action::Publish, ""),
            )
            .await
            .expect_err("an author can't publish");
        assert!(
            matches!(refused, StoreError::Refused(Refusal::Forbidden)),
            "{refused:?}"
        );
        let pending = store
            .transition_article(&author, &actor(&author), draft.id, step(Action::Submit, ""))
            .await
            .expect("submit")
            .expect("kept");
        assert_eq!(pending.status, ArticleStatus::Pending);
        // Submitted, it is the editor's: the author can no longer change it.
        assert_eq!(
            workflow::may_edit(&author, &Facts::from(&pending)),
            Err(Refusal::Forbidden)
        );

        // A return needs the editor's comment; it reaches the author.
        let no_note = store
            .transition_article(
                &editor,
                &actor(&editor),
                draft.id,
                step(Action::Return, " "),
            )
            .await
            .expect_err("no comment");
        assert!(
            matches!(no_note, StoreError::Invalid(ref v) if v.field == "note"),
            "{no_note:?}"
        );
        let returned = store
            .transition_article(
                &editor,
                &actor(&editor),
                draft.id,
                step(Action::Return, "Bổ sung số liệu"),
            )
            .await
            .expect("return")
            .expect("kept");
        assert_eq!(
            (returned.status, returned.review_note.as_str()),
            (ArticleStatus::Returned, "Bổ sung số liệu")
        );

        // The author fixes it (a stale version is refused, nothing written), submits again.
        let mut fixed = ArticleInput::from(&returned);
        fixed.body = "<p>Bản thảo đã bổ sung số liệu.</p>".into();
        let may = |f: &Facts| workflow::may_edit(&author, f);
        let stale = store
            .save_article(
                &actor(&author),
                draft.id,
                save(fixed.clone(), returned.version - 1, SaveKind::Save),
                may,
            )
            .await
            .expect_err("stale");
        assert!(
            matches!(stale, StoreError::Stale { current } if current == returned.version),
            "{stale:?}"
        );
        let saved = store
            .save_article(
                &actor(&author),
                draft.id,
                save(fixed, returned.version, SaveKind::Save),
                may,
            )
            .await
            .expect("save");
        assert_eq!(saved.version, returned.version + 1);
        store
            .transition_article(&author, &actor(&author), draft.id, step(Action::Submit, ""))
            .await
            .expect("submit again");

        // The editor approves: public now, the comment cleared.
        let published = store
            .transition_article(
                &editor,
                &actor(&editor),
                draft.id,
                step(Action::Publish, ""),
            )
            .await
            .expect("publish")
            .expect("kept");
        assert!(published.is_public(OffsetDateTime::now_utc()));
        assert_eq!(published.review_note, "");
        assert!(
            store
                .public_article(draft.id)
                .await
                .expect("read")
                .is_some()
        );

        // Every transition is in the audit log, in order.
        assert_eq!(
            audit_actions(&store, &format!("article:{}", draft.id)).await,
            [
                AuditAction::ArticleCreate.as_str(),
                AuditAction::ArticleSubmit.as_str(),
                AuditAction::ArticleReturn.as_str(),
                AuditAction::ArticleUpdate.as_str(),
                AuditAction::ArticleSubmit.as_str(),
                AuditAction::ArticlePublish.as_str(),
            ]
        );
    }
);

dual_test!(
    a_public_article_changes_only_with_a_correction_note,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = category(&store, "Tin").await;
        let editor = user(&store, "bien.tap", Role::Editor, vec![news]).await;
        let mut input = ArticleInput::new("Kết luận số 52-KL/TW", news);
        input.status = ArticleStatus::Published;
        input.body = "<p>Nội dung ban đầu.</p>".into();
        let a = store
            .create_article(&actor(&editor), input)
            .await
            .expect("create");
        let may = |f: &Facts| workflow::may_edit(&editor, f);

        let mut changed = ArticleInput::from(&a);
        changed.body = "<p>Nội dung đã sửa lỗi số liệu.</p>".into();
        let err = store
            .save_article(
                &actor(&editor),
                a.id,
                save(changed.clone(), a.version, SaveKind::Save),
                may,
            )
            .await
            .expect_err("needs a note");
        assert!(
            matches!(err, StoreError::Invalid(ref v) if v.field == "correction_note"),
            "{err:?}"
        );
        assert_eq!(
            store.article(a.id).await.expect("read").expect("kept").body,
            a.body,
            "nothing written"
        );

        let mut with_note = save(changed, a.version, SaveKind::Save);
        with_note.correction_note = "Sửa số liệu ở đoạn 1".into();
        let corrected = store
            .save_article(&actor(&editor), a.id, with_note, may)
            .await
            .expect("save");
        assert_eq!(corrected.correction_note, "Sửa số liệu ở đoạn 1");
        assert!(corrected.corrected_at.is_some());
        // Metadata alone is no correction.
        let mut byline = ArticleInput::from(&corrected);
        byline.byline = "Kim Thanh".into();
        store
            .save_article(
                &actor(&editor),
                a.id,
                save(byline, corrected.version, SaveKind::Save),
                may,
            )
            .await
            .expect("a byline needs no note");
        let kinds: Vec<String> = store
            .revisions(a.id)
            .await
            .expect("revisions")
            .into_iter()
            .map(|r| r.kind)
            .collect();
        assert_eq!(kinds, ["save", "correction", "create"]);
    }
);

dual_test!(
    autosaves_fold_and_a_revision_can_be_restored,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = category(&store, "Tin").await;
        let author = user(&store, "tac.gia", Role::Author, vec![]).await;
        let a = store
            .create_article(&actor(&author), ArticleInput::new("Bản nháp", news))
            .await
            .expect("create");
        let may = |f: &Facts| workflow::may_edit(&author, f);
        let mut version = a.version;
        for words in ["Một", "Một hai", "Một hai ba"] {
            let mut input = ArticleInput::from(&a);
            input.body = format!("<p>{words}</p>");
            version = store
                .save_article(
                    &actor(&author),
                    a.id,
                    save(input, version, SaveKind::Autosave),
                    may,
                )
                .await
                .expect("autosave")
                .version;
        }
        let revisions = store.revisions(a.id).await.expect("revisions");
        assert_eq!(
            revisions.len(),
            2,
            "three autosaves fold into one: {revisions:?}"
        );
        assert_eq!(revisions[0].kind, "autosave");
        assert_eq!(revisions[0].version, version);
        // An unchanged save writes nothing.
        let same = store.article(a.id).await.expect("read").expect("kept");
        let again = store
            .save_article(
                &actor(&author),
                a.id,
                save(ArticleInput::from(&same), version, SaveKind::Save),
                may,
            )
            .await
            .expect("no-op");
        assert_eq!(again.version, version);

        // Restoring the first revision is a new revision with the old text.
        let first = revisions.last().expect("create").id;
        let old = store
            .revision(a.id, first)
            .await
            .expect("read")
            .expect("exists");
        let restored = store
            .save_article(
                &actor(&author),
                a.id,
                save(old.input, version, SaveKind::Restore { revision: first }),
                may,
            )
            .await
            .expect("restore");
        assert_eq!(restored.body, "");
        let revisions = store.revisions(a.id).await.expect("revisions");
        assert_eq!(
            (revisions[0].kind.as_str(), revisions.len()),
            ("restore", 3)
        );
        assert_eq!(revisions[0].note, format!("#{first}"));
    }
);

dual_test!(the_trash_keeps_and_restores, |backend| async move {
    let store = testing::store(backend).await;
    let news = category(&store, "Tin").await;
    let admin = user(&store, "quan.tri", Role::Admin, vec![]).await;
    let mut input = ArticleInput::new("Bài đã đăng", news);
    input.status = ArticleStatus::Published;
    let a = store
        .create_article(&actor(&admin), input)
        .await
        .expect("create");
    let trashed = store
        .transition_article(&admin, &actor(&admin), a.id, step(Action::Trash, ""))
        .await
        .expect("trash")
        .expect("kept");
    assert_eq!(
        (trashed.status, trashed.trashed_from),
        (ArticleStatus::Trashed, Some(ArticleStatus::Published))
    );
    assert!(store.public_article(a.id).await.expect("read").is_none());
    let purge = store
        .transition_article(&admin, &actor(&admin), a.id, step(Action::Purge, ""))
        .await
        .expect_err("too early");
    assert!(matches!(purge, StoreError::Refused(Refusal::TooEarly)));
    let back = store
        .transition_article(&admin, &actor(&admin), a.id, step(Action::Restore, ""))
        .await
        .expect("restore")
        .expect("kept");
    // Back, but not before readers by itself.
    assert_eq!(
        (back.status, back.trashed_at),
        (ArticleStatus::Archived, None)
    );
    let trashed_again = store
        .transition_article(&admin, &actor(&admin), a.id, step(Action::Trash, ""))
        .await
        .expect("trash")
        .expect("kept");
    let month_ago = format!(
        "UPDATE articles SET trashed_at = '{}' WHERE id = {}",
        sen_core::format::rfc3339(OffsetDateTime::now_utc() - Duration::days(31)),
        trashed_again.id
    );
    testing::execute(&store, &month_ago).await.expect("age it");
    let gone = store
        .transition_article(&admin, &actor(&admin), a.id, step(Action::Purge, ""))
        .await
        .expect("purge");
    assert!(gone.is_none());
    assert!(store.article(a.id).await.expect("read").is_none());
    assert!(store.revisions(a.id).await.expect("revisions").is_empty());
});

dual_test!(the_desk_filters_searches_and_counts, |backend| async move {
    let store = testing::store(backend).await;
    let news = category(&store, "Tin").await;
    let other = category(&store, "Thông báo").await;
    let author = user(&store, "tac.gia", Role::Author, vec![]).await;
    let editor = user(&store, "bien.tap", Role::Editor, vec![news]).await;
    let write = |title: &str, cat: i64| {
        let input = ArticleInput::new(title, cat);
        let store = &store;
        let author = &author;
        async move {
            store
                .create_article(&actor(author), input)
                .await
                .expect("create")
        }
    };
    let a = write("Hội thảo chuyển đổi số", news).await;
    let b = write("Ảnh hội viên tiêu biểu", news).await;
    let c = write("Thông báo tuyển dụng", other).await;
    store
        .transition_article(&author, &actor(&author), a.id, step(Action::Submit, ""))
        .await
        .expect("submit");
    store
        .transition_article(&author, &actor(&author), c.id, step(Action::Submit, ""))
        .await
        .expect("submit");
    store
        .transition_article(&author, &actor(&author), b.id, step(Action::Trash, ""))
        .await
        .expect("trash");

    let titles = |q: DeskQuery| {
        let store = &store;
        async move {
            store
                .desk(&q)
                .await
                .expect("desk")
                .rows
                .into_iter()
                .map(|r| r.title)
                .collect::<Vec<_>>()
        }
    };
    // Without diacritics, any order of words.
    let found = titles(DeskQuery {
        search: "chuyen doi".into(),
        ..DeskQuery::default()
    })
    .await;
    assert_eq!(found, ["Hội thảo chuyển đổi số"]);
    // The trash only when asked for.
    let all = titles(DeskQuery::default()).await;
    assert_eq!(all.len(), 2);
    let trash = titles(DeskQuery {
        status: Some(DeskStatus::Is(ArticleStatus::Trashed)),
        ..DeskQuery::default()
    })
    .await;
    assert_eq!(trash, ["Ảnh hội viên tiêu biểu"]);
    let sorted = titles(DeskQuery {
        sort: DeskSort::Title,
        ..DeskQuery::default()
    })
    .await;
    assert_eq!(sorted, ["Hội thảo chuyển đổi số", "Thông báo tuyển dụng"]);
    let in_news = titles(DeskQuery {
        category_id: Some(news),
        ..DeskQuery::default()
    })
    .await;
    assert_eq!(in_news, ["Hội thảo chuyển đổi số"]);

    // Waiting for the editor: only what is in their category.
    let counts = store.desk_counts(&editor).await.expect("counts");
    assert_eq!(counts.waiting_for_me, 1);
    let mine = store.desk_counts(&author).await.expect("counts");
    assert_eq!(
        (mine.waiting_for_me, mine.my_drafts, mine.returned_to_me),
        (0, 0, 0)
    );

    // Scheduled: published with a time ahead.
    let mut later = ArticleInput::new("Hẹn giờ đăng", news);
    later.status = ArticleStatus::Published;
    later.published_at = Some(OffsetDateTime::now_utc() + Duration::hours(2));
    store
        .create_article(&actor(&editor), later)
        .await
        .expect("schedule");
    let scheduled = titles(DeskQuery {
        status: Some(DeskStatus::Scheduled),
        ..DeskQuery::default()
    })
    .await;
    assert_eq!(scheduled, ["Hẹn giờ đăng"]);
    assert_eq!(
        store.desk_counts(&editor).await.expect("counts").scheduled,
        1
    );
});

dual_test!(
    the_scheduler_acts_once_and_its_lease_is_one_nodes,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = category(&store, "Tin").await;
        // The first run sets the mark.
        assert_eq!(
            store
                .run_schedule(OffsetDateTime::now_utc())
                .await
                .expect("run")
                .published,
            Vec::<i64>::new()
        );
        let now = OffsetDateTime::now_utc();
        let mut soon = ArticleInput::new("Đăng sau 2 giây", news);
        soon.status = ArticleStatus::Published;
        soon.published_at = Some(now + Duration::seconds(2));
        let soon = store
            .create_article(&Actor::CLI, soon)
            .await
            .expect("schedule");
        let mut ending = ArticleInput::new("Tự gỡ", news);
        ending.status = ArticleStatus::Published;
        ending.published_at = Some(now - Duration::hours(1));
        ending.unpublish_at = Some(now + Duration::seconds(2));
        let ending = store
            .create_article(&Actor::CLI, ending)
            .await
            .expect("create");

        let early = store.run_schedule(now).await.expect("run");
        assert!(early.published.is_empty() && early.unpublished.is_empty());
        let at = now + Duration::seconds(3);
        let run = store.run_schedule(at).await.expect("run");
        assert_eq!(
            (run.published, run.unpublished),
            (vec![soon.id], vec![ending.id])
        );
        // Run again (as another node would): nothing twice.
        let again = store.run_schedule(at).await.expect("run");
        assert!(again.published.is_empty() && again.unpublished.is_empty());
        assert_eq!(
            store
                .article(ending.id)
                .await
                .expect("read")
                .expect("kept")
                .status,
            ArticleStatus::Archived
        );
        let actions = audit_actions(&store, &format!("article:{}", soon.id)).await;
        assert_eq!(
            actions.iter().filter(|a| *a == "article_publish").count(),
            1
        );

        // The lease: one holder at a time, renewed by it, free when released or expired.
        let ttl = Duration::seconds(5);
        assert!(store.try_lease("scheduler", "a", ttl).await.expect("lease"));
        assert!(!store.try_lease("scheduler", "b", ttl).await.expect("lease"));
        assert!(store.try_lease("scheduler", "a", ttl).await.expect("renew"));
        store
            .release_lease("scheduler", "a")
            .await
            .expect("release");
        assert!(
            store
                .try_lease("scheduler", "b", Duration::seconds(-1))
                .await
                .expect("lease")
        );
        // b's lease ran out: a takes over.
        assert!(
            store
                .try_lease("scheduler", "a", ttl)
                .await
                .expect("take over")
        );
    }
);

dual_test!(
    what_went_public_at_once_is_not_announced_again_by_the_scheduler,
    |backend| async move {
        let store = testing::store(backend).await;
        let news = category(&store, "Tin").await;
        let editor = user(&store, "bien.tap", Role::Editor, vec![news]).await;
        let before = OffsetDateTime::now_utc() - Duration::seconds(5);
        store.run_schedule(before).await.expect("the mark");
        // Public the moment they are written, after the mark and before the schedule's next run:
        // an editor's "publish now", and an article created published.
        let draft = store
            .create_article(&actor(&editor), ArticleInput::new("Đăng ngay", news))
            .await
            .expect("create");
        store
            .transition_article(
                &editor,
                &actor(&editor),
                draft.id,
                step(Action::Publish, ""),
            )
            .await
            .expect("publish")
            .expect("kept");
        let mut direct = ArticleInput::new("Tạo là đăng", news);
        direct.status = ArticleStatus::Published;
        let direct = store
            .create_article(&actor(&editor), direct)
            .await
            .expect("create published");
        // One scheduled ahead still is. Publication times are kept to the second, so "3 s ahead"
        // is 2 to 3 s: a slow machine's write still lands before it (at 1 s it did not, on CI).
        let mut soon = ArticleInput::new("Hẹn giờ ba giây", news);
        soon.status = ArticleStatus::Published;
        soon.published_at = Some(OffsetDateTime::now_utc() + Duration::seconds(3));
        let soon = store
            .create_article(&actor(&editor), soon)
            .await
            .expect("schedule");

        let run = store
            .run_schedule(OffsetDateTime::now_utc() + Duration::seconds(5))
            .await
            .expect("run");
        assert_eq!(run.published, vec![soon.id]);
        for id in [draft.id, direct.id, soon.id] {
            let actions = audit_actions(&store, &format!("article:{id}")).await;
            assert!(
                actions.iter().filter(|a| *a == "article_publish").count() <= 1,
                "{id}: {actions:?}"
            );
        }
    }
);
