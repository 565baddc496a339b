//! Staff accounts: roles, users, who acts, and the rules for usernames and passwords.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;

use crate::{
    domain::{ErrorCode, ValidationError},
    text,
};

/// What a member of staff may do; the policy module says it per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Cộng tác viên: writes and submits their own articles.
    Author,
    /// Biên tập viên: edits, approves and publishes in the categories assigned to them.
    Editor,
    /// Quản trị: everything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Author, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Author => "author",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A member of staff as the rest of sen sees them; the password hash stays in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The categories an editor works in (empty for others).
    pub categories: Vec<i64>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub totp_enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl User {
    /// The name to show: the display name, or the username when there is none.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.username
        } else {
            &self.display_name
        }
    }

    /// Who acts when this user does something from `client`.
    pub fn actor(&self, client: Option<IpAddr>) -> Actor {
        Actor::User {
            id: self.id,
            name: self.username.clone(),
            client,
        }
    }
}

/// A user as an administrator (or `sen user add`) submits it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub categories: Vec<i64>,
    pub must_change_password: bool,
}

impl NewUser {
    /// Normalises the username and display name and checks both and the password.
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        self.username = valid_username(&self.username)?;
        self.display_name = text::clean_line(&self.display_name);
        if self.display_name.chars().count() > 100 {
            return Err(ValidationError::new("display_name", ErrorCode::TooLong));
        }
        check_password(&self.password, &self.username)?;
        self.categories.sort_unstable();
        self.categories.dedup();
        Ok(self)
    }
}

/// Who a write is done by, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user (or an API token's user), from a client address when one is known.
    User {
        id: i64,
        name: String,
        client: Option<IpAddr>,
    },
    /// Someone not signed in, e.g. a sign-in with an unknown username.
    Anonymous { client: Option<IpAddr> },
    /// sen itself or its operator: `cli`, `scheduler`, `serve`.
    System { name: &'static str },
}

impl Actor {
    pub const CLI: Actor = Actor::System { name: "cli" };

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Self::User { id, .. } => Some(*id),
            Self::Anonymous { .. } | Self::System { .. } => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::User { name, .. } => name,
            Self::Anonymous { .. } => "anonymous",
            Self::System { name } => name,
        }
    }

    pub fn client(&self) -> Option<IpAddr> {
        match self {
            Self::User { client, .. } | Self::Anonymous { client } => *client,
            Self::System { .. } => None,
        }
    }
}

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
/// OWASP's floor for passwords without other composition rules.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Long enough for any passphrase; stops a megabyte "password" from costing a hash.
pub const PASSWORD_MAX_CHARS: usize = 200;

/// The username in its one stored form (trimmed, lower-case), if it keeps the rules: 3 to 32 of
/// `a-z`, `0-9`, `.`, `-`, `_`, starting with a letter or digit.
pub fn valid_username(input: &str) -> Result<String, ValidationError> {
    let name = input.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(ValidationError::new("username", ErrorCode::Required));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c);
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&name.len())
        || !name.chars().all(allowed)
        || !starts_well
    {
        return Err(ValidationError::new("username", ErrorCode::InvalidUsername));
    }
    Ok(name)
}

/// Passwords seen in every breach corpus, and the Vietnamese ones ("matkhau" is "password").
/// Compared lower-cased; anything shorter than the minimum is refused anyway.
const COMMON_PASSWORDS: &[&str] = &[
    "0123456789",
    "1234567890",
    "12345678910",
    "0987654321",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "a123456789",
    "123456789a",
    "abc1234567",
    "abcd123456",
    "admin12345",
    "administrator",
    "iloveyou12",
    "matkhau123",
    "matkhau1234",
    "matkhau12345",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "asdfghjkl1",
    "zxcvbnm123",
    "superman12",
    "letmein123",
    "welcome123",
    "anhyeuem123",
    "vietnam123",
    "saigon1234",
    "hanoi12345",
];

