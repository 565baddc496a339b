//! The HTTP side of sen: public pages served from a page cache with live values, the JSON API,
//! health and metrics, and the background tasks that flush counts and follow the outbox.
//!
//! Modules import downwards only: `server` (the accept loop and connection limits) → `router` →
//! sections (`pages`, `api`, `admin`, `ops`) → `app` → the read side (`read`: catalogue, page
//! cache, live counters, chrome) and the low layers (`context`, `values`, `urls`, `params`,
//! `identity`, `error`, `theme`, `staff_ui` (the admin's own templates), `metrics`).

mod admin;
mod api;
mod app;
mod around;
pub mod context;
mod error;
mod identity;
mod library;
mod metrics;
mod observe;
mod ops;
mod pages;
mod params;
mod preview;
pub mod read;
mod router;
mod server;
mod staff_ui;
mod tasks;
pub mod theme;
mod urls;
mod values;

pub use app::{App, WebConfig};
pub use library::{CheckReport, MediaLimits, check as check_media};
pub use metrics::{count_dropped_log_line, dropped_log_lines};
pub use read::{catalog, chrome::Chrome};
pub use router::openapi;
pub use server::{Limits, serve};
pub use tasks::Tasks;
