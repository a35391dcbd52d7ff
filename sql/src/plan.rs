//! The binder: a parsed `Query` plus a `Catalog` becomes a typed `LogicalPlan`.
//!
//! Rows entering a plan have the layout of their source: key columns, value columns,
//! then the pseudo-columns `ROWTIME`, `ROWPARTITION`, `ROWOFFSET`. A source without key
//! columns has no key at all (ksqlDB dropped the implicit `ROWKEY` in 0.10), so a value
//! column may be called `ROWKEY`.

use std::fmt;

use crate::aggregate::{self, AggScope, AggregateCall};
use crate::ast::{BinaryOp, Expr, JoinKind, Literal, Query, SelectItem, SourceKind, UnaryOp, WindowExpr};
use crate::coerce;
use crate::error::{did_you_mean, Pos, SqlError};
use crate::expr::BoundExpr;
use crate::join;
use crate::types::{DataType, StructField};
use crate::value::{Decimal, Value};

/// Names of the pseudo-columns every row carries.
pub const ROWTIME: &str = "ROWTIME";
pub const ROWPARTITION: &str = "ROWPARTITION";
pub const ROWOFFSET: &str = "ROWOFFSET";
/// The raw Kafka key of ksqlDB before 0.10; no row layout has it any more.
pub const ROWKEY: &str = "ROWKEY";

/// How a column takes part in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ColumnRole {
    /// Stored in the Kafka record key.
    Key,
    /// Stored in the Kafka record value.
    Value,
    /// Record metadata: ROWTIME, ROWPARTITION, ROWOFFSET.
    Pseudo,
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    pub name: String,
    pub data_type: DataType,
    pub role: ColumnRole,
}

impl Field {
    pub fn new(name: impl Into<String>, data_type: DataType, role: ColumnRole) -> Field {
        Field { name: name.into(), data_type, role }
    }
}

/// The columns of a row, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    pub fn new(fields: Vec<Field>) -> Schema {
        Schema { fields }
    }

    /// The layout of rows read from a source with these declared columns: the
    /// declared columns followed by the pseudo-columns.
    pub fn source_row(declared: &[Field]) -> Schema {
        let mut fields = declared.to_vec();
        fields.push(Field::new(ROWTIME, DataType::BigInt, ColumnRole::Pseudo));
        fields.push(Field::new(ROWPARTITION, DataType::Int, ColumnRole::Pseudo));
        fields.push(Field::new(ROWOFFSET, DataType::BigInt, ColumnRole::Pseudo));
        fields.sort_by_key(|f| match f.role {
            ColumnRole::Key => 0,
            ColumnRole::Value => 1,
            ColumnRole::Pseudo => 2,
        });
        Schema { fields }
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// Columns stored in the record (key and value), without pseudo-columns.
    pub fn stored(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role != ColumnRole::Pseudo)
    }

    pub fn keys(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role == ColumnRole::Key)
    }

    pub fn values(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role == ColumnRole::Value)
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

impl fmt::Display for Schema {
    /// ksqlDB's schema string: `` `ID` BIGINT KEY, `NAME` STRING ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.stored().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{}` {}", field.name, field.data_type)?;
            if field.role == ColumnRole::Key {
                f.write_str(" KEY")?;
            }
        }
        Ok(())
    }
}

/// What the binder needs to know about the world. The host's catalog implements it.
pub trait Catalog {
    /// The kind and declared columns (keys and values, no pseudo-columns) of a source.
    fn source(&self, name: &str) -> Option<(SourceKind, Vec<Field>)>;
    /// Every source name, for "did you mean" hints.
    fn source_names(&self) -> Vec<String>;
    /// The return type of scalar function `name` applied to `args`; `None` if no
    /// function has that name, `Some(Err(reason))` if the arguments do not fit.
    fn function_type(&self, name: &str, args: &[DataType]) -> Option<Result<DataType, String>>;
    /// Every function name, for "did you mean" hints.
    fn function_names(&self) -> Vec<String>;
    /// The result type of aggregate function `name` over arguments of `args` types,
    /// like `function_type`; `Some` (of anything) for `&[]` says `name` is an aggregate.
    fn aggregate_type(&self, name: &str, args: &[DataType]) -> Option<Result<DataType, String>> {
        let _ = (name, args);
        None
    }
}

/// A relational plan over one stream, read bottom-up: each node's input is its child.
#[derive(Debug, Clone, PartialEq)]
pub enum LogicalPlan {
    /// Rows of a stream or table, laid out as `schema`.
    Source { name: String, kind: SourceKind, schema: Schema },
    /// Keeps the rows where `predicate` is true.
    Filter { input: Box<LogicalPlan>, predicate: BoundExpr },
    /// Computes the output columns. Pseudo-columns of the input pass through.
    Project { input: Box<LogicalPlan>, exprs: Vec<BoundExpr>, schema: Schema },
    /// Groups rows by `keys` and computes `calls` per group (and window): one output row
    /// per input row, with its group's new results (see `aggregate`).
    Aggregate {
        input: Box<LogicalPlan>,
        keys: Vec<BoundExpr>,
        calls: Vec<AggregateCall>,
        window: Option<WindowExpr>,
        schema: Schema,
    },
    /// Joins each row of `left` (a stream) with the row of the table `right` whose key
    /// column `right_key` (a position in `right`'s row) equals `left_key` (bound over
    /// `left`'s row): the joined row is `left`'s row followed by `right`'s stored
    /// columns, NULL where a LEFT JOIN found no row.
    Join {
        left: Box<LogicalPlan>,
        right: Box<LogicalPlan>,
        kind: JoinKind,
        left_key: BoundExpr,
        right_key: usize,
        schema: Schema,
    },
    /// Re-keys rows by `keys` (PARTITION BY): the output key columns come first.
    Repartition { input: Box<LogicalPlan>, keys: Vec<BoundExpr>, schema: Schema },
    /// Stops after `n` rows.
    Limit { input: Box<LogicalPlan>, n: u64 },
}

impl LogicalPlan {
    /// The layout of the rows this node produces.
    pub fn schema(&self) -> &Schema {
        match self {
            LogicalPlan::Source { schema, .. }
            | LogicalPlan::Project { schema, .. }
            | LogicalPlan::Aggregate { schema, .. }
            | LogicalPlan::Join { schema, .. }
            | LogicalPlan::Repartition { schema, .. } => schema,
            LogicalPlan::Filter { input, .. } | LogicalPlan::Limit { input, .. } => input.schema(),
        }
    }

    /// The plan's source stream (a join's stream side).
    pub fn source_name(&self) -> &str {
        match self {
            LogicalPlan::Source { name, .. } => name,
            LogicalPlan::Join { left, .. } => left.source_name(),
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Project { input, .. }
            | LogicalPlan::Aggregate { input, .. }
            | LogicalPlan::Repartition { input, .. }
            | LogicalPlan::Limit { input, .. } => input.source_name(),
        }
    }

    /// The tables the plan joins its stream with.
    pub fn joined_tables(&self) -> Vec<&str> {
        match self {
            LogicalPlan::Source { .. } => Vec::new(),
            LogicalPlan::Join { left, right, .. } => {
                let mut tables = left.joined_tables();
                tables.push(right.source_name());
                tables
            }
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Project { input, .. }
            | LogicalPlan::Aggregate { input, .. }
            | LogicalPlan::Repartition { input, .. }
            | LogicalPlan::Limit { input, .. } => input.joined_tables(),
        }
    }

