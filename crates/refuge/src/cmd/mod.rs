//! One module per subcommand.

pub mod healthcheck;
pub mod reindex;
pub mod serve;
pub mod user;
