//! One module per subcommand.

pub mod healthcheck;
pub mod inbox;
pub mod reindex;
pub mod serve;
pub mod user;
