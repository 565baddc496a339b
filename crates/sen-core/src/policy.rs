//! Who may do what: one function per action, used by the admin's handlers, the API and tests alike.
//! A disabled user may do nothing. Category rights are per assigned category, exactly: assigning a
//! parent category does not extend to its subcategories (assign each).

use crate::accounts::{Role, User};

fn active(actor: &User) -> bool {
    !actor.disabled
}

fn is_admin(actor: &User) -> bool {
    active(actor) && actor.role == Role::Admin
}

/// An editor's right in one category: it must be assigned to them.
fn edits_in(actor: &User, category: i64) -> bool {
    active(actor) && actor.role == Role::Editor && actor.categories.contains(&category)
}

fn is_own(actor: &User, author: Option<i64>) -> bool {
    active(actor) && author == Some(actor.id)
}

/// The admin area at all: every active member of staff.
pub fn can_enter_admin(actor: &User) -> bool {
    active(actor)
}

/// Create users, change roles and assigned categories, disable, reset passwords; anyone's tokens.
pub fn can_manage_users(actor: &User) -> bool {
    is_admin(actor)
}

/// The site identity and settings.
pub fn can_edit_site(actor: &User) -> bool {
    is_admin(actor)
}

pub fn can_manage_categories(actor: &User) -> bool {
    is_admin(actor)
}

pub fn can_manage_pages(actor: &User) -> bool {
    is_admin(actor)
}

pub fn can_view_audit_log(actor: &User) -> bool {
    is_admin(actor)
}

/// One's own API tokens and password.
pub fn can_manage_own_account(actor: &User) -> bool {
    active(actor)
}

/// The security settings: whether admins and editors must use a second factor.
pub fn can_manage_security(actor: &User) -> bool {
    is_admin(actor)
}

/// Whether `user` must enrol a second factor before anything else, when the portal `required`
/// it: admins and editors without one; authors never.
pub fn must_enrol_second_factor(user: &User, required: bool) -> bool {
    required && !user.totp_enabled && matches!(user.role, Role::Admin | Role::Editor)
}

/// Start a new article (as its author).
pub fn can_write_article(actor: &User) -> bool {
    active(actor)
}

/// Change an article in `category` written by `author` (`None`: nobody's, e.g. imported): admins
/// any, editors those in their categories and their own, authors their own.
pub fn can_edit_article(actor: &User, category: i64, author: Option<i64>) -> bool {
    is_admin(actor) || edits_in(actor, category) || is_own(actor, author)
}

/// Send one's own article for review.
pub fn can_submit_article(actor: &User, author: Option<i64>) -> bool {
    is_own(actor, author)
}

/// Approve, publish, schedule or unpublish an article in `category`.
pub fn can_publish(actor: &User, category: i64) -> bool {
    is_admin(actor) || edits_in(actor, category)
}

/// Delete a file of the media library: editors and administrators, and whoever uploaded it.
pub fn can_delete_media(actor: &User, uploaded_by: Option<i64>) -> bool {
    is_admin(actor) || (active(actor) && actor.role == Role::Editor) || is_own(actor, uploaded_by)
}

/// A place that shows a file of the media library, as the rule for replacing it sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileUse {
    Article {
        category: i64,
        author: Option<i64>,
        published: bool,
    },
    Page,
    /// The site's logo or banner.
    Site,
}

/// Replace a file of the media library, which changes every place that shows it: whoever may
/// delete it, when they may also change each of those places themselves (publish, for a
/// published article).
pub fn can_replace_media(actor: &User, uploaded_by: Option<i64>, uses: &[FileUse]) -> bool {
    can_delete_media(actor, uploaded_by)
        && uses.iter().all(|u| match *u {
            FileUse::Article {
                category,
                author,
                published,
            } => {
                can_edit_article(actor, category, author)
                    && (!published || can_publish(actor, category))
            }
            FileUse::Page => can_manage_pages(actor),
            FileUse::Site => can_edit_site(actor),
        })
}

