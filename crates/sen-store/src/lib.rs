//! Persistence for sen on SQLite (embedded) or PostgreSQL (shared by many nodes), chosen at start-up from the
//! database URL. Every query returns domain types from `sen-core`; no row type leaves this crate.

mod articles;
mod audit;
mod categories;
mod counters;
mod db;
mod desk;
mod editing;
mod error;
mod import;
mod inline;
mod keys;
mod media;
mod outbox;
mod pages;
mod schedule;
mod second_factor;
mod sessions;
mod site;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod throttle;
mod tokens;
mod users;

pub use articles::Listing;
pub use audit::{AUDIT_RETENTION, AuditAction, AuditEntry, AuditPage, AuditQuery};
pub use counters::{ArticleViews, Booked, Booking, VisitTotals, VisitorMark};
pub use db::{Backend, Store};
pub use desk::{
    DeskCounts, DeskPage, DeskQuery, DeskRow, DeskRowStatus, DeskSort, DeskStatus, Revision,
    RevisionSummary,
};
pub use editing::{ArticleSave, SaveKind, Transition};
pub use error::{Cause, StoreError};
pub use import::{Bundle, BundleArticle, BundleCategory, BundleMedia, BundlePage, SampleState};
pub use keys::random_password;
pub use media::{Media, MediaFile, MediaUse, NewMediaFile};
pub use outbox::OutboxEntry;
pub use schedule::{SCHEDULER, ScheduleRun};
pub use second_factor::{Confirmation, SecondFactorOutcome, new_totp_secret};
pub use sessions::{
    NewSession, PENDING_SIGN_IN, SESSION_ABSOLUTE, SESSION_IDLE, SESSION_TOUCH, Session, SignIn,
    SignInOutcome,
};
pub use throttle::{FAILURE_WINDOW, MAX_FAILURES};
pub use tokens::{ApiToken, NewToken, TOKEN_PREFIX, TokenAuth};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
