//! Persistence for sen on SQLite (embedded) or PostgreSQL (shared by many nodes), chosen at start-up from the
//! database URL. Every query returns domain types from `sen-core`; no row type leaves this crate.

mod articles;
mod categories;
mod counters;
mod db;
mod error;
mod import;
mod inline;
mod media;
mod outbox;
mod pages;
mod site;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use articles::Listing;
pub use counters::{ArticleViews, Booked, Booking, VisitTotals, VisitorMark};
pub use db::{Backend, Store};
pub use error::{Cause, StoreError};
pub use import::{Bundle, BundleArticle, BundleCategory, BundleMedia, BundlePage, SampleState};
pub use media::Media;
pub use outbox::OutboxEntry;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