    fn fmt_indent(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        match self {
            LogicalPlan::Source { name, kind, schema } => {
                let kind = if *kind == SourceKind::Stream { "Stream" } else { "Table" };
                writeln!(f, "{pad}{kind}Source[{name}] schema=[{schema}]")
            }
            LogicalPlan::Filter { input, predicate } => {
                writeln!(f, "{pad}Filter[{predicate}]")?;
                input.fmt_indent(f, depth + 1)
            }
            LogicalPlan::Project { input, exprs, schema } => {
                write!(f, "{pad}Project[")?;
                let stored: Vec<&Field> = schema.stored().collect();
                for (i, (e, field)) in exprs.iter().zip(stored).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e} AS {}", field.name)?;
                }
                writeln!(f, "]")?;
                input.fmt_indent(f, depth + 1)
            }
            LogicalPlan::Aggregate { input, keys, calls, window, .. } => {
                write!(f, "{pad}Aggregate[group by ")?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}")?;
                }
                for c in calls {
                    write!(f, ", {c}")?;
                }
                if let Some(w) = window {
                    write!(f, ", window {w}")?;
                }
                writeln!(f, "]")?;
                input.fmt_indent(f, depth + 1)
            }
            LogicalPlan::Join { left, right, kind, left_key, right_key, .. } => {
                let key = &right.schema().fields[*right_key].name;
                writeln!(f, "{pad}Join[{}, {left_key} = {}.{key}]", kind.keywords(), right.source_name())?;
                left.fmt_indent(f, depth + 1)?;
                right.fmt_indent(f, depth + 1)
            }
            LogicalPlan::Repartition { input, keys, .. } => {
                write!(f, "{pad}Repartition[")?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}")?;
                }
                writeln!(f, "]")?;
                input.fmt_indent(f, depth + 1)
            }
            LogicalPlan::Limit { input, n } => {
                writeln!(f, "{pad}Limit[{n}]")?;
                input.fmt_indent(f, depth + 1)
            }
        }
    }
}

impl fmt::Display for LogicalPlan {
    /// An indented tree, root first, as `EXPLAIN` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_indent(f, 0)
    }
}

/// Binds a query against the catalog.
///
/// The plan's root is a `Project` (or `Repartition`/`Limit` above it) whose schema
/// is the query's output: key columns then value columns, with pseudo-columns of the
/// input carried through so that sinks can keep each record's timestamp.
pub fn plan_query(query: &Query, catalog: &dyn Catalog) -> Result<LogicalPlan, SqlError> {
    plan_over(query, catalog, false)
}

/// Binds a pull query: a `SELECT` without `EMIT CHANGES` over a table, answered from
/// the table's current state (filter and projection only).
pub fn plan_pull(query: &Query, catalog: &dyn Catalog) -> Result<LogicalPlan, SqlError> {
    let refused = [
        (!query.group_by.is_empty(), "GROUP BY"),
        (query.having.is_some(), "HAVING"),
        (query.window.is_some(), "WINDOW"),
        (!query.partition_by.is_empty(), "PARTITION BY"),
        (!query.joins.is_empty(), "JOIN"),
    ];
    if let Some((_, clause)) = refused.iter().find(|(present, _)| *present) {
        return Err(SqlError::invalid(Some(query.pos), format!("Pull queries don't support {clause} clauses.")));
    }
    // Before ksqlDB 0.10 a table's key was `ROWKEY`, and clients written then still
    // look rows up by it: with one key column and no column of that name, `ROWKEY` is
    // that key.
    if let Some((_, fields)) = catalog.source(&query.from.name) {
        let keys: Vec<&Field> = fields.iter().filter(|f| f.role == ColumnRole::Key).collect();
        if let [key] = keys.as_slice() {
            if !fields.iter().any(|f| f.name == ROWKEY) {
                let mut q = query.clone();
                for item in &mut q.projection {
                    if let SelectItem::Expr { expr, .. } = item {
                        expr.rename_column(ROWKEY, &key.name);
                    }
                }
                if let Some(w) = &mut q.selection {
                    w.rename_column(ROWKEY, &key.name);
                }
                return plan_over(&q, catalog, true);
            }
        }
    }
    plan_over(query, catalog, true)
}

fn plan_over(query: &Query, catalog: &dyn Catalog, tables: bool) -> Result<LogicalPlan, SqlError> {
    if !query.joins.is_empty() {
        let (query, plan, joined, key) = join::plan_join(query, catalog)?;
        return plan_body(&query, catalog, plan, joined, Some(&key));
    }
    let (kind, declared) = catalog.source(&query.from.name).ok_or_else(|| {
        SqlError::not_found(
            Some(query.from.pos),
            did_you_mean(
                format!("{} does not exist", query.from.name),
                &query.from.name,
                catalog.source_names().iter().map(String::as_str),
            ),
        )
    })?;
    if kind == SourceKind::Table && !tables {
        return Err(SqlError::unsupported(
            Some(query.from.pos),
            "queries over tables are not supported yet; tables arrive with stateful SQL",
        ));
    }
    let input_schema = Schema::source_row(&declared);
    let plan = LogicalPlan::Source { name: query.from.name.clone(), kind, schema: input_schema.clone() };
    plan_body(query, catalog, plan, input_schema, None)
}

