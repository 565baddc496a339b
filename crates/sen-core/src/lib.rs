//! The domain of sen: content types, staff accounts and the policy, Vietnamese text handling and
//! validation. No I/O lives here.

pub mod accounts;
pub mod domain;
pub mod format;
pub mod password;
pub mod policy;
pub mod text;
pub mod totp;
pub mod variants;
pub mod workflow;

pub use accounts::{Actor, NewUser, Role, User};
pub use domain::*;