/// Checks a new password against the rules; the error names the field `password` and says why.
/// Length counts characters (after NFC, as stored hashes see them), not bytes.
pub fn check_password(password: &str, username: &str) -> Result<(), ValidationError> {
    let refuse = |code| Err(ValidationError::new("password", code));
    let password: String = password.nfc().collect();
    let chars = password.chars().count();
    if chars == 0 {
        return refuse(ErrorCode::Required);
    }
    if chars < PASSWORD_MIN_CHARS {
        return refuse(ErrorCode::TooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return refuse(ErrorCode::TooLong);
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower == username.trim().to_lowercase() {
        return refuse(ErrorCode::SameAsUsername);
    }
    let mut it = password.chars();
    if let Some(first) = it.next()
        && it.all(|c| c == first)
    {
        return refuse(ErrorCode::RepeatedCharacter);
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return refuse(ErrorCode::CommonPassword);
    }
    Ok(())
}

/// The key a client address is throttled under: the address itself, or for IPv6 its /64 (one
/// household or server gets a whole /64 and can pick any address in it).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<impl std::fmt::Debug, ValidationError>) -> ErrorCode {
        let err = r.expect_err("refused");
        err.code
    }

    #[test]
    fn usernames_are_lower_case_ascii_of_3_to_32() {
        assert_eq!(
            valid_username("  Nguyen.Van_A-1 ").as_deref(),
            Ok("nguyen.van_a-1")
        );
        assert_eq!(valid_username("abc").as_deref(), Ok("abc"));
        assert_eq!(valid_username(&"a".repeat(32)).map(|s| s.len()), Ok(32));
        assert_eq!(code(valid_username("")), ErrorCode::Required);
        for bad in [
            "ab",
            &"a".repeat(33),
            "nguyễn",
            "a b c",
            "user@x",
            ".abc",
            "_abc",
            "a/b",
        ] {
            let err = valid_username(bad).expect_err(bad);
            assert_eq!(
                err,
                ValidationError::new("username", ErrorCode::InvalidUsername)
            );
        }
    }

    #[test]
    fn passwords_are_refused_with_a_reason() {
        let cases = [
            ("", ErrorCode::Required),
            ("short", ErrorCode::TooShort),
            // Nine characters, eighteen bytes: characters count.
            ("ểểểểểểểểa", ErrorCode::TooShort),
            ("1234567890", ErrorCode::CommonPassword),
            ("Password123", ErrorCode::CommonPassword),
            ("MATKHAU123", ErrorCode::CommonPassword),
            ("qwertyuiop", ErrorCode::CommonPassword),
            ("aaaaaaaaaaaa", ErrorCode::RepeatedCharacter),
            ("biên.tập.viên", ErrorCode::SameAsUsername),
            (&"x1".repeat(101), ErrorCode::TooLong),
        ];
        for (password, expected) in cases {
            let err = check_password(password, "biên.tập.viên").expect_err(password);
            assert_eq!(err.field, "password");
            assert_eq!(err.code, expected, "{password:?}");
        }
        assert_eq!(
            code(check_password("nguyenvana1", "NguyenVanA1")),
            ErrorCode::SameAsUsername
        );
        assert!(check_password("ểểểểểểểểab", "x").is_ok(), "ten characters");
        assert!(check_password("Hà Lam mùa thu 2026", "admin").is_ok());
    }

    #[test]
    fn new_users_are_normalised() {
        let user = NewUser {
            username: " Admin ".into(),
            display_name: "  Nguyễn   Văn A ".into(),
            role: Role::Admin,
            password: "một mật khẩu dài".into(),
            categories: vec![3, 1, 3],
            must_change_password: false,
        }
        .validated()
        .expect("valid");
        assert_eq!(user.username, "admin");
        assert_eq!(user.display_name, "Nguyễn Văn A");
        assert_eq!(user.categories, vec![1, 3]);
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn addresses_are_keyed_by_ipv4_or_ipv6_64() {
        let key = |s: &str| address_key(s.parse().expect("ip"));
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
        assert_eq!(key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}