/// Plans the clauses of `query` over `plan`, whose rows are laid out as `input_schema`
/// (a source's row, or a join's).
fn plan_body(
    query: &Query,
    catalog: &dyn Catalog,
    mut plan: LogicalPlan,
    input_schema: Schema,
    join: Option<&join::JoinKey>,
) -> Result<LogicalPlan, SqlError> {
    let declared: Vec<Field> = input_schema.stored().cloned().collect();
    if !query.group_by.is_empty() || query.having.is_some() || query.window.is_some() {
        return aggregate::plan_aggregate(query, catalog, plan, &input_schema);
    }
    if query.emit_final {
        return Err(SqlError::invalid(Some(query.pos), "EMIT FINAL is only supported for windowed aggregations"));
    }
    let binder = Binder::new(&input_schema, catalog, qualifiers(query));

    if let Some(predicate) = &query.selection {
        binder.clause.set("WHERE");
        let bound = binder.bind(predicate).map_err(|e| e.in_clause("Error in WHERE expression"))?;
        binder.clause.set("SELECT");
        if bound.data_type() != DataType::Boolean && bound.data_type() != DataType::Null {
            return Err(SqlError::type_error(
                predicate.pos(),
                format!(
                    "Type error in WHERE expression: Should evaluate to boolean but is {predicate} ({}) instead.",
                    bound.data_type()
                ),
            ));
        }
        plan = LogicalPlan::Filter { input: Box::new(plan), predicate: bound };
    }

    // Partition-by keys, bound against the input, named like ksqlDB's: a column keeps
    // its name, anything else gets a generated one that no source column has.
    let mut key_names = AliasGenerator::new(&declared);
    // PARTITION BY NULL removes the key: the output has no key columns.
    let partition_by_null = query.partition_by.iter().any(is_null_literal);
    if partition_by_null && query.partition_by.len() > 1 {
        return Err(SqlError::invalid(Some(query.pos), "Cannot PARTITION BY multiple columns including NULL"));
    }
    let partition_keys: Vec<(String, BoundExpr)> = if partition_by_null {
        Vec::new()
    } else {
        query
            .partition_by
            .iter()
            .map(|e| {
                binder.clause.set("PARTITION BY");
                let bound = binder.bind(e);
                binder.clause.set("SELECT");
                Ok((key_names.name_for(e), bound?))
            })
            .collect::<Result<_, SqlError>>()?
    };
    for (name, key) in &partition_keys {
        check_key_type(name, &key.data_type())?;
    }
    let repartitioned = !query.partition_by.is_empty();

    // The projection.
    let mut out_fields: Vec<Field> = Vec::new();
    let mut out_exprs: Vec<BoundExpr> = Vec::new();
    let mut aliases = AliasGenerator::new(&declared);
    for item in &query.projection {
        match item {
            SelectItem::Wildcard { qualifier } => {
                if let Some(q) = qualifier {
                    binder.check_qualifier(q, query.from.pos)?;
                }
                // After PARTITION BY the old key columns are plain values, after the
                // value columns (as in ksqlDB, where they travel at the value's end).
                let mut columns: Vec<(usize, &Field)> =
                    input_schema.fields.iter().enumerate().filter(|(_, f)| f.role != ColumnRole::Pseudo).collect();
                if repartitioned {
                    columns.sort_by_key(|(_, f)| u8::from(f.role == ColumnRole::Key));
                }
                for (index, field) in columns {
                    let is_partition_key = partition_keys
                        .iter()
                        .any(|(_, k)| matches!(k, BoundExpr::Column { index: i, .. } if *i == index));
                    if is_partition_key {
                        continue;
                    }
                    out_fields.push(field.clone());
                    out_exprs.push(BoundExpr::Column {
                        index,
                        name: field.name.clone(),
                        data_type: field.data_type.clone(),
                    });
                }
            }
            SelectItem::Expr { expr, alias } => {
                let bound = binder.bind(expr)?;
                let name = match alias {
                    Some(a) => a.clone(),
                    None => aliases.name_for(expr),
                };
                let mut bound = bound;
                let role = match (&bound, join) {
                    // A join's key is the first projected expression that is the join
                    // key, computed from the stream's side.
                    (b, Some(key)) if !repartitioned => {
                        if key.candidates.contains(b) && !out_fields.iter().any(|f| f.role == ColumnRole::Key) {
                            bound = key.value.clone();
                            ColumnRole::Key
                        } else {
                            ColumnRole::Value
                        }
                    }
                    (BoundExpr::Column { index, .. }, None) if !repartitioned => {
                        match input_schema.fields[*index].role {
                            ColumnRole::Key => ColumnRole::Key,
                            _ => ColumnRole::Value,
                        }
                    }
                    _ => ColumnRole::Value,
                };
                if out_fields.iter().any(|f| f.name == name) {
                    return Err(SqlError::invalid(
                        expr.pos(),
                        format!("the projection has two columns named {name}; give one an alias with AS"),
                    ));
                }
                if bound.data_type() == DataType::Null {
                    return Err(SqlError::type_error(expr.pos(), untyped_null(expr)));
                }
                out_fields.push(Field::new(name, bound.data_type(), role));
                out_exprs.push(bound);
            }
        }
    }

    // PARTITION BY: the keys become the output key columns, first.
    if repartitioned {
        let mut key_fields = Vec::new();
        let mut key_exprs = Vec::new();
        for (name, key) in &partition_keys {
            if let Some(pos) = out_exprs.iter().position(|e| e == key) {
                let mut field = out_fields.remove(pos);
                out_exprs.remove(pos);
                field.role = ColumnRole::Key;
                key_fields.push(field);
            } else {
                key_fields.push(Field::new(name.clone(), key.data_type(), ColumnRole::Key));
            }
            key_exprs.push(key.clone());
        }
        for f in &mut out_fields {
            f.role = ColumnRole::Value;
        }
        key_fields.extend(out_fields);
        key_exprs.extend(out_exprs);
        out_fields = key_fields;
        out_exprs = key_exprs;
    } else {
        // Key columns first, like ksqlDB's schemas, in the order the source declares
        // them whatever order the projection names them in (ksqlDB's default planner;
        // `ksql.new.query.planner.enabled=true` would keep the projection's order).
        let mut order: Vec<usize> = (0..out_fields.len()).collect();
        order.sort_by_key(|i| match (&out_fields[*i].role, &out_exprs[*i]) {
            (ColumnRole::Key, BoundExpr::Column { index, .. }) => (0, *index),
            (ColumnRole::Key, _) => (0, usize::MAX),
            _ => (1, 0),
        });
        out_fields = order.iter().map(|i| out_fields[*i].clone()).collect();
        out_exprs = order.iter().map(|i| out_exprs[*i].clone()).collect();
    }

    // Carry the input's pseudo-columns so sinks keep timestamps and push queries can show them.
    let mut schema_fields = out_fields;
    for (index, field) in input_schema.fields.iter().enumerate() {
        if field.role == ColumnRole::Pseudo && !schema_fields.iter().any(|f| f.name == field.name) {
            schema_fields.push(field.clone());
            out_exprs.push(BoundExpr::Column { index, name: field.name.clone(), data_type: field.data_type.clone() });
        }
    }
    let schema = Schema::new(schema_fields);
    plan = if !repartitioned {
        LogicalPlan::Project { input: Box::new(plan), exprs: out_exprs, schema }
    } else {
        let keys = partition_keys.into_iter().map(|(_, e)| e).collect();
        LogicalPlan::Repartition {
            input: Box::new(LogicalPlan::Project { input: Box::new(plan), exprs: out_exprs, schema: schema.clone() }),
            keys,
            schema,
        }
    };
    if let Some(n) = query.limit {
        plan = LogicalPlan::Limit { input: Box::new(plan), n };
    }
    Ok(plan)
}

