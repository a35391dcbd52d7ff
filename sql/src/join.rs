//! Planning joins: a stream joined with a table on the table's primary key.
//!
//! The joined row is the stream's row followed by the table's stored columns. Every
//! stored column is renamed `<SOURCE>_<COLUMN>`, the source being its alias or name, as
//! ksqlDB names the columns of a join: `SELECT *` and qualified references (`t.id`)
//! produce those names, an unqualified unambiguous reference keeps its own. The query
//! is rewritten over those names once, here, so the rest of the planner binds it as a
//! query over one source whose row is the joined row.

use crate::ast::{BinaryOp, Expr, JoinKind, Query, SelectItem, SourceKind};
use crate::error::{did_you_mean, SqlError};
use crate::expr::BoundExpr;
use crate::plan::{Binder, Catalog, ColumnRole, Field, LogicalPlan, Schema, ROWKEY, ROWOFFSET, ROWPARTITION, ROWTIME};

/// One source of a join, as its columns are named in the joined row.
struct Side {
    /// The source's name and alias, by which a column may be qualified.
    names: Vec<String>,
    /// The qualifier ksqlDB writes in messages: the alias, else the name.
    shown: String,
    /// The source's stored columns (keys, values), as declared.
    columns: Vec<String>,
    /// Whether the joined row carries this side's pseudo-columns (the stream's).
    pseudo: bool,
    /// The single key column, which `ROWKEY` names when no column has that name
    /// (ksqlDB before 0.10 called every key `ROWKEY`, and the seeds still do).
    rowkey: Option<String>,
}

impl Side {
    fn prefixed(&self, column: &str) -> String {
        format!("{}_{column}", self.shown)
    }
}

/// What the projection planner needs to know about a join: the expressions the output
/// key may be projected as, and the one it is computed from.
#[derive(Debug, Clone)]
pub(crate) struct JoinKey {
    /// The join condition's sides as written (`T.ID`), for messages.
    pub shown: Vec<String>,
    /// Bound over the joined row: the expressions that are the join key, whichever one
    /// the projection names (the stream side's, if a column, and the table's key).
    pub candidates: Vec<BoundExpr>,
    /// The stream side's expression, which the key is computed from (a LEFT JOIN's
    /// unmatched row has NULL in the table's key column, not in the join key).
    pub value: BoundExpr,
}

