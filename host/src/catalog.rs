//! The catalog: the streams and tables wasp knows, and the queries that run.
//!
//! The catalog is rebuilt at start-up by replaying the command log (see
//! `engine::commands`), so it holds no persistence logic itself.

use std::collections::BTreeMap;

use wasp_sql::ast::{SourceKind, WindowKind};
use wasp_sql::{ColumnRole, DataType, Field, LogicalPlan};

use crate::formats::Format;
use crate::udf::FunctionRegistry;

/// A stream or table over a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub name: String,
    pub kind: SourceKind,
    /// Declared key and value columns (no pseudo-columns), keys first.
    pub fields: Vec<Field>,
    pub topic: String,
    pub key_format: Format,
    pub value_format: Format,
    /// The column that supplies event time, if any.
    pub timestamp: Option<String>,
    /// The Java-style pattern for a STRING timestamp column.
    pub timestamp_format: Option<String>,
    pub partitions: i32,
    pub replicas: i32,
    /// The window of a windowed table (its keys carry the window's bounds).
    pub window: Option<WindowKind>,
    /// The statement that created it.
    pub statement: String,
}

impl SourceDef {
    pub fn key_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role == ColumnRole::Key)
    }

    pub fn value_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role == ColumnRole::Value)
    }

    /// The type of a declared column.
    pub fn column_type(&self, name: &str) -> Option<&DataType> {
        self.fields.iter().find(|f| f.name == name).map(|f| &f.data_type)
    }
}

/// A persistent query: `CREATE STREAM AS SELECT` or `INSERT INTO ... SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryDef {
    pub id: String,
    /// The statement as the user wrote it.
    pub statement: String,
    pub source: String,
    pub sink: String,
    pub plan: LogicalPlan,
    /// `auto.offset.reset` in effect when the query was created.
    pub offset_reset: String,
}

/// A `CREATE FUNCTION ... AS WASM`: the SQL functions it registered and its module.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionEntry {
    /// The upper-case name the statement gave.
    pub name: String,
    /// The SQL functions it registered (just `name` with a declared signature).
    pub names: Vec<String>,
    /// The module's SHA-256, lower-case hex; the bytes are in the data directory.
    pub digest: String,
    /// The statement as the command log keeps it.
    pub statement: String,
}

/// Sources, queries and WebAssembly functions by name.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    pub sources: BTreeMap<String, SourceDef>,
    pub queries: BTreeMap<String, QueryDef>,
    pub functions: BTreeMap<String, FunctionEntry>,
}

impl Catalog {
    /// Queries reading `source`.
    pub fn readers(&self, source: &str) -> Vec<&QueryDef> {
        self.queries.values().filter(|q| q.source == source || q.plan.joined_tables().contains(&source)).collect()
    }

    /// Queries writing `source`.
    pub fn writers(&self, source: &str) -> Vec<&QueryDef> {
        self.queries.values().filter(|q| q.sink == source).collect()
    }
}

/// The catalog as the SQL binder sees it.
pub struct BindCatalog<'a> {
    pub catalog: &'a Catalog,
    pub functions: &'a FunctionRegistry,
}

impl wasp_sql::Catalog for BindCatalog<'_> {
    fn source(&self, name: &str) -> Option<(SourceKind, Vec<Field>)> {
        self.catalog.sources.get(name).map(|s| {
            let mut fields = s.fields.clone();
            // A windowed table's rows carry their window's bounds.
            if s.window.is_some() {
                for bound in [wasp_sql::aggregate::WINDOWSTART, wasp_sql::aggregate::WINDOWEND] {
                    fields.push(Field::new(bound, DataType::BigInt, ColumnRole::Pseudo));
                }
            }
            (s.kind, fields)
        })
    }

    fn source_names(&self) -> Vec<String> {
        self.catalog.sources.keys().cloned().collect()
    }

    fn function_type(&self, name: &str, args: &[DataType]) -> Option<Result<DataType, String>> {
        self.functions.get(name).map(|f| f.return_type(args))
    }

    fn function_names(&self) -> Vec<String> {
        self.functions.names()
    }

    fn aggregate_type(&self, name: &str, args: &[DataType]) -> Option<Result<DataType, String>> {
        crate::udaf::return_type(name, args)
    }
}
