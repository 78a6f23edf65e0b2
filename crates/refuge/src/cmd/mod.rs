//! One module per subcommand.

pub mod healthcheck;
pub mod serve;
pub mod user;
