//! `sen user …` and `sen token …`: staff accounts and API tokens from the command line. Every
//! change is written to the audit log with the actor `cli`.

use std::io::BufRead;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use sen_core::{Actor, ErrorCode, NewUser, Role, User, format::rfc3339};
use sen_store::{Store, StoreError};
use time::{Duration, OffsetDateTime};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. Without --password-stdin a random password is made and printed once,
    /// and the user must choose another at the first sign-in.
    Add {
        #[arg(long)]
        username: String,
        /// admin, editor or author.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name shown, e.g. "Nguyễn Văn A".
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// A category an editor works in (its id); repeat for several.
        #[arg(long = "category")]
        categories: Vec<i64>,
    },
    /// Set a user's password, read from the first line of standard input; their sessions end.
    Passwd {
        username: String,
        /// Read the password from standard input (the only way; accepted for scripts' clarity).
        #[arg(long)]
        password_stdin: bool,
        /// Make the user choose another at the next sign-in.
        #[arg(long)]
        must_change: bool,
    },
    /// Disable an account: its sessions end and its tokens stop working at once.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Turn off a user's second factor (a lost phone): they sign in with the password alone,
    /// and enrol again where the portal requires it.
    #[command(name = "reset-2fa")]
    ResetSecondFactor { username: String },
    /// List the accounts.
    List,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (once: only its hash is kept).
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        name: String,
        /// Lifetime: e.g. 90d, 12h, 4w (default: until revoked).
        #[arg(long, value_parser = parse_lifetime)]
        expires: Option<Duration>,
    },
    /// List tokens (of one user, or everyone's).
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}: use admin, editor or author"))
}

/// `90d`, `12h`, `4w`: a positive whole number of hours, days or weeks, at most ten years.
fn parse_lifetime(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a lifetime: use e.g. 90d, 12h or 4w");
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i64 = n.parse().map_err(|_| bad())?;
    let lifetime = match unit {
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        _ => return Err(bad()),
    };
    if n == 0 || lifetime > Duration::days(3650) {
        return Err(format!("{s:?} is out of range: from 1h to 3650d"));
    }
    Ok(lifetime)
}

/// The first line of standard input, without its line end.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

/// A store error in words an operator can act on.
pub fn explain(err: StoreError) -> anyhow::Error {
    match &err {
        StoreError::Invalid(e) => anyhow!(match (e.field, e.code) {
            (_, ErrorCode::TooShort) => format!(
                "the {} is too short: at least {} characters",
                e.field,
                sen_core::accounts::PASSWORD_MIN_CHARS
            ),
            (_, ErrorCode::CommonPassword) => {
                "the password is a common or breached one: choose another".into()
            }
            (_, ErrorCode::SameAsUsername) => "the password must not be the username".into(),
            (_, ErrorCode::RepeatedCharacter) => {
                "the password is one character repeated: choose another".into()
            }
            (_, ErrorCode::InvalidUsername) => "the username must be 3 to 32 of a-z, 0-9, '.', \
                 '-' and '_', starting with a letter or digit"
                .into(),
            (field, ErrorCode::Required) => format!("the {field} is missing"),
            (field, ErrorCode::TooLong) => format!("the {field} is too long"),
            (field, code) => format!("the {field} is not valid ({})", code.as_str()),
        }),
        StoreError::Conflict(field) => anyhow!("that {field} is taken"),
        StoreError::MissingReference(field) => {
            anyhow!("the {field} refers to something that does not exist")
        }
        _ => anyhow::Error::new(err),
    }
}

async fn find_user(store: &Store, username: &str) -> anyhow::Result<User> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| anyhow!("no user {username:?}"))
}

