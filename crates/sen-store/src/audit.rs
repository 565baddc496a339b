//! The audit log: who did what, when, from where. Entries are written by the store inside the
//! transaction of the write they describe, never by handlers, and never changed afterwards.

use sen_core::{Actor, format::utc_seconds};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{
    Result, Store,
    db::{Tx, on_db},
};

/// How long entries are kept: two years (and a day, for a leap year).
pub const AUDIT_RETENTION: time::Duration = time::Duration::days(731);

/// What an entry records. Stored as its `as_str`, which the admin's message catalogue names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    /// A sign-in refused unchecked: too many failures.
    SignInThrottled,
    SignOut,
    SignOutEverywhere,
    UserCreate,
    UserPassword,
    UserDisable,
    UserEnable,
    UserRole,
    TokenCreate,
    TokenRevoke,
    SiteUpdate,
    CategoryCreate,
    CategoryUpdate,
    CategoryDelete,
    PageCreate,
    PageUpdate,
    PageDelete,
    SecondFactorEnable,
    /// Turned off by its user, or reset by an administrator (a lost phone).
    SecondFactorDisable,
    /// A wrong code (or recovery code) after a right password, or to confirm who one is.
    SecondFactorFailed,
    RecoveryCodeUsed,
    /// The security settings, before and after.
    SecurityUpdate,
    ArticleCreate,
    ArticleUpdate,
    ArticleSubmit,
    ArticleWithdraw,
    ArticleReturn,
    ArticlePublish,
    ArticleUnpublish,
    ArticleTrash,
    ArticleRestore,
    ArticlePurge,
    MediaUpload,
    MediaUpdate,
    MediaDelete,
    MediaReplace,
}

impl AuditAction {
    pub const ALL: [AuditAction; 38] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::SignInThrottled,
        Self::SignOut,
        Self::SignOutEverywhere,
        Self::UserCreate,
        Self::UserPassword,
        Self::UserDisable,
        Self::UserEnable,
        Self::UserRole,
        Self::TokenCreate,
        Self::TokenRevoke,
        Self::SiteUpdate,
        Self::CategoryCreate,
        Self::CategoryUpdate,
        Self::CategoryDelete,
        Self::PageCreate,
        Self::PageUpdate,
        Self::PageDelete,
        Self::SecondFactorEnable,
        Self::SecondFactorDisable,
        Self::SecondFactorFailed,
        Self::RecoveryCodeUsed,
        Self::SecurityUpdate,
        Self::ArticleCreate,
        Self::ArticleUpdate,
        Self::ArticleSubmit,
        Self::ArticleWithdraw,
        Self::ArticleReturn,
        Self::ArticlePublish,
        Self::ArticleUnpublish,
        Self::ArticleTrash,
        Self::ArticleRestore,
        Self::ArticlePurge,
        Self::MediaUpload,
        Self::MediaUpdate,
        Self::MediaDelete,
        Self::MediaReplace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SignInThrottled => "sign_in_throttled",
            Self::SignOut => "sign_out",
            Self::SignOutEverywhere => "sign_out_everywhere",
            Self::UserCreate => "user_create",
            Self::UserPassword => "user_password",
            Self::UserDisable => "user_disable",
            Self::UserEnable => "user_enable",
            Self::UserRole => "user_role",
            Self::TokenCreate => "token_create",
            Self::TokenRevoke => "token_revoke",
            Self::SiteUpdate => "site_update",
            Self::CategoryCreate => "category_create",
            Self::CategoryUpdate => "category_update",
            Self::CategoryDelete => "category_delete",
            Self::PageCreate => "page_create",
            Self::PageUpdate => "page_update",
            Self::PageDelete => "page_delete",
            Self::SecondFactorEnable => "second_factor_enable",
            Self::SecondFactorDisable => "second_factor_disable",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SecurityUpdate => "security_update",
            Self::ArticleCreate => "article_create",
            Self::ArticleUpdate => "article_update",
            Self::ArticleSubmit => "article_submit",
            Self::ArticleWithdraw => "article_withdraw",
            Self::ArticleReturn => "article_return",
            Self::ArticlePublish => "article_publish",
            Self::ArticleUnpublish => "article_unpublish",
            Self::ArticleTrash => "article_trash",
            Self::ArticleRestore => "article_restore",
            Self::ArticlePurge => "article_purge",
            Self::MediaUpload => "media_upload",
            Self::MediaUpdate => "media_update",
            Self::MediaDelete => "media_delete",
            Self::MediaReplace => "media_replace",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// The stored action; unknown to this version of sen when [`AuditAction::parse`] says so.
    pub action: String,
    /// What was acted on, e.g. `user:7`, `token:3`.
    pub target: String,
    pub client_address: Option<String>,
    pub details: Value,
}

