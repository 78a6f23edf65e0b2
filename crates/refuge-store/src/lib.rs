//! Storage for Refuge: implements the storage traits of `refuge-core`
//! once, over either engine: the SQLite file in the data folder (the
//! default) or a PostgreSQL server shared by several Refuge servers.
//!
//! Owns the schema and its versioned migrations for both engines, opening
//! (with clear errors for a damaged or newer database, never overwriting
//! it), copying between engines, and password hashing. It must not know
//! about HTTP or templates.

mod appeals;
mod asides;
pub mod backup;
mod bulk;
mod changes;
mod content;
pub mod copy;
mod db;
mod mail;
mod media;
mod messages;
mod names;
mod public;
mod redirects;
mod rows;
mod secrets;
mod sql;
mod subscribers;
/// Throw-away databases for tests (a PostgreSQL server of their own):
/// for tests only, never in the release binary.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod throttle;
mod users;

pub use db::{OpenError, SCHEMA_VERSION, SqlStore, snapshot};
pub use users::MIN_PASSWORD_CHARS;
