//! # wasp-host
//!
//! The wasp engine and the `wasp` binary: SQL pipelines over Kafka topics.
//!
//! ```text
//! SQL text --wasp_sql::parse--> Statement --wasp_sql::plan--> LogicalPlan
//!          --planner::Pipeline::build--> Pipeline --runtime--> running query
//!
//! Kafka -> Source -> decode (formats) -> AssignTimestamp -> Filter -> Project
//!       -> encode (formats) -> Sink -> Kafka        (or -> client, for push queries)
//! ```
//!
//! Glossary, in the order data meets them:
//!
//! - **Catalog** ([`catalog`]): the streams, tables and queries wasp knows; rebuilt at
//!   start from the command log kept by the [`engine`].
//! - **LogicalPlan** (`wasp_sql::LogicalPlan`): what a query computes, typed.
//! - **Pipeline** ([`planner`]): how it is computed: a decoder, operators, an encoder.
//! - **Operator** ([`operators`]): one stage; transforms a [`batch::Batch`] in place.
//! - **Source** / **Sink** ([`connectors`]): a consumer and a producer behind traits,
//!   over rdkafka or an in-memory broker.
//! - **StateStore**: arrives with stateful operators; Kafka stays the system of record.
//! - **ScalarUdf** ([`udf`]): a function called once per batch; built-in or WebAssembly.
//! - **ProcessingLog** ([`processing_log`]): where records that fail go, with their
//!   topic, partition and offset.

pub mod api;
pub mod batch;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod columnar;
pub mod config;
pub mod connectors;
pub mod engine;
pub mod expr;
pub mod formats;
pub mod operators;
pub mod planner;
pub mod processing_log;
pub mod runtime;
pub mod scaffold;
pub mod server;
pub mod state;
pub mod udaf;
pub mod udf;