/// The checks ksqlDB makes on the query of a persistent `CREATE STREAM ... AS SELECT`
/// (a push query may leave out its key): the projection must include each key column
/// (or, after PARTITION BY, each partitioning expression) exactly once, and at least one
/// value column.
pub fn check_persistent(query: &Query, sink: &str, catalog: &dyn Catalog) -> Result<(), SqlError> {
    if !query.joins.is_empty() && query.group_by.is_empty() && query.partition_by.is_empty() {
        let plan = plan_query(query, catalog)?;
        if plan.schema().keys().next().is_none() {
            let (_, _, _, key) = join::plan_join(query, catalog)?;
            let (what, listed) = match key.shown.as_slice() {
                [one] => ("expression", one.clone()),
                several => ("expressions", several.join(" or ")),
            };
            return Err(SqlError::invalid(
                Some(query.pos),
                format!(
                    "The query used to build `{sink}` must include the join {what} {listed} in its projection (eg, SELECT {}...).",
                    key.shown[0]
                ),
            ));
        }
        if plan.schema().values().next().is_none() {
            return Err(SqlError::invalid(Some(query.pos), "The projection contains no value columns."));
        }
        return Ok(());
    }
    if !query.group_by.is_empty() {
        let plan = plan_query(query, catalog)?;
        aggregate::check_keys_projected(&plan, query, sink)?;
        if plan.schema().values().next().is_none() {
            return Err(SqlError::invalid(Some(query.pos), "The projection contains no value columns."));
        }
        return Ok(());
    }
    let Some((_, declared)) = catalog.source(&query.from.name) else { return Ok(()) };
    let schema = Schema::source_row(&declared);
    let binder = Binder::new(&schema, catalog, qualifiers(query));
    let mut star = false;
    let mut selected: Vec<(BoundExpr, String)> = Vec::new();
    let mut aliases = AliasGenerator::new(&declared);
    for item in &query.projection {
        match item {
            SelectItem::Wildcard { .. } => star = true,
            SelectItem::Expr { expr, alias } => {
                let name = alias.clone().unwrap_or_else(|| aliases.name_for(expr));
                check_reserved_name(expr, &name, query)?;
                selected.push((binder.bind(expr)?, name));
            }
        }
    }
    // The key expressions, as the user wrote them and bound.
    let keys: Vec<(String, BoundExpr)> = if query.partition_by.is_empty() {
        schema
            .keys()
            .map(|f| {
                let index = schema.index_of(&f.name).unwrap_or_default();
                (f.name.clone(), BoundExpr::Column { index, name: f.name.clone(), data_type: f.data_type.clone() })
            })
            .collect()
    } else if query.partition_by.iter().any(is_null_literal) {
        Vec::new()
    } else {
        query.partition_by.iter().map(|e| Ok((e.to_string(), binder.bind(e)?))).collect::<Result<_, SqlError>>()?
    };
    let mut missing = Vec::new();
    for (text, key) in &keys {
        let names: Vec<&str> = selected.iter().filter(|(e, _)| e == key).map(|(_, n)| n.as_str()).collect();
        if names.len() > 1 {
            return Err(SqlError::invalid(
                Some(query.pos),
                format!(
                    "The projection contains a key column (`{text}`) more than once, aliased as: {}.",
                    names.join(" and ")
                ),
            ));
        }
        if names.is_empty() && !star {
            missing.push(text.as_str());
        }
    }
    if !missing.is_empty() {
        // As ksqlDB words it: every key is listed, not only the missing ones, and a
        // partitioning expression names its columns qualified by the source.
        let what = match (query.partition_by.is_empty(), keys.len()) {
            (true, 1) => "key column",
            (true, _) => "key columns",
            (false, 1) => "partitioning expression",
            (false, _) => "partitioning expressions",
        };
        let source = query.from.alias.as_deref().unwrap_or(&query.from.name);
        let listed: Vec<String> = if query.partition_by.is_empty() {
            keys.iter().map(|(text, _)| text.clone()).collect()
        } else {
            let keyword = |f: &str, i: usize, a: &Expr| time_unit_keyword(f, i, a).is_some();
            query.partition_by.iter().map(|e| e.qualified(source, &keyword).to_string()).collect()
        };
        return Err(SqlError::invalid(
            Some(query.pos),
            format!(
                "The query used to build `{sink}` must include the {what} {} in its projection (eg, SELECT {}...).",
                listed.join(" and "),
                listed.join(", ")
            ),
        ));
    }
    let has_value = selected.iter().any(|(e, _)| !keys.iter().any(|(_, k)| k == e))
        || (star && (schema.values().next().is_some() || !query.partition_by.is_empty()));
    if !has_value {
        return Err(SqlError::invalid(Some(query.pos), "The projection contains no value columns."));
    }
    Ok(())
}

pub(crate) fn qualifiers(query: &Query) -> Vec<String> {
    let mut q = Vec::new();
    for r in std::iter::once(&query.from).chain(query.joins.iter().map(|j| &j.right)) {
        q.push(r.name.clone());
        q.extend(r.alias.clone());
    }
    q
}

/// ksqlDB's names for unaliased expressions: a column keeps its name, a struct field
/// `s->f` is `F` (then `F_1`, `F_2`, ... when taken), anything else `KSQL_COL_0`,
/// `KSQL_COL_1`, ... Numbers a source column already uses (`KSQL_COL_0`, `F_1`) are
/// skipped.
pub(crate) struct AliasGenerator {
    /// Per name without its `_n` suffix: the numbers taken (0 for the bare name) and
    /// the next one to try.
    taken: std::collections::HashMap<String, (std::collections::BTreeSet<u64>, u64)>,
}

impl AliasGenerator {
    pub(crate) fn new(source: &[Field]) -> AliasGenerator {
        let mut taken: std::collections::HashMap<String, (std::collections::BTreeSet<u64>, u64)> =
            std::collections::HashMap::new();
        for f in source {
            let (base, n) = split_number(&f.name);
            taken.entry(base.to_owned()).or_default().0.insert(n);
        }
        AliasGenerator { taken }
    }

    pub(crate) fn name_for(&mut self, expr: &Expr) -> String {
        match expr {
            Expr::Column { name, .. } => name.clone(),
            Expr::Nested(inner) => self.name_for(inner),
            Expr::Field { field, .. } => {
                let base = split_number(field).0.to_owned();
                let n = self.next(&base);
                if n == 0 {
                    base
                } else {
                    format!("{base}_{n}")
                }
            }
            _ => format!("KSQL_COL_{}", self.next("KSQL_COL")),
        }
    }

    fn next(&mut self, base: &str) -> u64 {
        let (used, next) = self.taken.entry(base.to_owned()).or_default();
        while used.contains(next) {
            *next += 1;
        }
        let n = *next;
        *next += 1;
        n
    }
}

/// `NAME_12` as (`NAME`, 12); a name without a numeric suffix is number 0.
fn split_number(name: &str) -> (&str, u64) {
    match name.rsplit_once('_') {
        Some((base, digits)) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            (base, digits.parse().unwrap_or(0))
        }
        _ => (name, 0),
    }
}

/// Binds expressions against one input schema.
pub struct Binder<'a> {
    pub schema: &'a Schema,
    pub catalog: &'a dyn Catalog,
    pub qualifiers: Vec<String>,
    /// The clause being bound (`SELECT`, `WHERE`, `PARTITION BY`), which an unknown
    /// column's error names as ksqlDB's does.
    pub clause: std::cell::Cell<&'static str>,
    /// Set when binding over an aggregation's output: aggregate calls and group keys
    /// resolve through it first.
    pub aggregation: Option<&'a AggScope<'a>>,
}

