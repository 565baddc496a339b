//! Server-side sessions, and signing in and out. The client holds a random token; the database
//! only its SHA-256, so every node knows every session and a copy of the table opens none.

use std::net::IpAddr;

use sen_core::{Actor, User, accounts::valid_username, format::utc_seconds};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::{
    Result, Store,
    audit::{AuditAction, record},
    db::{Tx, on_db},
    keys::{random_token, token_hash, verify_password},
    throttle::{account_key, address_key_of, clear, count_failure},
};

/// A session ends after this long without a request...
pub const SESSION_IDLE: Duration = Duration::hours(2);
/// ...and this long after it began, whatever happens.
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, to spare a write per request.
pub const SESSION_TOUCH: Duration = Duration::minutes(1);
/// How long the code of the second factor may take after the password.
pub const PENDING_SIGN_IN: Duration = Duration::minutes(5);

const USER_AGENT_MAX: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    /// The per-session secret forms and fetch calls must echo.
    pub csrf_secret: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub client_address: Option<String>,
    pub user_agent: String,
    /// The password was right and the second factor is still to come: such a session opens
    /// nothing but the code page, and ends after [`PENDING_SIGN_IN`].
    pub pending: bool,
}

/// A session just made, with the token for the cookie: it exists nowhere else.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub session: Session,
}

/// A sign-in attempt as the login form gives it.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub username: String,
    pub password: String,
    pub client: Option<IpAddr>,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub enum SignInOutcome {
    SignedIn(Box<NewSession>),
    /// A wrong password, an unknown or disabled account: the client hears the same for each.
    Refused,
    /// Too many failures for the account or the address; try again after this long.
    Throttled {
        retry_after: Duration,
    },
}

type SessionRow = (
    i64,
    bool,
    String,
    OffsetDateTime,
    OffsetDateTime,
    OffsetDateTime,
    Option<String>,
    String,
);

/// Opens a session (a pending one lasts only until the code is due).
pub(crate) async fn insert_session(
    tx: &mut Tx,
    user: &User,
    client: Option<IpAddr>,
    user_agent: &str,
    pending: bool,
    now: OffsetDateTime,
) -> Result<NewSession> {
    let token = random_token();
    let csrf_secret = random_token();
    let expires_at = now
        + if pending {
            PENDING_SIGN_IN
        } else {
            SESSION_ABSOLUTE
        };
    let client_address = client.map(|ip| ip.to_string());
    let user_agent: String = user_agent.chars().take(USER_AGENT_MAX).collect();
    on_db!(tx, tx c => {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_secret, created_at, last_seen_at, expires_at, \
             client_address, user_agent, pending) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
        )
        .bind(token_hash(&token)).bind(user.id).bind(&csrf_secret).bind(now).bind(expires_at)
        .bind(&client_address).bind(&user_agent).bind(pending)
        .execute(c)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(NewSession {
        token,
        session: Session {
            user: user.clone(),
            csrf_secret,
            created_at: now,
            last_seen_at: now,
            expires_at,
            client_address,
            user_agent,
            pending,
        },
    })
}

