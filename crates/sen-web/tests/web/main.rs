//! The HTTP tests of sen-web in one binary (one link, `common` compiled once): the public pages,
//! the admin and its desk, the API, the media library and the request path's edges, each against
//! the real server on SQLite and PostgreSQL. The connection-limit and outage tests stay binaries
//! of their own: they hold a process-wide lock or log subscriber, and time what they measure.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod admin_desk;
mod api_articles;
mod api_writes;
mod edges;
mod http;
mod media;
