//! The article workflow: which state an action leads to, and who may take it. One function decides
//! every transition ([`transition`]), one every edit ([`may_edit`]); the admin, the API and the
//! scheduler all go through them, and the store applies their answer inside the write's
//! transaction, so the state it was decided on is the state it changes.
//!
//! ```text
//! draft ──submit──▶ pending ──publish──▶ published (scheduled while publish_at is ahead)
//!   ▲  ◀─withdraw──┘   │ return (with a comment)        │ unpublish
//!   │                  ▼                                 ▼
//!   └──(edit, submit)─ returned                       archived ──publish──▶ published
//! any state except trashed ──trash──▶ trashed ──restore──▶ the state before (published → archived)
//! trashed for 30 days ──purge (admin)──▶ gone
//! ```

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{
    accounts::{Role, User},
    domain::{Article, ArticleInput, ArticleStatus},
    policy,
};

/// How long an article stays in the trash before an administrator may purge it.
pub const PURGE_AFTER: Duration = Duration::days(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send for review (gửi duyệt).
    Submit,
    /// Take one's own submission back to a draft (rút lại).
    Withdraw,
    /// Send back to the author with a comment (trả lại).
    Return,
    /// Publish now or at `publish_at` (xuất bản, hẹn giờ đăng).
    Publish,
    /// Take down (gỡ bài).
    Unpublish,
    Trash,
    Restore,
    /// Delete for good, from the trash, after [`PURGE_AFTER`].
    Purge,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Self::Submit,
        Self::Withdraw,
        Self::Return,
        Self::Publish,
        Self::Unpublish,
        Self::Trash,
        Self::Restore,
        Self::Purge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Withdraw => "withdraw",
            Self::Return => "return",
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
            Self::Trash => "trash",
            Self::Restore => "restore",
            Self::Purge => "purge",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Why an action or an edit is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor's role or assignment doesn't allow it.
    #[error("not allowed")]
    Forbidden,
    /// Not from the article's present state (e.g. publishing what is in the trash).
    #[error("not from this state")]
    WrongState,
    /// Returning needs the editor's comment.
    #[error("a comment is required")]
    NoteRequired,
    /// A purge before the article's time in the trash is up.
    #[error("too early")]
    TooEarly,
}

/// What an article is, as far as the workflow cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub status: ArticleStatus,
    pub author_id: Option<i64>,
    pub category_id: i64,
    pub trashed_from: Option<ArticleStatus>,
    pub trashed_at: Option<OffsetDateTime>,
}

impl From<&Article> for Facts {
    fn from(a: &Article) -> Self {
        Self {
            status: a.status,
            author_id: a.author_id,
            category_id: a.category_id,
            trashed_from: a.trashed_from,
            trashed_at: a.trashed_at,
        }
    }
}

/// The state `action` takes the article to, if `actor` may take it now. `note` is the comment
/// that goes with it (required to return an article).
pub fn transition(
    actor: &User,
    article: &Facts,
    action: Action,
    note: &str,
    now: OffsetDateTime,
) -> Result<ArticleStatus, Refusal> {
    use ArticleStatus::*;
    let publisher = policy::can_publish(actor, article.category_id);
    let owner = policy::can_submit_article(actor, article.author_id);
    let editor = policy::can_edit_article(actor, article.category_id, article.author_id);
    let allowed = |may: bool, to: ArticleStatus| if may { Ok(to) } else { Err(Refusal::Forbidden) };
    match (action, article.status) {
        (Action::Submit, Draft | Returned) => allowed(owner, Pending),
        (Action::Withdraw, Pending) => allowed(owner, Draft),
        (Action::Return, Pending) => {
            if !publisher {
                Err(Refusal::Forbidden)
            } else if note.trim().is_empty() {
                Err(Refusal::NoteRequired)
            } else {
                Ok(Returned)
            }
        }
        (Action::Publish, Draft | Pending | Returned | Archived) => allowed(publisher, Published),
        (Action::Unpublish, Published) => allowed(publisher, Archived),
        // What readers see, or may see at a set time, goes to the trash only by a publisher.
        (Action::Trash, Published | Archived) => allowed(publisher, Trashed),
        (Action::Trash, Draft | Pending | Returned) => allowed(editor, Trashed),
        (Action::Restore, Trashed) => {
            let to = match article.trashed_from {
                // Restoring never puts an article back before readers by itself.
                Some(Published | Archived) => Archived,
                Some(Pending) => Pending,
                Some(Returned) => Returned,
                _ => Draft,
            };
            let may = match article.trashed_from {
                Some(Published | Archived) => publisher,
                _ => editor,
            };
            allowed(may, to)
        }
        (Action::Purge, Trashed) => {
            if !(actor.role == Role::Admin && policy::can_enter_admin(actor)) {
                Err(Refusal::Forbidden)
            } else if article.trashed_at.is_none_or(|at| now - at < PURGE_AFTER) {
                Err(Refusal::TooEarly)
            } else {
                Ok(Trashed)
            }
        }
        _ => Err(Refusal::WrongState),
    }
}

