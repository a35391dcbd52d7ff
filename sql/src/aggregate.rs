//! Planning `GROUP BY`: a query with aggregates becomes
//! `Source -> [Filter WHERE] -> Aggregate -> [Filter HAVING] -> Project`.
//!
//! The `Aggregate` node's rows are laid out as
//! `group keys.., ROWTIME, ROWPARTITION, ROWOFFSET, [WINDOWSTART, WINDOWEND], calls..`:
//! one row per input row that updated a group (ksqlDB emits every change), carrying
//! the group's new results. HAVING and the projection bind against that layout: an
//! aggregate call becomes a reference to its column, an expression equal to a group
//! key a reference to the key, and any other column of the input is an error.

use std::cell::RefCell;

use crate::ast::{Expr, Query, SelectItem, WindowExpr};
use crate::error::SqlError;
use crate::expr::BoundExpr;
use crate::plan::{
    check_key_type, qualifiers, AliasGenerator, Binder, Catalog, ColumnRole, Field, LogicalPlan, Schema, ROWOFFSET,
    ROWPARTITION, ROWTIME,
};
use crate::types::DataType;

/// The start and end of a row's window, in epoch milliseconds (windowed aggregations).
pub const WINDOWSTART: &str = "WINDOWSTART";
pub const WINDOWEND: &str = "WINDOWEND";

/// One aggregate function call: `SUM(x)`, `COUNT(*)`, `TOPK(x, 3)`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    /// Upper-cased.
    pub name: String,
    /// Bound against the aggregation's input; `COUNT(*)` has none.
    pub args: Vec<BoundExpr>,
    pub data_type: DataType,
}

impl std::fmt::Display for AggregateCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(", self.name)?;
        if self.args.is_empty() && self.name == "COUNT" {
            f.write_str("*")?;
        }
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{a}")?;
        }
        f.write_str(")")
    }
}

/// What a binder over an aggregation's output resolves before its own schema.
pub struct AggScope<'a> {
    /// Binds against the aggregation's input row.
    input: Binder<'a>,
    keys: Vec<BoundExpr>,
    key_names: Vec<String>,
    /// The calls found so far, each once.
    calls: RefCell<Vec<AggregateCall>>,
    /// Where the first call's column is in the aggregation's output.
    first_call: usize,
}

impl AggScope<'_> {
    /// `Some` when `expr` is an aggregate call or a group key; an error when it is a
    /// column of the input that is neither.
    pub(crate) fn resolve(&self, expr: &Expr, output: &Binder<'_>) -> Result<Option<BoundExpr>, SqlError> {
        if let Expr::Function { name, args, star, pos, .. } = expr {
            if self.input.catalog.aggregate_type(name, &[]).is_some() {
                let bound: Vec<BoundExpr> = if *star {
                    Vec::new()
                } else {
                    args.iter()
                        .map(|a| {
                            self.input.bind(a).map_err(|err| match aggregate_named(&err) {
                                Some(_) => SqlError::invalid(
                                    Some(*pos),
                                    format!("Aggregate functions can not be nested: {expr}"),
                                ),
                                None => err,
                            })
                        })
                        .collect::<Result<_, _>>()?
                };
                let types: Vec<DataType> = bound.iter().map(BoundExpr::data_type).collect();
                let data_type = match self.input.catalog.aggregate_type(name, &types) {
                    Some(Ok(t)) => t,
                    Some(Err(reason)) => return Err(SqlError::type_error(Some(*pos), reason)),
                    None => return Err(SqlError::not_found(Some(*pos), format!("unknown function {name}"))),
                };
                let call = AggregateCall { name: name.to_ascii_uppercase(), args: bound, data_type };
                let mut calls = self.calls.borrow_mut();
                let i = calls.iter().position(|c| *c == call).unwrap_or_else(|| {
                    calls.push(call.clone());
                    calls.len() - 1
                });
                return Ok(Some(BoundExpr::Column {
                    index: self.first_call + i,
                    name: format!("KSQL_AGG_VARIABLE_{i}"),
                    data_type: calls[i].data_type.clone(),
                }));
            }
        }
        if let Ok(bound) = self.input.bind(expr) {
            if let Some(k) = self.keys.iter().position(|key| *key == bound) {
                return Ok(Some(BoundExpr::Column {
                    index: k,
                    name: self.key_names[k].clone(),
                    data_type: bound.data_type(),
                }));
            }
        }
        if let Expr::Column { name, .. } = expr {
            if output.schema.index_of(name).is_none() && self.input.schema.index_of(name).is_some() {
                let clause = output.clause.get();
                return Err(SqlError::invalid(
                    expr.pos(),
                    if clause == "HAVING" {
                        format!("Non-aggregate HAVING expression not part of GROUP BY: {expr}")
                    } else {
                        format!("Non-aggregate SELECT expression(s) not part of GROUP BY: {expr}")
                    },
                ));
            }
        }
        Ok(None)
    }
}