impl<'a> Binder<'a> {
    /// A binder over `schema`, binding the SELECT clause until told otherwise.
    pub fn new(schema: &'a Schema, catalog: &'a dyn Catalog, qualifiers: Vec<String>) -> Binder<'a> {
        Binder { schema, catalog, qualifiers, clause: "SELECT".into(), aggregation: None }
    }

    fn check_qualifier(&self, q: &str, pos: Pos) -> Result<(), SqlError> {
        if self.qualifiers.iter().any(|x| x == q) {
            Ok(())
        } else {
            Err(SqlError::not_found(Some(pos), format!("source {q} is not in the FROM clause")))
        }
    }

    /// Binds and type-checks one expression.
    pub fn bind(&self, expr: &Expr) -> Result<BoundExpr, SqlError> {
        if let Some(scope) = self.aggregation {
            if let Some(bound) = scope.resolve(expr, self)? {
                return Ok(bound);
            }
        }
        self.bind_node(expr)
    }

    fn bind_node(&self, expr: &Expr) -> Result<BoundExpr, SqlError> {
        match expr {
            Expr::Column { qualifier, name, pos } => {
                if let Some(q) = qualifier {
                    self.check_qualifier(q, *pos)?;
                }
                let index = self.schema.index_of(name).ok_or_else(|| {
                    // Named as written (`I.BOB`), as ksqlDB names it.
                    let written = qualifier.as_ref().map_or_else(|| name.clone(), |q| format!("{q}.{name}"));
                    let clause = self.clause.get();
                    let mut message = format!("{clause} column '{written}' cannot be resolved.");
                    if clause == "PARTITION BY" {
                        message.push_str(&format!(
                            " '{written}' must be a column in the source schema since PARTITION BY is applied on the input."
                        ));
                    }
                    SqlError::not_found(
                        Some(*pos),
                        did_you_mean(message, name, self.schema.fields.iter().map(|f| f.name.as_str())),
                    )
                })?;
                let field = &self.schema.fields[index];
                Ok(BoundExpr::Column { index, name: field.name.clone(), data_type: field.data_type.clone() })
            }
            Expr::Literal(lit) => literal(lit),
            Expr::Nested(e) => self.bind(e),
            Expr::Unary { op: UnaryOp::Not, expr: inner } => {
                let e = self.bind(inner)?;
                expect_boolean(&e, inner, "NOT")?;
                Ok(BoundExpr::Unary { op: UnaryOp::Not, expr: Box::new(e), data_type: DataType::Boolean })
            }
            Expr::Unary { op: UnaryOp::Negate, expr: inner } => {
                let e = self.bind(inner)?;
                let t = e.data_type();
                if !t.is_numeric() && t != DataType::Null {
                    return Err(SqlError::type_error(inner.pos(), format!("cannot negate {t} ({inner})")));
                }
                Ok(BoundExpr::Unary { op: UnaryOp::Negate, expr: Box::new(e), data_type: t })
            }
            Expr::Binary { op, left, right, pos } => self.bind_binary(*op, left, right, *pos),
            Expr::Like { expr: e, pattern, escape, negated } => {
                let b = self.bind(e)?;
                let p = self.bind(pattern)?;
                for (side, bound) in [(e, &b), (pattern, &p)] {
                    let t = bound.data_type();
                    if t != DataType::String && t != DataType::Null {
                        return Err(SqlError::type_error(
                            side.pos(),
                            format!("LIKE takes STRING operands, found {t} ({side})"),
                        ));
                    }
                }
                Ok(BoundExpr::Like { expr: Box::new(b), pattern: Box::new(p), escape: *escape, negated: *negated })
            }
            Expr::InList { expr: e, list, negated } => {
                // NULL items match nothing; the rest share a type with the value, found
                // in order (ksqlDB's user-list coercion), literals converted now.
                let items: Vec<&Expr> =
                    std::iter::once(&**e).chain(list.iter().filter(|i| !is_null_literal(i))).collect();
                let bound: Vec<BoundExpr> = items.iter().map(|i| self.bind(i)).collect::<Result<_, _>>()?;
                let typed: Vec<(&Expr, DataType)> =
                    items.iter().copied().zip(bound.iter().map(BoundExpr::data_type)).collect();
                let predicate = |e: SqlError| e.in_clause("Invalid Predicate");
                let common = coerce::common_type(self, &typed).map_err(predicate)?.unwrap_or(DataType::Null);
                let mut converted = items
                    .iter()
                    .zip(bound)
                    .map(|(i, b)| coerce::convert(i, b, &common))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(predicate)?;
                let value = converted.remove(0);
                Ok(BoundExpr::InList { expr: Box::new(value), list: converted, negated: *negated })
            }
            Expr::Between { expr: e, low, high, negated } => {
                let b = self.bind(e)?;
                let l = self.bind_time_bound(e, low)?;
                let h = self.bind_time_bound(e, high)?;
                let mut common = b.data_type();
                for (side, bound) in [(low, &l), (high, &h)] {
                    common = comparable_type(&common, &bound.data_type()).ok_or_else(|| {
                        SqlError::type_error(
                            side.pos().or(e.pos()),
                            format!(
                                "BETWEEN bound {side} of type {} cannot be compared to {e} of type {}",
                                bound.data_type(),
                                b.data_type()
                            ),
                        )
                    })?;
                }
                Ok(BoundExpr::Between {
                    expr: Box::new(b.cast_to(&common)),
                    low: Box::new(coerce::convert(low, l, &common)?),
                    high: Box::new(coerce::convert(high, h, &common)?),
                    negated: *negated,
                })
            }
            Expr::IsNull { expr: e, negated } => {
                Ok(BoundExpr::IsNull { expr: Box::new(self.bind(e)?), negated: *negated })
            }
            Expr::Case { operand, whens, else_result } => {
                self.bind_case(operand.as_deref(), whens, else_result.as_deref())
            }
            Expr::Cast { expr: e, data_type, pos } => {
                let b = self.bind(e)?;
                let from = b.data_type();
                if !castable(&from, data_type) {
                    // ksqlDB names the clause of a cast it refuses in a projection.
                    let clause = if self.clause.get() == "SELECT" { "Invalid Select: " } else { "" };
                    return Err(SqlError::type_error(
                        Some(*pos),
                        format!("{clause}Cast of {from} to {data_type} is not supported ({e})"),
                    ));
                }
                Ok(BoundExpr::Cast { expr: Box::new(b), data_type: data_type.clone() })
            }
            Expr::Subscript { expr: e, index, pos } => {
                let b = self.bind(e)?;
                let i = self.bind(index)?;
                match b.data_type() {
                    DataType::Array(item) => {
                        let it = i.data_type();
                        if !matches!(it, DataType::Int | DataType::BigInt) {
                            return Err(SqlError::type_error(
                                Some(*pos),
                                format!("array index must be INTEGER, found {it} ({index})"),
                            ));
                        }
                        Ok(BoundExpr::Subscript {
                            expr: Box::new(b),
                            index: Box::new(i.cast_to(&DataType::Int)),
                            data_type: *item,
                        })
                    }
                    DataType::Map(k, v) => {
                        let it = i.data_type();
                        if !it.widens_to(&k) {
                            return Err(SqlError::type_error(
                                Some(*pos),
                                format!("map key must be {k}, found {it} ({index})"),
                            ));
                        }
                        Ok(BoundExpr::Subscript { expr: Box::new(b), index: Box::new(i.cast_to(&k)), data_type: *v })
                    }
                    other => Err(SqlError::type_error(
                        Some(*pos),
                        format!("{e} is {other}; only ARRAY and MAP values can be subscripted"),
                    )),
                }
            }
            Expr::Field { expr: e, field, pos } => {
                let b = self.bind(e)?;
                match b.data_type() {
                    DataType::Struct(fields) => {
                        let index = fields.iter().position(|f| f.name == *field).ok_or_else(|| {
                            SqlError::not_found(
                                Some(*pos),
                                did_you_mean(
                                    format!("{e} has no field {field}"),
                                    field,
                                    fields.iter().map(|f| f.name.as_str()),
                                ),
                            )
                        })?;
                        let data_type = fields[index].data_type.clone();
                        Ok(BoundExpr::Field { expr: Box::new(b), index, name: field.clone(), data_type })
                    }
                    other => Err(SqlError::type_error(Some(*pos), format!("{e} is {other}; '->' needs a STRUCT"))),
                }
            }
            Expr::Function { name, args, distinct, pos, .. } => {
                if *distinct {
                    return Err(SqlError::unsupported(Some(*pos), "DISTINCT arguments are not supported"));
                }
                // `f(*)` is COUNT(*), an aggregate; for any other function ksqlDB reads
                // it as a call without arguments, and so does wasp.
                if self.catalog.function_type(name, &[]).is_none() && self.catalog.aggregate_type(name, &[]).is_none() {
                    return Err(SqlError::not_found(
                        Some(*pos),
                        did_you_mean(
                            format!("Can't find any functions with the name '{}'", name.to_ascii_uppercase()),
                            name,
                            self.catalog.function_names().iter().map(String::as_str),
                        ),
                    ));
                }
                if self.catalog.aggregate_type(name, &[]).is_some() {
                    return Err(SqlError::invalid(
                        Some(*pos),
                        format!("Use of aggregate function {} requires a GROUP BY clause.", name.to_ascii_uppercase()),
                    ));
                }
                let bound: Vec<BoundExpr> = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| match time_unit_keyword(name, i, a) {
                        Some(unit) => {
                            Ok(BoundExpr::Literal { value: Value::string(unit), data_type: DataType::String })
                        }
                        None => self.bind(a),
                    })
                    .collect::<Result<_, _>>()?;
                let types: Vec<DataType> = bound.iter().map(BoundExpr::data_type).collect();
                match self.catalog.function_type(name, &types) {
                    None => Err(SqlError::not_found(
                        Some(*pos),
                        did_you_mean(
                            format!("Can't find any functions with the name '{}'", name.to_ascii_uppercase()),
                            name,
                            self.catalog.function_names().iter().map(String::as_str),
                        ),
                    )),
                    Some(Err(reason)) => Err(SqlError::type_error(Some(*pos), reason)),
                    Some(Ok(data_type)) => {
                        Ok(BoundExpr::Function { name: name.to_ascii_uppercase(), args: bound, data_type })
                    }
                }
            }
            Expr::Array(items) => {
                if items.is_empty() {
                    return Err(SqlError::type_error(
                        None,
                        "Array constructor cannot be empty. Please supply at least one element \
                         (see https://github.com/confluentinc/ksql/issues/4239).",
                    ));
                }
                let (common, items) = self.bind_list(items.iter())?;
                let common = common.ok_or_else(|| {
                    SqlError::type_error(
                        None,
                        "Cannot construct an array with all NULL elements \
                         (see https://github.com/confluentinc/ksql/issues/4239). \
                         As a workaround, you may cast a NULL value to the desired type.",
                    )
                })?;
                Ok(BoundExpr::Array { items, data_type: DataType::Array(Box::new(common)) })
            }
            Expr::Map(entries) => {
                if entries.is_empty() {
                    return Err(SqlError::type_error(
                        None,
                        "Map constructor cannot be empty. Please supply at least one key value pair \
                         (see https://github.com/confluentinc/ksql/issues/4239).",
                    ));
                }
                let all_null = |what: &str| {
                    SqlError::type_error(
                        None,
                        format!(
                            "Cannot construct a map with all NULL {what}s \
                             (see https://github.com/confluentinc/ksql/issues/4239). \
                             As a workaround, you may cast a NULL {what} to the desired type."
                        ),
                    )
                };
                let (kt, keys) = self.bind_list(entries.iter().map(|(k, _)| k))?;
                let kt = kt.ok_or_else(|| all_null("key"))?;
                let (vt, values) = self.bind_list(entries.iter().map(|(_, v)| v))?;
                let vt = vt.ok_or_else(|| all_null("value"))?;
                let entries = keys.into_iter().zip(values).collect();
                Ok(BoundExpr::Map { entries, data_type: DataType::Map(Box::new(kt), Box::new(vt)) })
            }
            Expr::Struct(fields) => {
                let mut types = Vec::new();
                let mut bound = Vec::new();
                for (i, (name, e)) in fields.iter().enumerate() {
                    if fields[..i].iter().any(|(n, _)| n == name) {
                        return Err(SqlError::type_error(
                            e.pos(),
                            format!("Duplicate field names found in STRUCT: {name}"),
                        ));
                    }
                    let b = self.bind(e)?;
                    types.push(StructField { name: name.clone(), data_type: b.data_type() });
                    bound.push(b);
                }
                Ok(BoundExpr::Struct { fields: bound, data_type: DataType::Struct(types) })
            }
        }
    }

    fn bind_binary(&self, op: BinaryOp, left: &Expr, right: &Expr, pos: Pos) -> Result<BoundExpr, SqlError> {
        let l = self.bind(left)?;
        let r = self.bind(right)?;
        let (lt, rt) = (l.data_type(), r.data_type());
        let mismatch =
            |what: &str| SqlError::type_error(Some(pos), format!("{what}: {left} is {lt} and {right} is {rt}"));
        match op {
            BinaryOp::And | BinaryOp::Or => {
                expect_boolean(&l, left, op.symbol())?;
                expect_boolean(&r, right, op.symbol())?;
                Ok(BoundExpr::Binary { op, left: Box::new(l), right: Box::new(r), data_type: DataType::Boolean })
            }
            BinaryOp::Concat => {
                for (side, t) in [(left, &lt), (right, &rt)] {
                    if *t != DataType::String && *t != DataType::Null {
                        return Err(SqlError::type_error(
                            side.pos().or(Some(pos)),
                            format!("'||' takes STRING operands, found {t} ({side}); CAST it AS STRING"),
                        ));
                    }
                }
                Ok(BoundExpr::Binary {
                    op,
                    left: Box::new(l.cast_to(&DataType::String)),
                    right: Box::new(r.cast_to(&DataType::String)),
                    data_type: DataType::String,
                })
            }
            BinaryOp::Add if (lt == DataType::String || lt == DataType::Null) && (rt == DataType::String) => {
                Ok(BoundExpr::Binary {
                    op: BinaryOp::Concat,
                    left: Box::new(l.cast_to(&DataType::String)),
                    right: Box::new(r),
                    data_type: DataType::String,
                })
            }
            _ if op.is_arithmetic() => {
                let numeric = |t: &DataType| t.is_numeric() || *t == DataType::Null;
                if !numeric(&lt) || !numeric(&rt) {
                    return Err(mismatch(&format!("operator '{}' needs numeric operands", op.symbol())));
                }
                let common = DataType::common_type(&lt, &rt).ok_or_else(|| mismatch("incompatible operands"))?;
                let common = if common == DataType::Null { DataType::Int } else { common };
                let result = arithmetic_type(op, &lt, &rt, &common);
                let operand_type = match &result {
                    DataType::Decimal { .. } => common.clone(),
                    other => other.clone(),
                };
                let operand = |b: BoundExpr, t: &DataType| match (t, &operand_type) {
                    (DataType::Decimal { .. }, DataType::Decimal { .. }) => b,
                    (_, DataType::Decimal { .. }) => {
                        let (p, s) = t.as_decimal().unwrap_or((19, 0));
                        b.cast_to(&DataType::Decimal { precision: p, scale: s })
                    }
                    _ => b.cast_to(&operand_type),
                };
                Ok(BoundExpr::Binary {
                    op,
                    left: Box::new(operand(l, &lt)),
                    right: Box::new(operand(r, &rt)),
                    data_type: result,
                })
            }
            _ => self.bind_comparison(op, left, right, pos),
        }
    }

    /// A comparison, with ksqlDB's rules: numbers with numbers, strings with strings
    /// and times, times with times and strings, BOOLEAN, ARRAY, MAP and STRUCT only for
    /// (in)equality, never with the NULL literal. A string literal compared with
    /// `ROWTIME` is a timestamp.
    fn bind_comparison(&self, op: BinaryOp, left: &Expr, right: &Expr, pos: Pos) -> Result<BoundExpr, SqlError> {
        let l = self.bind_time_bound(right, left)?;
        let r = self.bind_time_bound(left, right)?;
        let (lt, rt) = (l.data_type(), r.data_type());
        if lt == DataType::Null || rt == DataType::Null {
            return Err(SqlError::type_error(
                Some(pos),
                format!(
                    "Comparison with NULL not supported: {lt} {} {rt}; use 'IS NULL' or 'IS NOT NULL' instead",
                    op.symbol()
                ),
            ));
        }
        let cannot = || {
            SqlError::type_error(
                Some(pos),
                format!("Cannot compare {left} ({lt}) to {right} ({rt}) with {}.", op.comparison_name()),
            )
        };
        use DataType::*;
        let valid = match (&lt, &rt) {
            (a, b) if a.is_numeric() => b.is_numeric(),
            (String, b) => matches!(b, String | Timestamp | Date | Time),
            (Boolean, b) => *b == Boolean && op.is_equality(),
            (Array(_), b) => matches!(b, Array(_)) && op.is_equality(),
            (Map(..), b) => matches!(b, Map(..)) && op.is_equality(),
            (Struct(_), b) => matches!(b, Struct(_)) && op.is_equality(),
            (Time, b) => matches!(b, Time | String),
            (Date | Timestamp, b) => matches!(b, Date | Timestamp | String),
            (Bytes, b) => *b == Bytes,
            _ => false,
        };
        if !valid {
            return Err(cannot());
        }
        let common = match (&lt, &rt) {
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            (String, t @ (Timestamp | Date | Time)) | (t @ (Timestamp | Date | Time), String) => t.clone(),
            _ => comparable_type(&lt, &rt).ok_or_else(cannot)?,
        };
        Ok(BoundExpr::Binary {
            op,
            left: Box::new(l.cast_to(&common)),
            right: Box::new(r.cast_to(&common)),
            data_type: DataType::Boolean,
        })
    }

    /// Binds `expr`, which is compared with `other`: when `other` is `ROWTIME` (or a
    /// window bound) and `expr` a string literal, the string is read as a timestamp.
    fn bind_time_bound(&self, other: &Expr, expr: &Expr) -> Result<BoundExpr, SqlError> {
        let is_time_column = matches!(
            other,
            Expr::Column { name, .. } if name == ROWTIME || name == "WINDOWSTART" || name == "WINDOWEND"
        );
        match expr {
            Expr::Literal(Literal::String(text)) if is_time_column => {
                let ms = coerce::partial_timestamp(text).map_err(|e| SqlError::type_error(expr.pos(), e))?;
                Ok(BoundExpr::Literal { value: Value::BigInt(ms), data_type: DataType::BigInt })
            }
            _ => self.bind(expr),
        }
    }

    /// Binds a user-written list and brings its items to their common type (`None`
    /// when every item is NULL).
    fn bind_list<'e>(
        &self,
        items: impl Iterator<Item = &'e Expr>,
    ) -> Result<(Option<DataType>, Vec<BoundExpr>), SqlError> {
        let items: Vec<&Expr> = items.collect();
        let bound: Vec<BoundExpr> = items.iter().map(|i| self.bind(i)).collect::<Result<_, _>>()?;
        let typed: Vec<(&Expr, DataType)> = items.iter().copied().zip(bound.iter().map(BoundExpr::data_type)).collect();
        let Some(common) = coerce::common_type(self, &typed)? else { return Ok((None, bound)) };
        let converted =
            items.iter().zip(bound).map(|(i, b)| coerce::convert(i, b, &common)).collect::<Result<_, _>>()?;
        Ok((Some(common), converted))
    }

    fn bind_case(
        &self,
        operand: Option<&Expr>,
        whens: &[(Expr, Expr)],
        else_result: Option<&Expr>,
    ) -> Result<BoundExpr, SqlError> {
        let operand = operand.map(|o| Ok::<_, SqlError>((o, self.bind(o)?))).transpose()?;
        let mut conditions = Vec::new();
        let mut results = Vec::new();
        let mut result_type = DataType::Null;
        for (cond, result) in whens {
            let bound_cond = match &operand {
                Some((op_expr, op_bound)) => {
                    let c = self.bind(cond)?;
                    let common = comparable_type(&op_bound.data_type(), &c.data_type()).ok_or_else(|| {
                        SqlError::type_error(
                            cond.pos(),
                            format!(
                                "WHEN {cond} is {} and cannot be compared to CASE operand {op_expr} of type {}",
                                c.data_type(),
                                op_bound.data_type()
                            ),
                        )
                    })?;
                    BoundExpr::Binary {
                        op: BinaryOp::Eq,
                        left: Box::new(op_bound.clone().cast_to(&common)),
                        right: Box::new(c.cast_to(&common)),
                        data_type: DataType::Boolean,
                    }
                }
                None => {
                    let c = self.bind(cond)?;
                    expect_boolean(&c, cond, "WHEN")?;
                    c
                }
            };
            let r = self.bind(result)?;
            result_type = DataType::common_type(&result_type, &r.data_type()).ok_or_else(|| {
                SqlError::type_error(
                    result.pos(),
                    format!("CASE results must share a type: {result_type} and {} ({result})", r.data_type()),
                )
            })?;
            conditions.push(bound_cond);
            results.push(r);
        }
        let else_bound = match else_result {
            Some(e) => {
                let b = self.bind(e)?;
                result_type = DataType::common_type(&result_type, &b.data_type()).ok_or_else(|| {
                    SqlError::type_error(
                        e.pos(),
                        format!("CASE results must share a type: {result_type} and {} ({e})", b.data_type()),
                    )
                })?;
                Some(b)
            }
            None => None,
        };
        let whens = conditions.into_iter().zip(results.into_iter().map(|r| r.cast_to(&result_type))).collect();
        Ok(BoundExpr::Case {
            whens,
            else_result: else_bound.map(|b| Box::new(b.cast_to(&result_type))),
            data_type: result_type,
        })
    }
}

