//! SQLite storage for Refuge: implements the storage traits of
//! `refuge-core` over one database file in the data folder.
//!
//! Owns the schema and its versioned migrations, opening (with clear errors
//! for a damaged or newer database, never overwriting it), and password
//! hashing. It must not know about HTTP or templates.

mod appeals;
mod asides;
pub mod backup;
mod bulk;
mod changes;
mod content;
mod db;
mod mail;
mod media;
mod messages;
mod public;
mod redirects;
mod rows;
mod subscribers;
mod users;

pub use db::{OpenError, SCHEMA_VERSION, SqliteStore, snapshot};
pub use users::MIN_PASSWORD_CHARS;
