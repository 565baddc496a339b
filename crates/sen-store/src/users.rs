//! Staff accounts and the categories editors are assigned to.

use std::collections::HashMap;

use sen_core::{
    Actor, ErrorCode, NewUser, Role, User, ValidationError,
    accounts::{check_password, valid_username},
};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, record},
    db::{Tx, now, on_db},
    keys::hash_password,
};

macro_rules! user_select {
    () => {
        "SELECT id, username, display_name, role, disabled, must_change_password, totp_enabled, \
         created_at, updated_at FROM users "
    };
}

pub(crate) type UserRow = (
    i64,
    String,
    String,
    String,
    bool,
    bool,
    bool,
    OffsetDateTime,
    OffsetDateTime,
);

/// The user of a row, with their categories. An unreadable role reads as the least one.
pub(crate) fn user(row: UserRow, categories: Vec<i64>) -> User {
    let (id, username, display_name, role, disabled, must_change_password, totp_enabled, c, u) =
        row;
    User {
        id,
        username,
        display_name,
        role: Role::parse(&role).unwrap_or(Role::Author),
        categories,
        disabled,
        must_change_password,
        totp_enabled,
        created_at: c,
        updated_at: u,
    }
}

/// The categories assigned to `user_id`, in id order.
pub(crate) async fn categories_of(store: &Store, user_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = on_db!(store, read p => {
        sqlx::query_as("SELECT category_id FROM editor_categories WHERE user_id = $1 ORDER BY category_id")
            .bind(user_id)
            .fetch_all(p)
            .await
    })?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

async fn set_categories(tx: &mut Tx, user_id: i64, categories: &[i64]) -> Result<()> {
    on_db!(tx, tx c => {
        sqlx::query("DELETE FROM editor_categories WHERE user_id = $1")
            .bind(user_id)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    for &category in categories {
        on_db!(tx, tx c => {
            sqlx::query("INSERT INTO editor_categories (user_id, category_id) VALUES ($1, $2)")
                .bind(user_id)
                .bind(category)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(|e| StoreError::constraint(e, None, Some("categories")))?;
    }
    Ok(())
}

/// Ends every session of `user_id` (a new password, a disabled account).
pub(crate) async fn end_sessions(tx: &mut Tx, user_id: i64) -> Result<u64> {
    Ok(on_db!(tx, tx c => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?)
}

/// Only editors work by category; the others' assignments are dropped rather than kept unused.
fn categories_for(role: Role, categories: &[i64]) -> &[i64] {
    if role == Role::Editor {
        categories
    } else {
        &[]
    }
}

impl Store {
    /// Creates an account; a username already taken is `Conflict("username")`.
    pub async fn create_user(&self, actor: &Actor, input: NewUser) -> Result<User> {
        let input = input.validated()?;
        let hash = hash_password(input.password.clone()).await?;
        let categories = categories_for(input.role, &input.categories).to_vec();
        let t = now();
        let mut tx = self.begin().await?;
        let (id,): (i64,) = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&input.username).bind(&input.display_name).bind(input.role.as_str()).bind(&hash)
            .bind(input.must_change_password).bind(t)
            .fetch_one(c)
            .await
        })
        .map_err(|e| StoreError::constraint(e, Some("username"), None))?;
        set_categories(&mut tx, id, &categories).await?;
        let details = json!({
            "username": input.username, "role": input.role.as_str(), "categories": categories,
        });
        record(
            &mut tx,
            t,
            actor,
            AuditAction::UserCreate,
            &format!("user:{id}"),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            id,
            username: input.username,
            display_name: input.display_name,
            role: input.role,
            categories,
            disabled: false,
            must_change_password: input.must_change_password,
            totp_enabled: false,
            created_at: t,
            updated_at: t,
        })
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(user_select!(), "WHERE id = $1")).bind(id).fetch_optional(p).await
        })?;
        match row {
            Some(row) => Ok(Some(user(row, categories_of(self, id).await?))),
            None => Ok(None),
        }
    }

    /// The user of a username as typed (trimmed, any case); `None` for a name that can't exist.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let Ok(username) = valid_username(username) else {
            return Ok(None);
        };
        let row: Option<UserRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(user_select!(), "WHERE username = $1"))
                .bind(&username)
                .fetch_optional(p)
                .await
        })?;
        match row {
            Some(row) => {
                let categories = categories_of(self, row.0).await?;
                Ok(Some(user(row, categories)))
            }
            None => Ok(None),
        }
    }

    /// Every account, by username.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(user_select!(), "ORDER BY username")).fetch_all(p).await
        })?;
        let pairs: Vec<(i64, i64)> = on_db!(self, read p => {
            sqlx::query_as("SELECT user_id, category_id FROM editor_categories ORDER BY user_id, category_id")
                .fetch_all(p)
                .await
        })?;
        let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
        for (u, c) in pairs {
            by_user.entry(u).or_default().push(c);
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let categories = by_user.remove(&row.0).unwrap_or_default();
                user(row, categories)
            })
            .collect())
    }

    /// Whether an active administrator exists.
    pub async fn has_admin(&self) -> Result<bool> {
        let (n,): (i64,) = on_db!(self, read p => {
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled")
                .fetch_one(p)
                .await
        })?;
        Ok(n > 0)
    }

    /// Sets a new password; `must_change` makes the user choose another at the next sign-in (a reset
    /// by an administrator). Every session of the user ends: whoever knew the old one is out.
    pub async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password: &str,
        must_change: bool,
    ) -> Result<()> {
        let (username,): (String,) = on_db!(self, read p => {
            sqlx::query_as("SELECT username FROM users WHERE id = $1").bind(user_id).fetch_optional(p).await
        })?
        .ok_or(StoreError::NotFound)?;
        check_password(password, &username)?;
        let hash = hash_password(password.to_string()).await?;
        let t = now();
        let mut tx = self.begin().await?;
        let done = on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(user_id).bind(&hash).bind(must_change).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = end_sessions(&mut tx, user_id).await?;
        let details = json!({ "must_change_password": must_change, "sessions_ended": ended });
        let target = format!("user:{user_id}");
        record(
            &mut tx,
            t,
            actor,
            AuditAction::UserPassword,
            &target,
            details,
        )
        .await?;
        tx.commit().await
    }

    /// Disables (or enables again) an account. A disabled user's sessions end at once; their API
    /// tokens stay but fail while the account is disabled.
    pub async fn set_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
        let t = now();
        let mut tx = self.begin().await?;
        let done = on_db!(&mut tx, tx c => {
            sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
                .bind(user_id).bind(disabled).bind(t)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        let action = if disabled {
            end_sessions(&mut tx, user_id).await?;
            AuditAction::UserDisable
        } else {
            AuditAction::UserEnable
        };
        record(
            &mut tx,
            t,
            actor,
            action,
            &format!("user:{user_id}"),
            json!({}),
        )
        .await?;
        tx.commit().await
    }

    /// Changes a user's role, display name and (for editors) assigned categories; the audit entry
    /// has them before and after.
    pub async fn update_user(
        &self,
        actor: &Actor,
        user_id: i64,
        display_name: &str,
        role: Role,
        categories: &[i64],
    ) -> Result<User> {
        let before = self.user(user_id).await?.ok_or(StoreError::NotFound)?;
        let display_name = sen_core::text::clean_line(display_name);
        if display_name.chars().count() > 100 {
            return Err(ValidationError::new("display_name", ErrorCode::TooLong).into());
        }
        let mut categories = categories_for(role, categories).to_vec();
        categories.sort_unstable();
        categories.dedup();
        let t = now();
        let mut tx = self.begin().await?;
        let done = on_db!(&mut tx, tx c => {
            sqlx::query("UPDATE users SET display_name = $2, role = $3, updated_at = $4 WHERE id = $1")
                .bind(user_id).bind(&display_name).bind(role.as_str()).bind(t)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        set_categories(&mut tx, user_id, &categories).await?;
        let details = json!({
            "before": { "display_name": before.display_name, "role": before.role.as_str(), "categories": before.categories },
            "after": { "display_name": display_name, "role": role.as_str(), "categories": categories },
        });
        record(
            &mut tx,
            t,
            actor,
            AuditAction::UserRole,
            &format!("user:{user_id}"),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            display_name,
            role,
            categories,
            updated_at: t,
            ..before
        })
    }
}
