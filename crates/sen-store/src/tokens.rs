//! API tokens: `sen_` and 43 random characters, shown once; the database keeps their SHA-256.
//! A request with one acts as its user, with that user's role, while the user is active.

use sen_core::{Actor, ErrorCode, User, ValidationError, format::utc_seconds, text};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, record},
    db::on_db,
    keys::{random_token, token_hash},
};

pub const TOKEN_PREFIX: &str = "sen_";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A token just made, with its secret: it exists nowhere else.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: String,
    pub info: ApiToken,
}

/// Who a presented token acts as.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenAuth {
    pub token_id: i64,
    pub user: User,
}

macro_rules! token_select {
    () => {
        "SELECT t.id, t.user_id, u.username, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id "
    };
}

type TokenRow = (
    i64,
    i64,
    String,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

fn api_token(row: TokenRow) -> ApiToken {
    let (id, user_id, username, name, created_at, expires_at, last_used_at, revoked_at) = row;
    ApiToken {
        id,
        user_id,
        username,
        name,
        created_at,
        expires_at,
        last_used_at,
        revoked_at,
    }
}

/// id, user_id, expires_at, last_used_at, revoked_at
type UseRow = (
    i64,
    i64,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

/// `last_used_at` is written at most this often.
const USE_TOUCH: time::Duration = time::Duration::minutes(1);

impl Store {
    /// Makes a token for `user_id`, valid until `expires_at` (or until revoked).
    pub async fn create_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<NewToken> {
        let now = utc_seconds(now);
        let name = text::clean_line(name);
        if name.chars().count() > 100 {
            return Err(ValidationError::new("name", ErrorCode::TooLong).into());
        }
        let expires_at = expires_at.map(utc_seconds);
        if expires_at.is_some_and(|t| t <= now) {
            return Err(ValidationError::new("expires_at", ErrorCode::OutOfRange).into());
        }
        let token = format!("{TOKEN_PREFIX}{}", random_token());
        let mut tx = self.begin().await?;
        let (id,): (i64,) = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user_id).bind(&name).bind(token_hash(&token)).bind(now).bind(expires_at)
            .fetch_one(c)
            .await
        })
        .map_err(|e| StoreError::constraint(e, None, Some("user_id")))?;
        let details = json!({ "user_id": user_id, "name": name });
        record(
            &mut tx,
            now,
            actor,
            AuditAction::TokenCreate,
            &format!("token:{id}"),
            details,
        )
        .await?;
        let row: TokenRow = on_db!(&mut tx, tx c => {
            sqlx::query_as(concat!(token_select!(), "WHERE t.id = $1")).bind(id).fetch_one(c).await
        })?;
        tx.commit().await?;
        Ok(NewToken {
            token,
            info: api_token(row),
        })
    }

    pub async fn token(&self, id: i64) -> Result<Option<ApiToken>> {
        let row: Option<TokenRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(token_select!(), "WHERE t.id = $1")).bind(id).fetch_optional(p).await
        })?;
        Ok(row.map(api_token))
    }

    /// The tokens of `user_id`, or everyone's; revoked and expired ones included, newest first.
    pub async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(token_select!(), "WHERE ($1 IS NULL OR t.user_id = $1) ORDER BY t.id DESC"))
                .bind(user_id)
                .fetch_all(p)
                .await
        })?;
        Ok(rows.into_iter().map(api_token).collect())
    }

    /// Revokes a token for good; revoking it again changes nothing.
    pub async fn revoke_token(&self, actor: &Actor, id: i64, now: OffsetDateTime) -> Result<()> {
        let now = utc_seconds(now);
        let mut tx = self.begin().await?;
        let revoked: Option<(i64,)> = on_db!(&mut tx, tx c => {
            sqlx::query_as("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING user_id")
                .bind(id).bind(now)
                .fetch_optional(c)
                .await
        })?;
        match revoked {
            Some((user_id,)) => {
                let details = json!({ "user_id": user_id });
                let target = format!("token:{id}");
                record(
                    &mut tx,
                    now,
                    actor,
                    AuditAction::TokenRevoke,
                    &target,
                    details,
                )
                .await?;
                tx.commit().await
            }
            None => {
                let exists: Option<(i64,)> = on_db!(&mut tx, tx c => {
                    sqlx::query_as("SELECT id FROM api_tokens WHERE id = $1").bind(id).fetch_optional(c).await
                })?;
                exists.map(|_| ()).ok_or(StoreError::NotFound)
            }
        }
    }

    /// Who a presented token acts as: `None` for an unknown, revoked or expired token, or one
    /// whose user is disabled. Notes its use (at most once a minute).
    pub async fn token_user(&self, token: &str, now: OffsetDateTime) -> Result<Option<TokenAuth>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let now = utc_seconds(now);
        let hash = token_hash(token);
        let row: Option<UseRow> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT id, user_id, expires_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(p)
            .await
        })?;
        let Some((token_id, user_id, expires_at, last_used_at, revoked_at)) = row else {
            return Ok(None);
        };
        if revoked_at.is_some() || expires_at.is_some_and(|t| now >= t) {
            return Ok(None);
        }
        let Some(user) = self.user(user_id).await?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        if last_used_at.is_none_or(|t| now - t >= USE_TOUCH) {
            on_db!(self, write p => {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token_id).bind(now)
                    .execute(p)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        Ok(Some(TokenAuth { token_id, user }))
    }
}