/// See an article that is not public (a draft, a submission): whoever may edit or publish it.
pub fn can_see_article(actor: &User, category: i64, author: Option<i64>) -> bool {
    can_edit_article(actor, category, author) || can_publish(actor, category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ME: i64 = 7;
    const OTHER: i64 = 8;
    const MINE: i64 = 1;
    const NOT_MINE: i64 = 2;

    fn user(role: Role, disabled: bool) -> User {
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
            disabled,
            must_change_password: false,
            totp_enabled: false,
            created_at: datetime!(2026-01-01 0:00 UTC),
            updated_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    type Check = fn(&User) -> bool;

    /// Role × action, each row read as "author, editor, admin".
    #[test]
    fn roles_by_action() {
        let table: &[(&str, Check, [bool; 3])] = &[
            ("enter admin", can_enter_admin, [true, true, true]),
            ("manage users", can_manage_users, [false, false, true]),
            ("edit site", can_edit_site, [false, false, true]),
            (
                "manage categories",
                can_manage_categories,
                [false, false, true],
            ),
            ("manage pages", can_manage_pages, [false, false, true]),
            ("view audit log", can_view_audit_log, [false, false, true]),
            ("manage security", can_manage_security, [false, false, true]),
            ("own account", can_manage_own_account, [true, true, true]),
            ("write article", can_write_article, [true, true, true]),
            (
                "edit own, my category",
                |u| can_edit_article(u, MINE, Some(ME)),
                [true, true, true],
            ),
            (
                "edit own, other category",
                |u| can_edit_article(u, NOT_MINE, Some(ME)),
                [true, true, true],
            ),
            (
                "edit other's, my category",
                |u| can_edit_article(u, MINE, Some(OTHER)),
                [false, true, true],
            ),
            (
                "edit other's, other category",
                |u| can_edit_article(u, NOT_MINE, Some(OTHER)),
                [false, false, true],
            ),
            (
                "edit nobody's, my category",
                |u| can_edit_article(u, MINE, None),
                [false, true, true],
            ),
            (
                "submit own",
                |u| can_submit_article(u, Some(ME)),
                [true, true, true],
            ),
            (
                "submit other's",
                |u| can_submit_article(u, Some(OTHER)),
                [false, false, false],
            ),
            (
                "publish, my category",
                |u| can_publish(u, MINE),
                [false, true, true],
            ),
            (
                "publish, other category",
                |u| can_publish(u, NOT_MINE),
                [false, false, true],
            ),
        ];
        for (action, check, expected) in table {
            for (role, want) in Role::ALL.into_iter().zip(expected) {
                assert_eq!(
                    check(&user(role, false)),
                    *want,
                    "{role:?} may {action}: {want}"
                );
                assert!(
                    !check(&user(role, true)),
                    "a disabled {role:?} may not {action}"
                );
            }
        }
    }

    #[test]
    fn a_file_is_replaced_only_by_whoever_may_change_every_place_showing_it() {
        let article = |category, author, published| FileUse::Article {
            category,
            author,
            published,
        };
        let (author, editor, admin) = (
            user(Role::Author, false),
            user(Role::Editor, false),
            user(Role::Admin, false),
        );
        // Unused: as deleting it.
        assert!(can_replace_media(&author, Some(ME), &[]));
        assert!(!can_replace_media(&author, Some(OTHER), &[]));
        // The author's own draft, yes; a published article, even their own, no.
        assert!(can_replace_media(
            &author,
            Some(ME),
            &[article(NOT_MINE, Some(ME), false)]
        ));
        assert!(!can_replace_media(
            &author,
            Some(ME),
            &[article(NOT_MINE, Some(ME), true)]
        ));
        // An editor in their categories; not in another's, not a page, not the logo.
        assert!(can_replace_media(
            &editor,
            None,
            &[article(MINE, Some(OTHER), true)]
        ));
        for other in [
            article(NOT_MINE, Some(OTHER), true),
            FileUse::Page,
            FileUse::Site,
        ] {
            assert!(
                !can_replace_media(&editor, None, &[article(MINE, None, true), other]),
                "{other:?}"
            );
            assert!(can_replace_media(&admin, None, &[other]), "{other:?}");
        }
        assert!(
            !can_replace_media(&user(Role::Admin, true), None, &[]),
            "disabled"
        );
    }

    #[test]
    fn the_second_factor_requirement_binds_admins_and_editors_only() {
        for (role, bound) in [
            (Role::Author, false),
            (Role::Editor, true),
            (Role::Admin, true),
        ] {
            let mut u = user(role, false);
            assert_eq!(must_enrol_second_factor(&u, true), bound, "{role:?}");
            assert!(
                !must_enrol_second_factor(&u, false),
                "{role:?}, not required"
            );
            u.totp_enabled = true;
            assert!(!must_enrol_second_factor(&u, true), "{role:?}, enrolled");
        }
    }
}
