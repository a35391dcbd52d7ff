//! # wasp-sql
//!
//! wasp's SQL front end: ksqlDB's dialect, parsed and bound into logical plans. It does
//! no I/O; the host crate runs what it produces.
//!
//! ```text
//! SQL text --parser::parse_statements--> Statement --plan::plan_query--> LogicalPlan
//! ```
//!
//! ```
//! use wasp_sql::{parse_statement, Statement};
//! let stmt = parse_statement("SELECT * FROM ratings WHERE stars < 3 EMIT CHANGES;").unwrap();
//! assert!(matches!(stmt, Statement::Select(q) if q.emit_changes));
//! ```
//!
//! - [`types`]: `DataType`, the ksqlDB types and their widening rules.
//! - [`value`]: `Value`, one cell at run time.
//! - [`ast`]: the statement and expression tree; `Display` round-trips.
//! - [`parser`]: text to `Statement`, errors with line and column.
//! - [`expr`]: `BoundExpr`, typed expressions over a row layout.
//! - [`plan`]: the binder and `LogicalPlan`.
//! - [`aggregate`]: planning `GROUP BY`, windows and aggregate calls.
//! - `join`: planning stream-table joins.

pub mod aggregate;
pub mod ast;
mod coerce;
pub mod error;
pub mod expr;
mod join;
pub mod parser;
pub mod plan;
pub mod types;
pub mod value;

pub use ast::{Expr, Query, SourceKind, Statement};
pub use error::{Pos, SqlError};
pub use expr::BoundExpr;
pub use parser::{parse_expr, parse_statement, parse_statements, ParsedStatement};
pub use plan::{plan_pull, plan_query, Catalog, ColumnRole, Field, LogicalPlan, Schema};
pub use types::{DataType, StructField};
pub use value::{Decimal, Value};