/// ksqlDB writes time units as bare words: `TIMESTAMPADD(MINUTES, 5, ts)`. In the
/// first argument of the date-arithmetic functions such a word is the unit's name.
fn time_unit_keyword<'e>(function: &str, position: usize, arg: &'e Expr) -> Option<&'e str> {
    const FUNCTIONS: &[&str] = &["TIMESTAMPADD", "TIMESTAMPSUB", "DATEADD", "DATESUB", "TIMEADD", "TIMESUB"];
    const UNITS: &[&str] = &[
        "NANOSECONDS",
        "MICROSECONDS",
        "MILLISECONDS",
        "SECONDS",
        "MINUTES",
        "HOURS",
        "DAYS",
        "WEEKS",
        "MONTHS",
        "YEARS",
        "NANOSECOND",
        "MICROSECOND",
        "MILLISECOND",
        "SECOND",
        "MINUTE",
        "HOUR",
        "DAY",
        "WEEK",
        "MONTH",
        "YEAR",
    ];
    match arg {
        Expr::Column { qualifier: None, name, .. }
            if position == 0
                && FUNCTIONS.contains(&function.to_ascii_uppercase().as_str())
                && UNITS.contains(&name.as_str()) =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// ksqlDB refuses key columns that are or hold a MAP: their serialized form is not
/// stable, so equal keys could land in different partitions.
pub fn check_key_type(name: &str, t: &DataType) -> Result<(), SqlError> {
    fn holds_map(t: &DataType) -> bool {
        match t {
            DataType::Map(..) => true,
            DataType::Array(item) => holds_map(item),
            DataType::Struct(fields) => fields.iter().any(|f| holds_map(&f.data_type)),
            _ => false,
        }
    }
    if holds_map(t) {
        return Err(SqlError::invalid(
            None,
            format!(
                "Map keys, including types that contain maps, are not supported as they may lead to unexpected \
                 behavior due to inconsistent serialization. Key column name: `{name}`. Column type: {t}. \
                 See https://github.com/confluentinc/ksql/issues/6621 for more."
            ),
        ));
    }
    Ok(())
}

/// The system column names a persistent query may not write: ksqlDB refuses an alias
/// that is one of them, and a projection of the system column itself without an alias.
fn check_reserved_name(expr: &Expr, name: &str, query: &Query) -> Result<(), SqlError> {
    const SYSTEM: [&str; 5] = [ROWTIME, ROWPARTITION, ROWOFFSET, "WINDOWSTART", "WINDOWEND"];
    let Some(reserved) = SYSTEM.iter().find(|r| r.eq_ignore_ascii_case(name)) else { return Ok(()) };
    let text = expr.to_string();
    let unqualified = text.rsplit_once('.').map_or(text.as_str(), |(_, column)| column);
    let message = if unqualified.eq_ignore_ascii_case(name) {
        format!("Reserved column name in select: `{reserved}`. Please remove or alias the column.")
    } else {
        format!("`{reserved}` is a reserved column name. You cannot use it as an alias for a column.")
    };
    Err(SqlError::invalid(Some(query.pos), message))
}

fn is_null_literal(e: &Expr) -> bool {
    match e {
        Expr::Literal(Literal::Null) => true,
        Expr::Nested(inner) => is_null_literal(inner),
        _ => false,
    }
}

fn expect_boolean(bound: &BoundExpr, expr: &Expr, context: &str) -> Result<(), SqlError> {
    let t = bound.data_type();
    if t == DataType::Boolean || t == DataType::Null {
        Ok(())
    } else {
        Err(SqlError::type_error(expr.pos(), format!("{context} needs a BOOLEAN operand, found {t} ({expr})")))
    }
}

/// The type two operands are compared in, if they can be compared.
fn comparable_type(a: &DataType, b: &DataType) -> Option<DataType> {
    if let Some(t) = DataType::common_type(a, b) {
        return Some(t);
    }
    match (a, b) {
        // ksqlDB compares timestamps with strings like '2020-01-01T00:00:00'.
        (DataType::Timestamp, DataType::String) | (DataType::String, DataType::Timestamp) => Some(DataType::Timestamp),
        (DataType::Struct(x), DataType::Struct(y)) if x.len() == y.len() => Some(a.clone()),
        _ => None,
    }
}

fn arithmetic_type(op: BinaryOp, lt: &DataType, rt: &DataType, common: &DataType) -> DataType {
    let DataType::Decimal { .. } = common else { return common.clone() };
    let (p1, s1) = lt.as_decimal().unwrap_or((19, 0));
    let (p2, s2) = rt.as_decimal().unwrap_or((19, 0));
    let (p, s) = match op {
        BinaryOp::Add | BinaryOp::Subtract => {
            let s = s1.max(s2);
            ((p1 - s1).max(p2 - s2) + s + 1, s)
        }
        BinaryOp::Multiply => (p1 + p2 + 1, s1 + s2),
        BinaryOp::Divide => {
            let s = 6u8.max(s1 + p2 + 1);
            (p1 - s1 + s2 + s, s)
        }
        _ => {
            let s = s1.max(s2);
            ((p1 - s1).min(p2 - s2) + s, s)
        }
    };
    DataType::Decimal { precision: p.clamp(1, 38), scale: s.min(p.clamp(1, 38)) }
}

/// Whether `CAST(from AS to)` is allowed.
pub fn castable(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to || *from == Null {
        return true;
    }
    match (from, to) {
        (a, b) if a.is_numeric() && b.is_numeric() => true,
        (String, _) if !matches!(to, Array(_) | Map(..) | Struct(_)) => true,
        (_, String) => true,
        (Boolean, Int | BigInt) | (Int | BigInt, Boolean) => false,
        (Timestamp, Date | Time | BigInt) | (Date, Timestamp) | (BigInt, Timestamp) => true,
        (Array(a), Array(b)) => castable(a, b),
        (Map(ka, va), Map(kb, vb)) => castable(ka, kb) && castable(va, vb),
        // Fields match by name; the ones only one side has are dropped or NULL.
        (Struct(a), Struct(b)) => {
            a.iter().all(|f| b.iter().find(|g| g.name == f.name).is_none_or(|g| castable(&f.data_type, &g.data_type)))
        }
        _ => false,
    }
}

/// The value and type of a literal: integers are INT when they fit 32 bits, decimals
/// keep their digits (`1.50` is `DECIMAL(3, 2)`).
pub fn literal(lit: &Literal) -> Result<BoundExpr, SqlError> {
    Ok(match lit {
        Literal::Null => BoundExpr::Literal { value: Value::Null, data_type: DataType::Null },
        Literal::Boolean(b) => BoundExpr::Literal { value: Value::Boolean(*b), data_type: DataType::Boolean },
        Literal::Integer(i) => match i32::try_from(*i) {
            Ok(v) => BoundExpr::Literal { value: Value::Int(v), data_type: DataType::Int },
            Err(_) => BoundExpr::Literal { value: Value::BigInt(*i), data_type: DataType::BigInt },
        },
        Literal::Decimal(text) => {
            let d = Decimal::parse(text)
                .ok_or_else(|| SqlError::invalid(None, format!("invalid decimal literal {text}")))?;
            let precision = d.precision().max(d.scale).max(1);
            BoundExpr::Literal { value: Value::Decimal(d), data_type: DataType::Decimal { precision, scale: d.scale } }
        }
        Literal::Double(d) => BoundExpr::Literal { value: Value::Double(*d), data_type: DataType::Double },
        Literal::String(s) => BoundExpr::Literal { value: Value::string(s), data_type: DataType::String },
    })
}

/// Why a projected expression has no type (it is NULL whatever the row), in ksqlDB's
/// words for the expression's kind.
fn untyped_null(expr: &Expr) -> String {
    match expr {
        Expr::Case { .. } => "Invalid Case expression. All case branches have NULL type".into(),
        Expr::Function { name, args, .. } => format!(
            "Function '{}' cannot be resolved due to ambiguous method parameters ({}).",
            name.to_ascii_lowercase(),
            vec!["null"; args.len()].join(", ")
        ),
        _ => "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR)."
            .into(),
    }
}