pub async fn user(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            name,
            password_stdin,
            categories,
        } => {
            if role != Role::Editor && !categories.is_empty() {
                bail!("--category is for editors only");
            }
            let (password, generated) = if password_stdin {
                (password_from_stdin()?, false)
            } else {
                (sen_store::random_password(), true)
            };
            let user = store
                .create_user(
                    &Actor::CLI,
                    NewUser {
                        username,
                        display_name: name.unwrap_or_default(),
                        role,
                        password: password.clone(),
                        categories,
                        must_change_password: generated,
                    },
                )
                .await
                .map_err(explain)?;
            println!("created {} ({})", user.username, user.role.as_str());
            if generated {
                println!("password: {password}");
                println!(
                    "(shown once; {} must change it at the first sign-in)",
                    user.username
                );
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin: _,
            must_change,
        } => {
            let user = find_user(store, &username).await?;
            let password = password_from_stdin()?;
            store
                .set_password(&Actor::CLI, user.id, &password, must_change)
                .await
                .map_err(explain)?;
            println!(
                "password of {} changed; their sessions ended",
                user.username
            );
        }
        UserCommand::Disable { username } => {
            let user = find_user(store, &username).await?;
            store.set_disabled(&Actor::CLI, user.id, true).await?;
            println!(
                "{} is disabled; their sessions ended and tokens stopped",
                user.username
            );
        }
        UserCommand::Enable { username } => {
            let user = find_user(store, &username).await?;
            store.set_disabled(&Actor::CLI, user.id, false).await?;
            println!("{} is enabled", user.username);
        }
        UserCommand::ResetSecondFactor { username } => {
            let user = find_user(store, &username).await?;
            if store.disable_second_factor(&Actor::CLI, user.id).await? {
                println!("the second factor of {} is off", user.username);
            } else {
                println!("{} had no second factor", user.username);
            }
        }
        UserCommand::List => {
            let users = store.users().await?;
            if users.is_empty() {
                println!("no users; add one with `sen user add`");
            }
            for u in users {
                let categories = if u.categories.is_empty() {
                    String::new()
                } else {
                    let ids: Vec<String> = u.categories.iter().map(i64::to_string).collect();
                    format!(" categories {}", ids.join(","))
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    if u.disabled { "disabled" } else { "active" },
                    u.display_name,
                    categories
                );
            }
        }
    }
    Ok(())
}

pub async fn token(store: &Store, command: TokenCommand) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    match command {
        TokenCommand::Create {
            user,
            name,
            expires,
        } => {
            let user = find_user(store, &user).await?;
            let new = store
                .create_token(&Actor::CLI, user.id, &name, expires.map(|d| now + d), now)
                .await
                .map_err(explain)?;
            println!("{}", new.token);
            eprintln!(
                "token {} for {} (shown once{})",
                new.info.id,
                user.username,
                new.info
                    .expires_at
                    .map(|t| format!("; expires {}", rfc3339(t)))
                    .unwrap_or_default()
            );
        }
        TokenCommand::List { user } => {
            let user_id = match user {
                Some(name) => Some(find_user(store, &name).await?.id),
                None => None,
            };
            let tokens = store.tokens(user_id).await?;
            if tokens.is_empty() {
                println!("no tokens");
            }
            let time = |t: Option<OffsetDateTime>| t.map(rfc3339).unwrap_or_else(|| "-".into());
            for t in tokens {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\tcreated {}\texpires {}\tlast used {}\t{}",
                    t.id,
                    t.username,
                    state,
                    rfc3339(t.created_at),
                    time(t.expires_at),
                    time(t.last_used_at),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { id } => {
            match store.revoke_token(&Actor::CLI, id, now).await {
                Err(StoreError::NotFound) => bail!("no token {id}"),
                done => done?,
            }
            println!("token {id} is revoked");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_hours_days_or_weeks() {
        assert_eq!(parse_lifetime("90d"), Ok(Duration::days(90)));
        assert_eq!(parse_lifetime("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_lifetime("4w"), Ok(Duration::weeks(4)));
        for bad in [
            "",
            "d",
            "90",
            "-1d",
            "+1d",
            "1.5d",
            "0d",
            "3651d",
            "90x",
            "99999999999999999999d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