impl Store {
    /// How long a sign-in (or a code, or a password confirmed) as `username` from `client` must
    /// wait, noted in the audit log; `None` when it may be tried now.
    pub(crate) async fn throttled(
        &self,
        username: &str,
        client: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<Option<Duration>> {
        let Some(retry_after) = self.sign_in_wait(username, client, now).await? else {
            return Ok(None);
        };
        let typed: String = username.trim().chars().take(64).collect();
        let mut tx = self.begin().await?;
        let details = json!({ "username": typed, "retry_after": retry_after.whole_seconds() });
        record(
            &mut tx,
            now,
            &Actor::Anonymous { client },
            AuditAction::SignInThrottled,
            "",
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(retry_after))
    }

    /// Checks a sign-in: refused unchecked while throttled; otherwise the password is verified
    /// (against a dummy hash for an unknown user, so both cost the same), a success opens a new
    /// session and clears the account's failures (for a user with a second factor, a pending
    /// session that [`Store::complete_sign_in`] finishes), a failure counts against the account and the
    /// address. Each outcome is an audit entry, in the same transaction as its rows.
    pub async fn sign_in(&self, attempt: &SignIn, now: OffsetDateTime) -> Result<SignInOutcome> {
        let now = utc_seconds(now);
        let typed: String = attempt.username.trim().chars().take(64).collect();
        let anonymous = Actor::Anonymous {
            client: attempt.client,
        };
        if let Some(retry_after) = self
            .throttled(&attempt.username, attempt.client, now)
            .await?
        {
            return Ok(SignInOutcome::Throttled { retry_after });
        }
        let found: Option<(i64, String, bool)> = match valid_username(&attempt.username) {
            Ok(name) => on_db!(self, read p => {
                sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE username = $1")
                    .bind(&name)
                    .fetch_optional(p)
                    .await
            })?,
            Err(_) => None,
        };
        let hash = found.as_ref().map(|(_, hash, _)| hash.clone());
        let matches = verify_password(attempt.password.clone(), hash).await?;
        let user = match &found {
            Some((id, _, false)) if matches => self.user(*id).await?,
            _ => None,
        };
        let mut tx = self.begin().await?;
        let outcome = match user.filter(|u| !u.disabled) {
            Some(user) if user.totp_enabled => {
                // Half way: the failures stay counted until the code is right too, so a known
                // password does not reset the count of wrong codes.
                let new = insert_session(
                    &mut tx,
                    &user,
                    attempt.client,
                    &attempt.user_agent,
                    true,
                    now,
                )
                .await?;
                SignInOutcome::SignedIn(Box::new(new))
            }
            Some(user) => {
                clear(&mut tx, &account_key(&user.username)).await?;
                let new = insert_session(
                    &mut tx,
                    &user,
                    attempt.client,
                    &attempt.user_agent,
                    false,
                    now,
                )
                .await?;
                let actor = user.actor(attempt.client);
                let target = format!("user:{}", user.id);
                record(
                    &mut tx,
                    now,
                    &actor,
                    AuditAction::SignIn,
                    &target,
                    json!({}),
                )
                .await?;
                SignInOutcome::SignedIn(Box::new(new))
            }
            None => {
                count_failure(&mut tx, &account_key(&attempt.username), now).await?;
                if let Some(key) = address_key_of(attempt.client) {
                    count_failure(&mut tx, &key, now).await?;
                }
                let (reason, target) = match &found {
                    None => ("unknown_user", String::new()),
                    Some((id, _, true)) => ("disabled", format!("user:{id}")),
                    Some((id, _, false)) => ("wrong_password", format!("user:{id}")),
                };
                let details = json!({ "username": typed, "reason": reason });
                record(
                    &mut tx,
                    now,
                    &anonymous,
                    AuditAction::SignInFailed,
                    &target,
                    details,
                )
                .await?;
                SignInOutcome::Refused
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// The live session of `token`: `None` when there is none, it is past its idle or absolute
    /// time-out, or its user is disabled. Notes the request (at most once a minute).
    pub async fn session(&self, token: &str, now: OffsetDateTime) -> Result<Option<Session>> {
        let now = utc_seconds(now);
        let hash = token_hash(token);
        let row: Option<SessionRow> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT user_id, pending, csrf_secret, created_at, last_seen_at, expires_at, client_address, \
                 user_agent FROM sessions WHERE token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(p)
            .await
        })?;
        let Some((
            user_id,
            pending,
            csrf_secret,
            created_at,
            last_seen_at,
            expires_at,
            client_address,
            user_agent,
        )) = row
        else {
            return Ok(None);
        };
        if now >= expires_at || now >= last_seen_at + SESSION_IDLE {
            return Ok(None);
        }
        let Some(user) = self.user(user_id).await?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        let last_seen_at = if now - last_seen_at >= SESSION_TOUCH {
            on_db!(self, write p => {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2")
                    .bind(&hash).bind(now)
                    .execute(p)
                    .await
                    .map(|done| done.rows_affected())
            })?;
            now
        } else {
            last_seen_at
        };
        Ok(Some(Session {
            user,
            csrf_secret,
            created_at,
            last_seen_at,
            expires_at,
            client_address,
            user_agent,
            pending,
        }))
    }

    /// Ends the session of `token` (signing out); nothing happens for an unknown token.
    pub async fn sign_out(
        &self,
        token: &str,
        client: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let now = utc_seconds(now);
        let mut tx = self.begin().await?;
        let ended: Option<(i64,)> = on_db!(&mut tx, tx c => {
            sqlx::query_as("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                .bind(token_hash(token))
                .fetch_optional(c)
                .await
        })?;
        if let Some((user_id,)) = ended {
            let name: Option<(String,)> = on_db!(&mut tx, tx c => {
                sqlx::query_as("SELECT username FROM users WHERE id = $1").bind(user_id).fetch_optional(c).await
            })?;
            let actor = Actor::User {
                id: user_id,
                name: name.map(|(n,)| n).unwrap_or_default(),
                client,
            };
            let target = format!("user:{user_id}");
            record(
                &mut tx,
                now,
                &actor,
                AuditAction::SignOut,
                &target,
                json!({}),
            )
            .await?;
        }
        tx.commit().await
    }

    /// Ends every session of `user_id` ("sign out everywhere", or an administrator's doing);
    /// returns how many there were.
    pub async fn sign_out_everywhere(
        &self,
        actor: &Actor,
        user_id: i64,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let ended = crate::users::end_sessions(&mut tx, user_id).await?;
        let target = format!("user:{user_id}");
        let details = json!({ "sessions_ended": ended });
        record(
            &mut tx,
            utc_seconds(now),
            actor,
            AuditAction::SignOutEverywhere,
            &target,
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Deletes sessions past either time-out.
    pub async fn prune_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        let now = utc_seconds(now);
        let done = on_db!(self, write p => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now).bind(now - SESSION_IDLE)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done)
    }
}