/// Plans `query`, which has joins, up to the joined row; the caller plans the rest of
/// the query over it. Returns the rewritten query, the join node, the joined row and
/// the key.
pub(crate) fn plan_join(
    query: &Query,
    catalog: &dyn Catalog,
) -> Result<(Query, LogicalPlan, Schema, JoinKey), SqlError> {
    if query.joins.len() > 1 {
        return Err(SqlError::unsupported(
            Some(query.joins[1].pos),
            "joins of more than two sources are not supported yet; join two, then join the result",
        ));
    }
    let join = &query.joins[0];
    let lookup = |r: &crate::ast::TableRef| {
        catalog.source(&r.name).ok_or_else(|| {
            SqlError::not_found(
                Some(r.pos),
                did_you_mean(
                    format!("{} does not exist", r.name),
                    &r.name,
                    catalog.source_names().iter().map(String::as_str),
                ),
            )
        })
    };
    let (left_kind, left_fields) = lookup(&query.from)?;
    let (right_kind, right_fields) = lookup(&join.right)?;
    let got = || {
        let written = match join.kind {
            JoinKind::Inner => "[INNER] JOIN",
            JoinKind::Left => "LEFT [OUTER] JOIN",
            JoinKind::Right => "RIGHT [OUTER] JOIN",
            JoinKind::Full => "[FULL] OUTER JOIN",
        };
        format!("Got {} {written} {}.", query.from.name, join.right.name)
    };
    match (left_kind, right_kind) {
        (SourceKind::Stream, SourceKind::Table) => {}
        (SourceKind::Table, SourceKind::Stream) => {
            return Err(SqlError::invalid(
                Some(join.pos),
                format!("Invalid join order: table-stream joins are not supported; only stream-table joins. {}", got()),
            ))
        }
        (SourceKind::Stream, SourceKind::Stream) => {
            return Err(SqlError::unsupported(
                Some(join.pos),
                "stream-stream joins (WITHIN) are not supported yet; join a stream with a table",
            ))
        }
        (SourceKind::Table, SourceKind::Table) => {
            return Err(SqlError::unsupported(
                Some(join.pos),
                "table-table joins are not supported yet; join a stream with a table",
            ))
        }
    }
    if matches!(join.kind, JoinKind::Right | JoinKind::Full) {
        return Err(SqlError::invalid(
            Some(join.pos),
            format!("Invalid join type: {} join not supported for stream-table join. {}", join.kind.describe(), got()),
        ));
    }
    if join.within.is_some() {
        return Err(SqlError::invalid(
            Some(join.pos),
            "A window definition was provided for a Stream-Table join. These joins are not windowed; remove the WITHIN clause.",
        ));
    }
    if right_fields.iter().filter(|f| f.role == ColumnRole::Key).count() != 1 {
        return Err(SqlError::unsupported(
            Some(join.right.pos),
            format!("joining {}: a table joined with a stream needs exactly one PRIMARY KEY column", join.right.name),
        ));
    }

    let side = |r: &crate::ast::TableRef, fields: &[Field], pseudo: bool| {
        let mut names = vec![r.name.clone()];
        names.extend(r.alias.clone());
        let keys: Vec<&Field> = fields.iter().filter(|f| f.role == ColumnRole::Key).collect();
        let rowkey = match keys.as_slice() {
            [key] if !fields.iter().any(|f| f.name == ROWKEY) => Some(key.name.clone()),
            _ => None,
        };
        Side {
            names,
            shown: r.alias.clone().unwrap_or_else(|| r.name.clone()),
            columns: fields.iter().map(|f| f.name.clone()).collect(),
            pseudo,
            rowkey,
        }
    };
    let sides = [side(&query.from, &left_fields, true), side(&join.right, &right_fields, false)];

    // The joined row: the stream's row, its stored columns renamed, then the table's.
    let rename = |side: &Side, f: &Field| Field::new(side.prefixed(&f.name), f.data_type.clone(), ColumnRole::Value);
    let left_row = Schema::source_row(&left_fields);
    let mut fields: Vec<Field> = left_row
        .fields
        .iter()
        .map(|f| if f.role == ColumnRole::Pseudo { f.clone() } else { rename(&sides[0], f) })
        .collect();
    let left_width = fields.len();
    let right_row = Schema::source_row(&right_fields);
    fields.extend(right_row.stored().map(|f| rename(&sides[1], f)));
    let joined = Schema::new(fields);

    let mut rewritten = query.clone();
    resolve(&mut rewritten, &sides)?;

    // The condition: one side over the stream, the other the table's key column.
    let binder = Binder::new(&joined, catalog, crate::plan::qualifiers(&rewritten));
    binder.clause.set("JOIN ON");
    let written = &join.on;
    // The condition as written (for messages) and as rewritten (to bind).
    let (Expr::Binary { op: BinaryOp::Eq, left: wl, right: wr, .. }, Expr::Binary { left, right, .. }) =
        (written, &rewritten.joins[0].on)
    else {
        return Err(SqlError::invalid(
            written.pos(),
            format!(
                "Unsupported join expression: {written}. A join needs an equality between an expression of each side (a.x = b.y)."
            ),
        ));
    };
    let mut bound = [(binder.bind(left)?, wl.as_ref()), (binder.bind(right)?, wr.as_ref())];
    let side_of = |e: &BoundExpr| {
        let (mut l, mut r) = (false, false);
        e.visit(&mut |n| {
            if let BoundExpr::Column { index, .. } = n {
                if *index < left_width {
                    l = true
                } else {
                    r = true
                }
            }
        });
        match (l, r) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            _ => None,
        }
    };
    for (e, w) in &bound {
        if side_of(e).is_none() {
            return Err(SqlError::invalid(
                w.pos(),
                format!(
                    "Invalid comparison expression '{w}' in join '{written}'. Each side of the join comparision must contain references from exactly one source."
                ),
            ));
        }
    }
    if side_of(&bound[0].0) == side_of(&bound[1].0) {
        return Err(SqlError::invalid(
            written.pos(),
            format!("Invalid join condition: each side of '{written}' must reference a different source."),
        ));
    }
    if side_of(&bound[0].0) == Some(1) {
        bound.swap(0, 1);
    }
    let [(stream_key, stream_written), (table_key, table_written)] = bound;
    let shown = |e: &Expr| match e {
        Expr::Column { qualifier: Some(q), name, .. } => format!("{q}.{name}"),
        Expr::Column { qualifier: None, name, .. } => {
            let side = sides.iter().find(|s| s.columns.contains(name)).unwrap_or(&sides[0]);
            format!("{}.{name}", side.shown)
        }
        other => other.to_string(),
    };
    let right_key_index = match &table_key {
        BoundExpr::Column { index, .. } if right_row.fields[index - left_width].role == ColumnRole::Key => {
            index - left_width
        }
        _ => {
            return Err(SqlError::invalid(
                written.pos(),
                format!(
                "Invalid join condition: stream-table joins require to join on the table's primary key. Got {} = {}.",
                shown(stream_written),
                shown(table_written)
            ),
            ))
        }
    };
    if stream_key.data_type() != table_key.data_type() {
        return Err(SqlError::type_error(
            written.pos(),
            format!(
                "Invalid join condition: types don't match. Got {}{{{}}} = {}{{{}}}.",
                shown(stream_written),
                stream_key.data_type(),
                shown(table_written),
                table_key.data_type()
            ),
        ));
    }
    let mut candidates = Vec::new();
    let mut key_shown = Vec::new();
    if matches!(stream_key, BoundExpr::Column { .. }) {
        candidates.push(stream_key.clone());
        key_shown.push(shown(stream_written));
    }
    candidates.push(table_key.clone());
    key_shown.push(shown(table_written));

    let plan = LogicalPlan::Join {
        left: Box::new(LogicalPlan::Source {
            name: query.from.name.clone(),
            kind: SourceKind::Stream,
            schema: left_row,
        }),
        right: Box::new(LogicalPlan::Source {
            name: join.right.name.clone(),
            kind: SourceKind::Table,
            schema: right_row,
        }),
        kind: join.kind,
        left_key: stream_key.clone(),
        right_key: right_key_index,
        schema: joined.clone(),
    };
    Ok((rewritten, plan, joined, JoinKey { shown: key_shown, candidates, value: stream_key }))
}

