//! The store's tests in one binary (one link): accounts, audited content writes, the article desk,
//! and articles, counts and lists, each on SQLite and PostgreSQL.

mod accounts;
mod content;
mod desk;
mod store;
