//! The second factor: enrolment (the secret, and recovery codes kept as hashes), the code that
//! completes a pending sign-in, confirming who one is before a sensitive change, and the
//! portal's requirement for admins and editors. A code's time step is spent once, and a recovery
//! code once, by conditional updates: two nodes given the same code at the same moment accept it
//! once.

use std::net::IpAddr;

use sen_core::{Actor, User, format::utc_seconds, totp};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, record},
    db::{Tx, on_db},
    keys::{recovery_code, token_hash, totp_secret, verify_password},
    sessions::{NewSession, insert_session},
    throttle::{account_key, address_key_of, clear, count_failure},
};

/// A fresh secret for an enrolment; nothing is stored until a code made with it is confirmed.
pub fn new_totp_secret() -> Vec<u8> {
    totp_secret().to_vec()
}

/// What the code after a right password led to.
#[derive(Debug, Clone)]
pub enum SecondFactorOutcome {
    /// A full session, under a new token; the pending one is gone.
    SignedIn(Box<NewSession>),
    /// A wrong, spent or malformed code; counted as a failed sign-in.
    Refused,
    Throttled {
        retry_after: Duration,
    },
    /// No pending sign-in for this token (past its 5 minutes, or never): sign in again.
    Expired,
}

/// Whether a password (or a code) confirmed who a signed-in user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    Right,
    /// Counted as a failed sign-in.
    Wrong,
    Throttled {
        retry_after: Duration,
    },
}

/// What a right code was.
enum Spent {
    Code,
    RecoveryCode { left: usize },
}

impl Spent {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::RecoveryCode { .. } => "recovery_code",
        }
    }
}

type FactorRow = (Option<String>, bool, Option<i64>, String);