/// Rewrites every column reference of `query` to the joined row's names, and expands
/// `*` and `x.*` into the columns they stand for.
fn resolve(query: &mut Query, sides: &[Side]) -> Result<(), SqlError> {
    let mut projection = Vec::new();
    for item in std::mem::take(&mut query.projection) {
        match item {
            SelectItem::Wildcard { qualifier } => {
                let chosen: Vec<&Side> = match &qualifier {
                    None => sides.iter().collect(),
                    Some(q) => {
                        let side = sides.iter().find(|s| s.names.iter().any(|n| n == q)).ok_or_else(|| {
                            SqlError::not_found(
                                Some(query.pos),
                                format!("'{q}' is not a valid stream/table name or alias."),
                            )
                        })?;
                        vec![side]
                    }
                };
                for side in chosen {
                    for c in &side.columns {
                        projection.push(SelectItem::Expr {
                            expr: Expr::Column { qualifier: None, name: side.prefixed(c), pos: query.pos },
                            alias: None,
                        });
                    }
                }
            }
            SelectItem::Expr { mut expr, mut alias } => {
                // An unqualified column keeps its name in the output.
                if let (Expr::Column { qualifier: None, name, .. }, None) = (&expr, &alias) {
                    if sides.iter().any(|s| s.columns.contains(name)) {
                        alias = Some(name.clone());
                    }
                }
                resolve_expr(&mut expr, sides)?;
                projection.push(SelectItem::Expr { expr, alias });
            }
        }
    }
    query.projection = projection;
    let mut exprs: Vec<&mut Expr> = Vec::new();
    exprs.extend(query.selection.as_mut());
    exprs.extend(query.group_by.iter_mut());
    exprs.extend(query.having.as_mut());
    exprs.extend(query.partition_by.iter_mut());
    exprs.extend(query.joins.iter_mut().map(|j| &mut j.on));
    for e in exprs {
        resolve_expr(e, sides)?;
    }
    Ok(())
}

fn resolve_expr(expr: &mut Expr, sides: &[Side]) -> Result<(), SqlError> {
    if let Expr::Column { qualifier, name, pos } = expr {
        let pseudo = [ROWTIME, ROWPARTITION, ROWOFFSET].contains(&name.as_str());
        match qualifier.clone() {
            Some(q) => {
                let side = sides.iter().find(|s| s.names.contains(&q)).ok_or_else(|| {
                    SqlError::not_found(Some(*pos), format!("'{q}' is not a valid stream/table name or alias."))
                })?;
                if side.columns.contains(name) {
                    *name = side.prefixed(name);
                    *qualifier = None;
                } else if let (Some(key), true) = (&side.rowkey, name == ROWKEY) {
                    *name = side.prefixed(key);
                    *qualifier = None;
                } else if pseudo && side.pseudo {
                    *qualifier = None;
                }
            }
            None => {
                let owners: Vec<&Side> = sides.iter().filter(|s| s.columns.contains(name)).collect();
                match owners.as_slice() {
                    [one] => *name = one.prefixed(name),
                    [] => {}
                    several => {
                        let could: Vec<String> = several.iter().map(|s| format!("{}.{name}", s.shown)).collect();
                        return Err(SqlError::invalid(
                            Some(*pos),
                            format!("Column '{name}' is ambiguous. Could be {}.", could.join(" or ")),
                        ));
                    }
                }
            }
        }
        return Ok(());
    }
    for child in expr.children_mut() {
        resolve_expr(child, sides)?;
    }
    Ok(())
}