/// Plans a query with `GROUP BY`, over a source with `declared` columns.
pub(crate) fn plan_aggregate(
    query: &Query,
    catalog: &dyn Catalog,
    source: LogicalPlan,
    input_schema: &Schema,
) -> Result<LogicalPlan, SqlError> {
    if query.group_by.is_empty() {
        return Err(SqlError::invalid(
            Some(query.pos),
            if query.window.is_some() {
                "A windowed query needs a GROUP BY clause"
            } else {
                "HAVING requires a GROUP BY clause"
            },
        ));
    }
    if let Some(w) = &query.window {
        if matches!(w.kind, crate::ast::WindowKind::Session { .. }) {
            return Err(SqlError::unsupported(Some(w.pos), "SESSION windows are not supported yet"));
        }
    }
    if query.emit_final {
        return Err(SqlError::unsupported(Some(query.pos), "EMIT FINAL is not supported yet; use EMIT CHANGES"));
    }
    if !query.partition_by.is_empty() {
        return Err(SqlError::invalid(Some(query.pos), "PARTITION BY cannot be combined with GROUP BY"));
    }
    let input = Binder::new(input_schema, catalog, qualifiers(query));
    let mut plan = source;
    if let Some(predicate) = &query.selection {
        input.clause.set("WHERE");
        let bound = input.bind(predicate).map_err(|e| e.in_clause("Error in WHERE expression"))?;
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

    // The group keys, named as the columns they are, or as ksqlDB names expressions.
    input.clause.set("GROUP BY");
    let declared: Vec<Field> = input_schema.stored().cloned().collect();
    let mut generated = AliasGenerator::new(&declared);
    let mut keys = Vec::new();
    let mut key_names: Vec<String> = Vec::new();
    let source = query.from.alias.as_deref().unwrap_or(&query.from.name);
    for e in &query.group_by {
        let bound = input.bind(e).map_err(|err| match aggregate_named(&err) {
            Some(name) => SqlError::invalid(
                e.pos(),
                format!("GROUP BY does not support aggregate functions: {name} is an aggregate function."),
            ),
            None => err,
        })?;
        if bound.data_type() == DataType::Null {
            return Err(SqlError::type_error(e.pos(), format!("cannot GROUP BY NULL ({e})")));
        }
        let name = match &bound {
            BoundExpr::Column { name, .. } => name.clone(),
            _ => generated.name_for(e),
        };
        check_key_type(&name, &bound.data_type())?;
        if keys.contains(&bound) {
            return Err(SqlError::invalid(
                e.pos(),
                format!("Duplicate GROUP BY expression: {}", e.qualified(source, &|_, _, _| false)),
            ));
        }
        keys.push(bound);
        key_names.push(name);
    }
    input.clause.set("SELECT");

    let mut fixed: Vec<Field> =
        keys.iter().zip(&key_names).map(|(k, n)| Field::new(n.clone(), k.data_type(), ColumnRole::Key)).collect();
    fixed.push(Field::new(ROWTIME, DataType::BigInt, ColumnRole::Pseudo));
    fixed.push(Field::new(ROWPARTITION, DataType::Int, ColumnRole::Pseudo));
    fixed.push(Field::new(ROWOFFSET, DataType::BigInt, ColumnRole::Pseudo));
    if query.window.is_some() {
        fixed.push(Field::new(WINDOWSTART, DataType::BigInt, ColumnRole::Pseudo));
        fixed.push(Field::new(WINDOWEND, DataType::BigInt, ColumnRole::Pseudo));
    }
    let fixed = Schema::new(fixed);
    let scope = AggScope { input, keys, key_names, calls: RefCell::new(Vec::new()), first_call: fixed.len() };
    let mut output = Binder::new(&fixed, catalog, qualifiers(query));
    output.aggregation = Some(&scope);

    // The projection, over the aggregation's output.
    let mut aliases = AliasGenerator::new(&declared);
    let mut fields: Vec<Field> = Vec::new();
    let mut exprs: Vec<BoundExpr> = Vec::new();
    // `*` stands for the source's columns, each of which must then be a group key.
    let mut items: Vec<(Expr, Option<String>)> = Vec::new();
    for item in &query.projection {
        match item {
            SelectItem::Expr { expr, alias } => items.push((expr.clone(), alias.clone())),
            SelectItem::Wildcard { .. } => items.extend(
                declared.iter().map(|f| (Expr::Column { qualifier: None, name: f.name.clone(), pos: query.pos }, None)),
            ),
        }
    }
    for (expr, alias) in &items {
        let bound = output.bind(expr).map_err(|err| {
            if err.message().starts_with("Non-aggregate SELECT") {
                SqlError::invalid(
                    expr.pos(),
                    format!(
                        "Non-aggregate SELECT expression(s) not part of GROUP BY: {expr}\nEither add the column(s) to the GROUP BY or remove them from the SELECT."
                    ),
                )
            } else {
                err
            }
        })?;
        let name = alias.clone().unwrap_or_else(|| aliases.name_for(expr));
        if fields.iter().any(|f| f.name == name) {
            return Err(SqlError::invalid(
                expr.pos(),
                format!("the projection has two columns named {name}; give one an alias with AS"),
            ));
        }
        let role = match &bound {
            BoundExpr::Column { index, .. } if *index < scope.keys.len() => ColumnRole::Key,
            _ => ColumnRole::Value,
        };
        // A key projected twice is a key once and a value the second time.
        let role = if role == ColumnRole::Key && exprs.contains(&bound) { ColumnRole::Value } else { role };
        fields.push(Field::new(name, bound.data_type(), role));
        exprs.push(bound);
    }
    let having = match &query.having {
        Some(h) => {
            output.clause.set("HAVING");
            let bound = output.bind(h)?;
            if bound.data_type() != DataType::Boolean && bound.data_type() != DataType::Null {
                return Err(SqlError::type_error(
                    h.pos(),
                    format!(
                        "Type error in HAVING expression: Should evaluate to boolean but is {h} ({}) instead.",
                        bound.data_type()
                    ),
                ));
            }
            Some(bound)
        }
        None => None,
    };
    drop(output);
    let AggScope { keys, calls, .. } = scope;
    let calls = calls.into_inner();
    if calls.is_empty() {
        return Err(SqlError::invalid(
            Some(query.pos),
            "GROUP BY requires aggregate functions in either the SELECT or HAVING clause.",
        ));
    }

    let mut agg_fields = fixed.fields;
    agg_fields.extend(
        calls
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(format!("KSQL_AGG_VARIABLE_{i}"), c.data_type.clone(), ColumnRole::Value)),
    );
    let agg_schema = Schema::new(agg_fields);
    plan = LogicalPlan::Aggregate {
        input: Box::new(plan),
        keys,
        calls,
        window: query.window.clone(),
        schema: agg_schema.clone(),
    };
    if let Some(predicate) = having {
        plan = LogicalPlan::Filter { input: Box::new(plan), predicate };
    }

    // Keys first, in GROUP BY order; then the values as projected; then the
    // pseudo-columns (the window bounds among them) for the sink.
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|i| match (&fields[*i].role, &exprs[*i]) {
        (ColumnRole::Key, BoundExpr::Column { index, .. }) => (0, *index),
        _ => (1, 0),
    });
    let mut out_fields: Vec<Field> = order.iter().map(|i| fields[*i].clone()).collect();
    let mut out_exprs: Vec<BoundExpr> = order.iter().map(|i| exprs[*i].clone()).collect();
    for (index, field) in agg_schema.fields.iter().enumerate() {
        if field.role == ColumnRole::Pseudo && !out_fields.iter().any(|f| f.name == field.name) {
            out_fields.push(field.clone());
            out_exprs.push(BoundExpr::Column { index, name: field.name.clone(), data_type: field.data_type.clone() });
        }
    }
    plan = LogicalPlan::Project { input: Box::new(plan), exprs: out_exprs, schema: Schema::new(out_fields) };
    if let Some(n) = query.limit {
        plan = LogicalPlan::Limit { input: Box::new(plan), n };
    }
    Ok(plan)
}