/// Checks `typed` against the user's second factor and spends it when right: a code's time step
/// (and every earlier one), or, when `recovery` allows it, one recovery code.
async fn spend(
    tx: &mut Tx,
    user_id: i64,
    typed: &str,
    now: OffsetDateTime,
    recovery: bool,
) -> Result<Option<Spent>> {
    let row: Option<FactorRow> = on_db!(tx, tx c => {
        sqlx::query_as(
            "SELECT totp_secret, totp_enabled, totp_last_step, recovery_code_hashes FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(c)
        .await
    })?;
    let Some((Some(secret), true, last_step, hashes)) = row else {
        return Ok(None);
    };
    let Some(secret) = totp::parse_secret(&secret) else {
        return Ok(None);
    };
    if totp::typed_code(typed).is_some() {
        let Some(step) = totp::accept(&secret, typed, now.unix_timestamp(), last_step) else {
            return Ok(None);
        };
        let done = on_db!(tx, tx c => {
            sqlx::query(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 \
                 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(user_id).bind(step)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        return Ok((done == 1).then_some(Spent::Code));
    }
    let Some(code) = totp::typed_recovery_code(typed).filter(|_| recovery) else {
        return Ok(None);
    };
    let mut left: Vec<String> = serde_json::from_str(&hashes)?;
    let hash = token_hash(&code);
    let Some(at) = left.iter().position(|h| *h == hash) else {
        return Ok(None);
    };
    left.remove(at);
    let done = on_db!(tx, tx c => {
        sqlx::query("UPDATE users SET recovery_code_hashes = $2 WHERE id = $1 AND recovery_code_hashes = $3")
            .bind(user_id).bind(serde_json::to_string(&left)?).bind(&hashes)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok((done == 1).then_some(Spent::RecoveryCode { left: left.len() }))
}

/// A wrong code (or password, `reason`) counts against the account and the address, as a wrong
/// password at sign-in does, and is noted.
async fn count_wrong(
    tx: &mut Tx,
    user: &User,
    client: Option<IpAddr>,
    now: OffsetDateTime,
    action: AuditAction,
    reason: &str,
) -> Result<()> {
    count_failure(tx, &account_key(&user.username), now).await?;
    if let Some(key) = address_key_of(client) {
        count_failure(tx, &key, now).await?;
    }
    let details = json!({ "username": user.username, "reason": reason });
    record(
        tx,
        now,
        &Actor::Anonymous { client },
        action,
        &format!("user:{}", user.id),
        details,
    )
    .await
}

impl Store {
    /// Turns the second factor on with `secret` when `code` is right for it now; returns the
    /// recovery codes (shown once, kept as hashes), or `None` for a wrong code (nothing stored).
    /// A second enrolment replaces the first, its secret and its recovery codes.
    pub async fn enable_second_factor(
        &self,
        actor: &Actor,
        user_id: i64,
        secret: &[u8],
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<String>>> {
        let now = utc_seconds(now);
        let Some(step) = totp::accept(secret, code, now.unix_timestamp(), None) else {
            return Ok(None);
        };
        let codes: Vec<String> = (0..totp::RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| token_hash(c)).collect();
        let mut tx = self.begin().await?;
        let done = on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE users SET totp_secret = $2, totp_enabled = TRUE, totp_last_step = $3, \
                 recovery_code_hashes = $4, updated_at = $5 WHERE id = $1",
            )
            .bind(user_id).bind(totp::secret_base32(secret)).bind(step)
            .bind(serde_json::to_string(&hashes)?).bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        let details = json!({ "recovery_codes": codes.len() });
        let target = format!("user:{user_id}");
        record(
            &mut tx,
            now,
            actor,
            AuditAction::SecondFactorEnable,
            &target,
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(
            codes
                .iter()
                .map(|c| totp::format_recovery_code(c))
                .collect(),
        ))
    }

    /// Turns the second factor off (by its user, or an administrator's reset for a lost phone):
    /// the secret and the recovery codes are forgotten. Whether it was on.
    pub async fn disable_second_factor(&self, actor: &Actor, user_id: i64) -> Result<bool> {
        let before = self.user(user_id).await?.ok_or(StoreError::NotFound)?;
        let now = crate::db::now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE users SET totp_secret = NULL, totp_enabled = FALSE, totp_last_step = NULL, \
                 recovery_code_hashes = '[]', updated_at = $2 WHERE id = $1",
            )
            .bind(user_id).bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        let details = json!({
            "was_enabled": before.totp_enabled,
            "reset": actor.user_id() != Some(user_id),
        });
        let target = format!("user:{user_id}");
        record(
            &mut tx,
            now,
            actor,
            AuditAction::SecondFactorDisable,
            &target,
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(before.totp_enabled)
    }

    /// How many unused recovery codes `user_id` has.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<usize> {
        let row: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT recovery_code_hashes FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(p)
                .await
        })?;
        let hashes: Vec<String> = match row {
            Some((text,)) => serde_json::from_str(&text)?,
            None => Vec::new(),
        };
        Ok(hashes.len())
    }

    /// Completes the pending sign-in of `token` with a code or a recovery code (which is then
    /// spent). A right one ends the pending session and opens a full one under a new token; a
    /// wrong one counts as a failed sign-in, and throttling refuses it unchecked.
    pub async fn complete_sign_in(
        &self,
        token: &str,
        code: &str,
        client: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<SecondFactorOutcome> {
        let now = utc_seconds(now);
        let hash = token_hash(token);
        let row: Option<(i64, OffsetDateTime, String)> = on_db!(self, read p => {
            sqlx::query_as("SELECT user_id, expires_at, user_agent FROM sessions WHERE token_hash = $1 AND pending")
                .bind(&hash)
                .fetch_optional(p)
                .await
        })?;
        let Some((user_id, _, user_agent)) = row.filter(|(_, expires_at, _)| now < *expires_at)
        else {
            return Ok(SecondFactorOutcome::Expired);
        };
        let Some(user) = self
            .user(user_id)
            .await?
            .filter(|u| !u.disabled && u.totp_enabled)
        else {
            return Ok(SecondFactorOutcome::Expired);
        };
        if let Some(retry_after) = self.throttled(&user.username, client, now).await? {
            return Ok(SecondFactorOutcome::Throttled { retry_after });
        }
        let mut tx = self.begin().await?;
        let Some(spent) = spend(&mut tx, user.id, code, now, true).await? else {
            count_wrong(
                &mut tx,
                &user,
                client,
                now,
                AuditAction::SecondFactorFailed,
                "wrong_code",
            )
            .await?;
            tx.commit().await?;
            return Ok(SecondFactorOutcome::Refused);
        };
        // Completed once: a second request with the same pending token finds it gone.
        let ended = on_db!(&mut tx, tx c => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND pending")
                .bind(&hash)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        if ended == 0 {
            return Ok(SecondFactorOutcome::Expired);
        }
        clear(&mut tx, &account_key(&user.username)).await?;
        let new = insert_session(&mut tx, &user, client, &user_agent, false, now).await?;
        let actor = user.actor(client);
        let target = format!("user:{}", user.id);
        if let Spent::RecoveryCode { left } = spent {
            let details = json!({ "left": left });
            record(
                &mut tx,
                now,
                &actor,
                AuditAction::RecoveryCodeUsed,
                &target,
                details,
            )
            .await?;
        }
        let details = json!({ "second_factor": spent.as_str() });
        record(&mut tx, now, &actor, AuditAction::SignIn, &target, details).await?;
        tx.commit().await?;
        Ok(SecondFactorOutcome::SignedIn(Box::new(new)))
    }

    /// Confirms that the signed-in `user` is who they say, before a sensitive change: with their
    /// password, or (when `accept_code` and they have a second factor) a current code, which is
    /// then spent. A wrong one counts as a failed sign-in.
    pub async fn confirm_identity(
        &self,
        user: &User,
        proof: &str,
        accept_code: bool,
        client: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<Confirmation> {
        let now = utc_seconds(now);
        if let Some(retry_after) = self.throttled(&user.username, client, now).await? {
            return Ok(Confirmation::Throttled { retry_after });
        }
        if accept_code && user.totp_enabled && totp::typed_code(proof).is_some() {
            let mut tx = self.begin().await?;
            let right = spend(&mut tx, user.id, proof, now, false).await?.is_some();
            if !right {
                count_wrong(
                    &mut tx,
                    user,
                    client,
                    now,
                    AuditAction::SecondFactorFailed,
                    "wrong_code",
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(if right {
                Confirmation::Right
            } else {
                Confirmation::Wrong
            });
        }
        let hash: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
                .bind(user.id)
                .fetch_optional(p)
                .await
        })?;
        if verify_password(proof.to_string(), hash.map(|(h,)| h)).await? {
            return Ok(Confirmation::Right);
        }
        let mut tx = self.begin().await?;
        count_wrong(
            &mut tx,
            user,
            client,
            now,
            AuditAction::SignInFailed,
            "wrong_password",
        )
        .await?;
        tx.commit().await?;
        Ok(Confirmation::Wrong)
    }

    /// Whether admins and editors must have a second factor (every node reads the one row).
    pub async fn second_factor_required(&self) -> Result<bool> {
        let row: Option<(bool,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT require_second_factor FROM security_settings WHERE id = 1")
                .fetch_optional(p)
                .await
        })?;
        Ok(row.is_some_and(|(on,)| on))
    }

    /// Sets the requirement; the audit entry has it before and after. Whether it changed.
    pub async fn set_second_factor_required(&self, actor: &Actor, required: bool) -> Result<bool> {
        let now = crate::db::now();
        let mut tx = self.begin().await?;
        let before: Option<(bool,)> = on_db!(&mut tx, tx c => {
            sqlx::query_as("SELECT require_second_factor FROM security_settings WHERE id = 1")
                .fetch_optional(c)
                .await
        })?;
        let before = before.is_some_and(|(on,)| on);
        if before == required {
            return Ok(false);
        }
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "INSERT INTO security_settings (id, require_second_factor) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET require_second_factor = excluded.require_second_factor",
            )
            .bind(required)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        let details = json!({
            "before": { "require_second_factor": before },
            "after": { "require_second_factor": required },
        });
        record(
            &mut tx,
            now,
            actor,
            AuditAction::SecurityUpdate,
            "security",
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
