//! The HTTP side of sen: public pages served from a page cache with live values, the JSON API,
//! health and metrics, and the background tasks that flush counts and follow the outbox.

mod api;
pub mod cache;
pub mod catalog;
pub mod context;
mod error;
pub mod live;
mod metrics;
mod middleware;
mod public;
mod state;
mod tasks;
pub mod theme;

pub use state::{App, Chrome, WebConfig};
pub use tasks::Tasks;
