//! One module per subcommand.

pub mod backup;
pub mod db;
pub mod export;
pub mod healthcheck;
pub mod import;
pub mod inbox;
pub mod mail;
pub mod publish;
pub mod reindex;
pub mod serve;
pub mod subscribers;
pub mod user;