/// Which entries to list: every filter given must hold. Pages count from 1.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub actor_id: Option<i64>,
    pub action: Option<AuditAction>,
    /// From this instant on (inclusive).
    pub from: Option<OffsetDateTime>,
    /// Before this instant (exclusive).
    pub until: Option<OffsetDateTime>,
    pub page: i64,
    pub per_page: i64,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            actor_id: None,
            action: None,
            from: None,
            until: None,
            page: 1,
            per_page: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    pub total: i64,
}

/// Appends an entry inside the caller's transaction, so it commits (or not) with the write.
pub(crate) async fn record(
    tx: &mut Tx,
    at: OffsetDateTime,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    details: Value,
) -> Result<()> {
    let details = details.to_string();
    let client = actor.client().map(|ip| ip.to_string());
    on_db!(tx, tx c => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target, client_address, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(utc_seconds(at)).bind(actor.user_id()).bind(actor.name()).bind(action.as_str())
        .bind(target).bind(&client).bind(&details)
        .execute(c)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The fields that differ between two versions of one record, as `{"before": {…}, "after": {…}}`
/// with only those fields: an entry says what changed, not everything that stayed.
pub(crate) fn changes<T: Serialize>(before: &T, after: &T) -> Result<Value> {
    let (Value::Object(mut old), Value::Object(mut new)) =
        (serde_json::to_value(before)?, serde_json::to_value(after)?)
    else {
        return Ok(json!({ "before": before, "after": after }));
    };
    let same: Vec<String> = old
        .iter()
        .filter(|(k, v)| new.get(*k) == Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    for k in &same {
        old.remove(k);
        new.remove(k);
    }
    Ok(json!({ "before": old, "after": new }))
}

type EntryRow = (
    i64,
    OffsetDateTime,
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
    String,
);

// Each filter is off when its parameter is NULL: one SQL text for every combination.
macro_rules! filter {
    () => {
        "WHERE ($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR action = $2) \
         AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4)"
    };
}

impl Store {
    /// A page of the log, newest first, with the number of entries the filters keep.
    pub async fn audit_log(&self, q: &AuditQuery) -> Result<AuditPage> {
        let per_page = q.per_page.clamp(1, 500);
        let offset = (q.page.max(1) - 1).saturating_mul(per_page);
        let action = q.action.map(AuditAction::as_str);
        let (from, until) = (q.from.map(utc_seconds), q.until.map(utc_seconds));
        let rows: Vec<EntryRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(
                "SELECT id, at, actor_id, actor_name, action, target, client_address, details FROM audit_log ",
                filter!(),
                " ORDER BY at DESC, id DESC LIMIT $5 OFFSET $6"
            ))
            .bind(q.actor_id).bind(action).bind(from).bind(until).bind(per_page).bind(offset)
            .fetch_all(p)
            .await
        })?;
        let (total,): (i64,) = on_db!(self, read p => {
            sqlx::query_as(concat!("SELECT COUNT(*) FROM audit_log ", filter!()))
                .bind(q.actor_id).bind(action).bind(from).bind(until)
                .fetch_one(p)
                .await
        })?;
        let entries = rows
            .into_iter()
            .map(
                |(id, at, actor_id, actor_name, action, target, client_address, details)| {
                    Ok(AuditEntry {
                        id,
                        at,
                        actor_id,
                        actor_name,
                        action,
                        target,
                        client_address,
                        details: serde_json::from_str(&details)?,
                    })
                },
            )
            .collect::<Result<_>>()?;
        Ok(AuditPage { entries, total })
    }

    /// Drops entries older than `before` (the retention is [`AUDIT_RETENTION`]).
    pub async fn prune_audit_log(&self, before: OffsetDateTime) -> Result<u64> {
        let done = on_db!(self, write p => {
            sqlx::query("DELETE FROM audit_log WHERE at < $1")
                .bind(utc_seconds(before))
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done)
    }
}
