//! Integration tests: the real router in-process, on a real database.
//!
//! `BROADSHEET_TEST_BACKEND=sqlite` (default) gives each test its own SQLite
//! file; `=postgres` with `BROADSHEET_TEST_DATABASE_URL=postgres://…/postgres`
//! gives each test its own PostgreSQL database on that server.

mod admin_api;
mod api;
mod cli;
mod comments;
mod curation;
mod defaults;
mod design;
mod gate_hot_path;
mod newsletters;
mod newsroom;
mod oidc;
mod pages;
mod parity;
mod paywall;
mod rankings;
mod readers;
mod roles;
mod security_http;
mod security_markup;
mod security_media;
mod security_signin;
mod subscriptions;
mod support;
mod tidy;
mod traffic;
mod workflow;
// Feeds and sitemaps (issue 13).
mod feeds;
// Structured data and link cards (issue 13, item 4).
mod structured;
// Comment reactions, featured comments, badges, ignore lists (issue 12).
mod comments_extras;
// Breaking news pushed and live pages (issue 12).
mod live;
// Search (issue 13, item 1).
mod search;
// Wire ingest (issue 14).
mod wire;