/// The aggregate named by a "requires a GROUP BY clause" error.
fn aggregate_named(err: &SqlError) -> Option<&str> {
    err.message().strip_prefix("Use of aggregate function ")?.strip_suffix(" requires a GROUP BY clause.")
}

/// The window of an aggregation plan, if it has one.
pub fn plan_window(plan: &LogicalPlan) -> Option<&WindowExpr> {
    match plan {
        LogicalPlan::Aggregate { window, .. } => window.as_ref(),
        LogicalPlan::Source { .. } | LogicalPlan::Join { .. } => None,
        LogicalPlan::Filter { input, .. }
        | LogicalPlan::Project { input, .. }
        | LogicalPlan::Repartition { input, .. }
        | LogicalPlan::Limit { input, .. } => plan_window(input),
    }
}

/// The ksqlDB check on a persistent aggregation: every group key is in the projection.
pub(crate) fn check_keys_projected(plan: &LogicalPlan, query: &Query, sink: &str) -> Result<(), SqlError> {
    let mut cur = plan;
    let (keys_out, agg) = loop {
        match cur {
            LogicalPlan::Project { input, schema, exprs } => {
                let mut inner = input.as_ref();
                while let LogicalPlan::Filter { input, .. } = inner {
                    inner = input;
                }
                break (
                    exprs
                        .iter()
                        .zip(&schema.fields)
                        .filter(|(_, f)| f.role == ColumnRole::Key)
                        .map(|(e, _)| e.clone())
                        .collect::<Vec<_>>(),
                    inner,
                );
            }
            LogicalPlan::Limit { input, .. } => cur = input,
            _ => return Ok(()),
        }
    };
    let LogicalPlan::Aggregate { keys, .. } = agg else { return Ok(()) };
    if let LogicalPlan::Project { exprs, schema, .. } = cur {
        for k in 0..keys.len() {
            let names: Vec<String> = exprs
                .iter()
                .zip(&schema.fields)
                .filter(|(e, _)| matches!(e, BoundExpr::Column { index, .. } if *index == k))
                .map(|(_, f)| format!("`{}`", f.name))
                .collect();
            if names.len() > 1 {
                return Err(SqlError::invalid(
                    Some(query.pos),
                    format!("The projection contains a key column more than once: {}.", names.join(" and ")),
                ));
            }
        }
    }
    let missing: Vec<String> = query
        .group_by
        .iter()
        .enumerate()
        .take(keys.len())
        .filter(|(k, _)| !keys_out.iter().any(|o| matches!(o, BoundExpr::Column { index, .. } if index == k)))
        .map(|(_, e)| e.to_string())
        .collect();
    match missing.as_slice() {
        [] => {}
        [one] => {
            return Err(SqlError::invalid(
                Some(query.pos),
                format!(
                    "Key missing from projection (ie, SELECT). The query used to build `{sink}` must include the grouping expression {one} in its projection (eg, SELECT {one}...)."
                ),
            ))
        }
        [init @ .., last] => {
            return Err(SqlError::invalid(
                Some(query.pos),
                format!(
                    "Key missing from projection (ie, SELECT). The query used to build `{sink}` must include the grouping expressions {} and {last} in its projection (eg, SELECT {}...).",
                    init.join(", "),
                    missing.join(", ")
                ),
            ))
        }
    }
    Ok(())
}
