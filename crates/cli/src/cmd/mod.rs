//! One file per subcommand.

pub mod classify;
pub mod scan;