/// Whether `actor` may change the article's content now. Authors change their own drafts and
/// returned articles; once submitted or published, it is an editor's (or an administrator's).
pub fn may_edit(actor: &User, article: &Facts) -> Result<(), Refusal> {
    use ArticleStatus::*;
    let may = match article.status {
        Draft | Returned => policy::can_edit_article(actor, article.category_id, article.author_id),
        Pending | Published | Archived => policy::can_publish(actor, article.category_id),
        Trashed => return Err(Refusal::WrongState),
    };
    if may { Ok(()) } else { Err(Refusal::Forbidden) }
}

/// Which actions to offer `actor` on the article: those [`transition`] would allow (a return
/// and a purge are offered when only their comment or their time is missing).
pub fn offered(actor: &User, article: &Facts, now: OffsetDateTime) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&action| {
            matches!(
                transition(actor, article, action, "comment", now),
                Ok(_) | Err(Refusal::NoteRequired)
            )
        })
        .collect()
}

/// Whether saving `after` over `before` changes what readers have already read — its title,
/// summary or body — so that a correction note must go with it (đính chính).
pub fn needs_correction(before: &Article, after: &ArticleInput, now: OffsetDateTime) -> bool {
    before.is_public(now)
        && (before.title != after.title
            || before.summary != after.summary
            || before.body != after.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ME: i64 = 7;
    const OTHER: i64 = 8;
    const MINE: i64 = 1;
    const NOT_MINE: i64 = 2;
    const NOW: OffsetDateTime = datetime!(2026-12-01 8:00 UTC);

    fn user(role: Role) -> User {
        User {
            id: ME,
            username: "u".into(),
            display_name: String::new(),
            role,
            categories: if role == Role::Editor {
                vec![MINE]
            } else {
                vec![]
            },
            disabled: false,
            must_change_password: false,
            totp_enabled: false,
            created_at: datetime!(2026-01-01 0:00 UTC),
            updated_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    fn facts(status: ArticleStatus, author: i64, category: i64) -> Facts {
        Facts {
            status,
            author_id: Some(author),
            category_id: category,
            trashed_from: None,
            trashed_at: None,
        }
    }

    /// Who is asking, about whose article in which category.
    #[derive(Debug, Clone, Copy)]
    enum Who {
        /// An author on their own article.
        AuthorOwn,
        /// An author on someone else's.
        AuthorOther,
        /// An editor on someone else's article in their category.
        EditorIn,
        /// An editor on someone else's article elsewhere.
        EditorOut,
        Admin,
    }

    const WHO: [Who; 5] = [
        Who::AuthorOwn,
        Who::AuthorOther,
        Who::EditorIn,
        Who::EditorOut,
        Who::Admin,
    ];

    fn ask(who: Who, status: ArticleStatus) -> (User, Facts) {
        match who {
            Who::AuthorOwn => (user(Role::Author), facts(status, ME, NOT_MINE)),
            Who::AuthorOther => (user(Role::Author), facts(status, OTHER, NOT_MINE)),
            Who::EditorIn => (user(Role::Editor), facts(status, OTHER, MINE)),
            Who::EditorOut => (user(Role::Editor), facts(status, OTHER, NOT_MINE)),
            Who::Admin => (user(Role::Admin), facts(status, OTHER, NOT_MINE)),
        }
    }

    /// The outcome in the table: the new state, or why not.
    type Row = (ArticleStatus, Action, [Result<ArticleStatus, Refusal>; 5]);

    /// Role × state × action, each row read in the order of [`WHO`].
    #[test]
    fn every_transition_by_role_and_state() {
        use ArticleStatus::*;
        const F: Result<ArticleStatus, Refusal> = Err(Refusal::Forbidden);
        const W: Result<ArticleStatus, Refusal> = Err(Refusal::WrongState);
        let table: &[Row] = &[
            (Draft, Action::Submit, [Ok(Pending), F, F, F, F]),
            (Returned, Action::Submit, [Ok(Pending), F, F, F, F]),
            (Pending, Action::Submit, [W, W, W, W, W]),
            (Pending, Action::Withdraw, [Ok(Draft), F, F, F, F]),
            (Draft, Action::Withdraw, [W, W, W, W, W]),
            (
                Pending,
                Action::Return,
                [F, F, Ok(Returned), F, Ok(Returned)],
            ),
            (Draft, Action::Return, [W, W, W, W, W]),
            (
                Draft,
                Action::Publish,
                [F, F, Ok(Published), F, Ok(Published)],
            ),
            (
                Pending,
                Action::Publish,
                [F, F, Ok(Published), F, Ok(Published)],
            ),
            (
                Returned,
                Action::Publish,
                [F, F, Ok(Published), F, Ok(Published)],
            ),
            (
                Archived,
                Action::Publish,
                [F, F, Ok(Published), F, Ok(Published)],
            ),
            (Published, Action::Publish, [W, W, W, W, W]),
            (Trashed, Action::Publish, [W, W, W, W, W]),
            (
                Published,
                Action::Unpublish,
                [F, F, Ok(Archived), F, Ok(Archived)],
            ),
            (Draft, Action::Unpublish, [W, W, W, W, W]),
            (
                Draft,
                Action::Trash,
                [Ok(Trashed), F, Ok(Trashed), F, Ok(Trashed)],
            ),
            (
                Pending,
                Action::Trash,
                [Ok(Trashed), F, Ok(Trashed), F, Ok(Trashed)],
            ),
            (
                Published,
                Action::Trash,
                [F, F, Ok(Trashed), F, Ok(Trashed)],
            ),
            (Archived, Action::Trash, [F, F, Ok(Trashed), F, Ok(Trashed)]),
            (Trashed, Action::Trash, [W, W, W, W, W]),
            (
                Trashed,
                Action::Restore,
                [Ok(Draft), F, Ok(Draft), F, Ok(Draft)],
            ),
            (Draft, Action::Restore, [W, W, W, W, W]),
            (Draft, Action::Purge, [W, W, W, W, W]),
        ];
        for (status, action, expected) in table {
            for (who, want) in WHO.into_iter().zip(expected) {
                let (actor, article) = ask(who, *status);
                assert_eq!(
                    transition(&actor, &article, *action, "ý kiến", NOW),
                    *want,
                    "{who:?} {action:?} from {status:?}"
                );
                let mut disabled = actor.clone();
                disabled.disabled = true;
                assert!(
                    transition(&disabled, &article, *action, "ý kiến", NOW).is_err(),
                    "a disabled {who:?} may not {action:?} from {status:?}"
                );
            }
        }
    }

    #[test]
    fn edits_by_role_and_state() {
        use ArticleStatus::*;
        const F: Result<(), Refusal> = Err(Refusal::Forbidden);
        const W: Result<(), Refusal> = Err(Refusal::WrongState);
        let table: &[(ArticleStatus, [Result<(), Refusal>; 5])] = &[
            (Draft, [Ok(()), F, Ok(()), F, Ok(())]),
            (Returned, [Ok(()), F, Ok(()), F, Ok(())]),
            (Pending, [F, F, Ok(()), F, Ok(())]),
            (Published, [F, F, Ok(()), F, Ok(())]),
            (Archived, [F, F, Ok(()), F, Ok(())]),
            (Trashed, [W, W, W, W, W]),
        ];
        for (status, expected) in table {
            for (who, want) in WHO.into_iter().zip(expected) {
                let (actor, article) = ask(who, *status);
                assert_eq!(
                    may_edit(&actor, &article),
                    *want,
                    "{who:?} edits {status:?}"
                );
            }
        }
    }

    #[test]
    fn a_return_needs_a_comment() {
        let (editor, article) = ask(Who::EditorIn, ArticleStatus::Pending);
        assert_eq!(
            transition(&editor, &article, Action::Return, "  ", NOW),
            Err(Refusal::NoteRequired)
        );
        assert!(offered(&editor, &article, NOW).contains(&Action::Return));
    }

    #[test]
    fn restoring_goes_back_but_never_before_readers() {
        use ArticleStatus::*;
        for (from, to) in [
            (Draft, Draft),
            (Pending, Pending),
            (Returned, Returned),
            (Published, Archived),
            (Archived, Archived),
        ] {
            let (admin, mut article) = ask(Who::Admin, Trashed);
            article.trashed_from = Some(from);
            assert_eq!(
                transition(&admin, &article, Action::Restore, "", NOW),
                Ok(to)
            );
        }
        // What was public comes back by a publisher only.
        let (author, mut article) = ask(Who::AuthorOwn, Trashed);
        article.trashed_from = Some(Published);
        assert_eq!(
            transition(&author, &article, Action::Restore, "", NOW),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn only_an_admin_purges_and_only_after_thirty_days() {
        let (admin, mut article) = ask(Who::Admin, ArticleStatus::Trashed);
        article.trashed_at = Some(NOW - Duration::days(29));
        assert_eq!(
            transition(&admin, &article, Action::Purge, "", NOW),
            Err(Refusal::TooEarly)
        );
        article.trashed_at = Some(NOW - Duration::days(30));
        assert!(transition(&admin, &article, Action::Purge, "", NOW).is_ok());
        let (editor, mut article) = ask(Who::EditorIn, ArticleStatus::Trashed);
        article.trashed_at = Some(NOW - Duration::days(40));
        assert_eq!(
            transition(&editor, &article, Action::Purge, "", NOW),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn what_is_offered_is_what_is_allowed() {
        let (author, draft) = ask(Who::AuthorOwn, ArticleStatus::Draft);
        assert_eq!(
            offered(&author, &draft, NOW),
            vec![Action::Submit, Action::Trash]
        );
        let (editor, pending) = ask(Who::EditorIn, ArticleStatus::Pending);
        assert_eq!(
            offered(&editor, &pending, NOW),
            vec![Action::Return, Action::Publish, Action::Trash]
        );
    }

    #[test]
    fn actions_read_back_from_their_names() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("delete"), None);
    }
}
