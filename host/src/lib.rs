//! # wasp-host
//!
//! The wasp engine and the `wasp` binary.
pub mod api;
pub mod batch;
pub mod udf;
pub mod cli;
pub mod server;
