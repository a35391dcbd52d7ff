//! End-to-end tests: what only a real broker shows (consumer groups,
//! transactions, restarts, rebalances), against tansu, a Kafka-protocol broker
//! started as a separate process per test, and the `wasp` binary driven over
//! its REST API.
//!
//! `scripts/test` installs tansu, builds `wasp` and runs these. By hand:
//! `scripts/test --install-only`, then
//! `cargo build --bins && cargo test -p wasp-tests --test e2e`.
//!
//! - [`broker::Tansu`]: a broker on a free loopback port, killed on drop.
//! - [`server::WaspServer`]: `wasp server` against a broker, with helpers for
//!   `/ksql` and `/query-stream`, hard kills and restarts.
//! - [`support`]: producing, reading a topic to its end, waiting for a query
//!   to catch up, and the server flags every test uses.
//! - [`process`]: the child-process supervision both use; children die with
//!   the test, even when the test binary is killed.

// The harness is shared by all tests; not every test uses every helper.
#[allow(dead_code, reason = "harness API: not every helper has a user in every build")]
mod broker;
#[allow(dead_code, reason = "harness API: not every helper has a user in every build")]
mod process;
#[allow(dead_code, reason = "harness API: not every helper has a user in every build")]
mod server;
#[allow(dead_code, reason = "harness API: not every helper has a user in every build")]
mod support;

mod broker_smoke;
mod outage;
mod persistent;
mod processing_log;
mod pull;
mod rest_api;
mod restart;
mod shell;
mod sinks;
mod stateful;
mod udf_new;
mod wasm_functions;
