//! Compiled expressions, evaluated a batch at a time.
//!
//! [`Evaluator::compile`] turns a planner's `BoundExpr` into a tree whose functions are
//! resolved to `ScalarUdf`s and whose constant `LIKE` patterns are pre-compiled. Each
//! node produces a whole column; a failure in one row (division by zero, a bad cast, a
//! function error) makes that row's value NULL and is recorded in `RowErrors`.

use std::cmp::Ordering;
use std::sync::Arc;

use wasp_sql::ast::{BinaryOp, UnaryOp};
use wasp_sql::value::format_double;
use wasp_sql::{BoundExpr, DataType, Decimal, Value};

use crate::batch::{Batch, Column};
use crate::formats::{format_date, format_time, format_timestamp, parse_iso_date, parse_iso_time, parse_iso_timestamp};
use crate::udf::{FunctionRegistry, RowErrors, ScalarArgs, ScalarUdf};

/// A compiled expression.
#[derive(Debug)]
pub struct Evaluator {
    node: Node,
    data_type: DataType,
}

/// One compiled node. `Binary::scale` is the DECIMAL scale of the result's type, at
/// which a DECIMAL value is computed.
#[derive(Debug)]
enum Node {
    Column(usize),
    Literal(Value),
    Not(Box<Node>),
    Negate(Box<Node>),
    Binary { op: BinaryOp, left: Box<Node>, right: Box<Node>, scale: Option<u8> },
    Like { expr: Box<Node>, pattern: LikeNode, negated: bool },
    InList { expr: Box<Node>, list: Vec<Node>, negated: bool },
    Between { expr: Box<Node>, low: Box<Node>, high: Box<Node>, negated: bool },
    IsNull { expr: Box<Node>, negated: bool },
    Case { whens: Vec<(Node, Node)>, else_result: Option<Box<Node>> },
    Cast { expr: Box<Node>, to: DataType },
    Subscript { expr: Box<Node>, index: Box<Node> },
    Field { expr: Box<Node>, index: usize },
    Function { udf: Arc<dyn ScalarUdf>, args: Vec<Node>, arg_types: Vec<DataType>, return_type: DataType },
    Array(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Struct(Vec<Node>),
}

#[derive(Debug)]
enum LikeNode {
    Constant(LikePattern),
    Dynamic { pattern: Box<Node>, escape: Option<char> },
}

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown function {0}")]
pub struct UnknownFunction(pub String);

impl Evaluator {
    /// Compiles `expr`, resolving functions in `registry`.
    pub fn compile(expr: &BoundExpr, registry: &FunctionRegistry) -> Result<Evaluator, UnknownFunction> {
        Ok(Evaluator { node: compile(expr, registry)?, data_type: expr.data_type() })
    }

    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// Evaluates over every row of `batch`.
    pub fn eval(&self, batch: &Batch, errors: &mut RowErrors) -> Column {
        eval(&self.node, batch, errors)
    }

    /// Evaluates a constant expression (no column references) to one value.
    pub fn eval_constant(&self) -> Result<Value, String> {
        eval_one_row(&self.node)
    }
}

fn compile(expr: &BoundExpr, registry: &FunctionRegistry) -> Result<Node, UnknownFunction> {
    let node = compile_node(expr, registry)?;
    if matches!(node, Node::Literal(_) | Node::Column(_)) || !foldable(expr) {
        return Ok(node);
    }
    // Constant subtrees (a cast of a literal, `1 + 2`) are computed once, here,
    // instead of once per row. Functions are left alone: some are not deterministic.
    match eval_one_row(&node) {
        Ok(v) => Ok(Node::Literal(v)),
        Err(_) => Ok(node),
    }
}

/// Evaluates a node that reads no column over one row.
fn eval_one_row(node: &Node) -> Result<Value, String> {
    let one_row = Batch { columns: Vec::new(), rows: 1 };
    let mut errors = RowErrors::default();
    let mut col = eval(node, &one_row, &mut errors);
    match errors.errors.pop() {
        Some((_, e)) => Err(e),
        None => Ok(col.pop().unwrap_or(Value::Null)),
    }
}

/// Whether `expr` reads no column and calls no function.
fn foldable(expr: &BoundExpr) -> bool {
    let mut ok = true;
    expr.visit(&mut |e| {
        if matches!(e, BoundExpr::Column { .. } | BoundExpr::Function { .. }) {
            ok = false;
        }
    });
    ok
}

fn compile_node(expr: &BoundExpr, registry: &FunctionRegistry) -> Result<Node, UnknownFunction> {
    let c = |e: &BoundExpr| compile(e, registry).map(Box::new);
    Ok(match expr {
        BoundExpr::Column { index, .. } => Node::Column(*index),
        BoundExpr::Literal { value, .. } => Node::Literal(value.clone()),
        BoundExpr::Unary { op: UnaryOp::Not, expr, .. } => Node::Not(c(expr)?),
        BoundExpr::Unary { op: UnaryOp::Negate, expr, .. } => Node::Negate(c(expr)?),
        BoundExpr::Binary { op, left, right, data_type } => {
            Node::Binary { op: *op, left: c(left)?, right: c(right)?, scale: data_type.as_decimal().map(|(_, s)| s) }
        }
        BoundExpr::Like { expr, pattern, escape, negated } => {
            let pattern = match pattern.as_ref() {
                BoundExpr::Literal { value: Value::String(p), .. } => LikeNode::Constant(LikePattern::new(p, *escape)),
                other => LikeNode::Dynamic { pattern: c(other)?, escape: *escape },
            };
            Node::Like { expr: c(expr)?, pattern, negated: *negated }
        }
        BoundExpr::InList { expr, list, negated } => Node::InList {
            expr: c(expr)?,
            list: list.iter().map(|e| compile(e, registry)).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        BoundExpr::Between { expr, low, high, negated } => {
            Node::Between { expr: c(expr)?, low: c(low)?, high: c(high)?, negated: *negated }
        }
        BoundExpr::IsNull { expr, negated } => Node::IsNull { expr: c(expr)?, negated: *negated },
        BoundExpr::Case { whens, else_result, .. } => Node::Case {
            whens: whens
                .iter()
                .map(|(w, t)| Ok((compile(w, registry)?, compile(t, registry)?)))
                .collect::<Result<_, UnknownFunction>>()?,
            else_result: else_result.as_ref().map(|e| c(e)).transpose()?,
        },
        BoundExpr::Cast { expr, data_type } => Node::Cast { expr: c(expr)?, to: data_type.clone() },
        BoundExpr::Subscript { expr, index, .. } => Node::Subscript { expr: c(expr)?, index: c(index)? },
        BoundExpr::Field { expr, index, .. } => Node::Field { expr: c(expr)?, index: *index },
        BoundExpr::Function { name, args, data_type } => {
            let udf = registry.get(name).ok_or_else(|| UnknownFunction(name.clone()))?;
            Node::Function {
                udf,
                args: args.iter().map(|a| compile(a, registry)).collect::<Result<_, _>>()?,
                arg_types: args.iter().map(BoundExpr::data_type).collect(),
                return_type: data_type.clone(),
            }
        }
        BoundExpr::Array { items, .. } => {
            Node::Array(items.iter().map(|a| compile(a, registry)).collect::<Result<_, _>>()?)
        }
        BoundExpr::Map { entries, .. } => Node::Map(
            entries
                .iter()
                .map(|(k, v)| Ok((compile(k, registry)?, compile(v, registry)?)))
                .collect::<Result<_, UnknownFunction>>()?,
        ),
        BoundExpr::Struct { fields, .. } => {
            Node::Struct(fields.iter().map(|a| compile(a, registry)).collect::<Result<_, _>>()?)
        }
    })
}

/// An operand: a column borrowed from the batch, a computed column, or one value for
/// every row (a literal), so operators need not copy or materialize their inputs.
enum Arg<'a> {
    Borrowed(&'a Column),
    Owned(Column),
    Scalar(Value),
}

impl Arg<'_> {
    fn at(&self, row: usize) -> &Value {
        match self {
            Arg::Borrowed(c) => &c[row],
            Arg::Owned(c) => &c[row],
            Arg::Scalar(v) => v,
        }
    }
}

fn arg<'a>(node: &Node, batch: &'a Batch, errors: &mut RowErrors) -> Arg<'a> {
    match node {
        Node::Column(i) => Arg::Borrowed(&batch.columns[*i]),
        Node::Literal(v) => Arg::Scalar(v.clone()),
        other => Arg::Owned(eval(other, batch, errors)),
    }
}

fn eval(node: &Node, batch: &Batch, errors: &mut RowErrors) -> Column {
    let rows = batch.rows;
    match node {
        Node::Column(i) => batch.columns[*i].clone(),
        Node::Literal(v) => vec![v.clone(); rows],
        Node::Not(e) => {
            let mut col = eval(e, batch, errors);
            for v in &mut col {
                if let Value::Boolean(b) = v {
                    *b = !*b;
                }
            }
            col
        }
        Node::Negate(e) => {
            let mut col = eval(e, batch, errors);
            for (row, v) in col.iter_mut().enumerate() {
                match negate(v) {
                    Ok(n) => *v = n,
                    Err(msg) => {
                        errors.push(row, msg);
                        *v = Value::Null;
                    }
                }
            }
            col
        }
        Node::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), left, right, .. } => {
            // Three-valued logic: the deciding value wins over NULL.
            let decides = *op == BinaryOp::Or;
            let l = arg(left, batch, errors);
            let r = arg(right, batch, errors);
            (0..rows)
                .map(|row| match (l.at(row).as_bool(), r.at(row).as_bool()) {
                    (Some(a), _) if a == decides => Value::Boolean(decides),
                    (_, Some(b)) if b == decides => Value::Boolean(decides),
                    (Some(_), Some(_)) => Value::Boolean(!decides),
                    _ => Value::Null,
                })
                .collect()
        }
        Node::Binary { op, left, right, scale } => {
            let l = arg(left, batch, errors);
            let r = arg(right, batch, errors);
            let mut out = Vec::with_capacity(rows);
            for row in 0..rows {
                let (a, b) = (l.at(row), r.at(row));
                match binary_at_scale(*op, a, b, *scale) {
                    Ok(v) => out.push(v),
                    Err(msg) => {
                        errors.push(row, msg);
                        out.push(Value::Null);
                    }
                }
            }
            out
        }
        Node::Like { expr, pattern, negated } => {
            let col = arg(expr, batch, errors);
            match pattern {
                LikeNode::Constant(p) => (0..rows)
                    .map(|row| match col.at(row) {
                        Value::String(s) => Value::Boolean(p.matches(s) != *negated),
                        _ => Value::Null,
                    })
                    .collect(),
                LikeNode::Dynamic { pattern, escape } => {
                    let pats = arg(pattern, batch, errors);
                    let mut cache: Option<(Arc<str>, LikePattern)> = None;
                    (0..rows)
                        .map(|row| match (col.at(row), pats.at(row)) {
                            (Value::String(s), Value::String(p)) => {
                                let fresh = !matches!(&cache, Some((k, _)) if k == p);
                                if fresh {
                                    cache = Some((p.clone(), LikePattern::new(p, *escape)));
                                }
                                let matched = cache.as_ref().is_some_and(|(_, lp)| lp.matches(s));
                                Value::Boolean(matched != *negated)
                            }
                            _ => Value::Null,
                        })
                        .collect()
                }
            }
        }
        Node::InList { expr, list, negated } => {
            let col = arg(expr, batch, errors);
            let items: Vec<Arg<'_>> = list.iter().map(|n| arg(n, batch, errors)).collect();
            (0..rows)
                .map(|row| {
                    let v = col.at(row);
                    if v.is_null() {
                        return Value::Null;
                    }
                    let mut saw_null = false;
                    for item in &items {
                        match v.sql_cmp(item.at(row)) {
                            Some(Ordering::Equal) => return Value::Boolean(!*negated),
                            None if item.at(row).is_null() => saw_null = true,
                            _ => {}
                        }
                    }
                    if saw_null {
                        Value::Null
                    } else {
                        Value::Boolean(*negated)
                    }
                })
                .collect()
        }
        Node::Between { expr, low, high, negated } => {
            let col = arg(expr, batch, errors);
            let lo = arg(low, batch, errors);
            let hi = arg(high, batch, errors);
            (0..rows)
                .map(|row| match (col.at(row).sql_cmp(lo.at(row)), col.at(row).sql_cmp(hi.at(row))) {
                    (Some(a), Some(b)) => Value::Boolean((a != Ordering::Less && b != Ordering::Greater) != *negated),
                    _ => Value::Null,
                })
                .collect()
        }
        Node::IsNull { expr, negated } => {
            let col = arg(expr, batch, errors);
            (0..rows).map(|row| Value::Boolean(col.at(row).is_null() != *negated)).collect()
        }
        Node::Case { whens, else_result } => {
            let mut out = vec![Value::Null; rows];
            let mut decided = vec![false; rows];
            for (cond, result) in whens {
                let c = eval(cond, batch, errors);
                let r = eval(result, batch, errors);
                for row in 0..rows {
                    if !decided[row] && c[row] == Value::Boolean(true) {
                        out[row] = r[row].clone();
                        decided[row] = true;
                    }
                }
            }
            if let Some(e) = else_result {
                let r = eval(e, batch, errors);
                for row in 0..rows {
                    if !decided[row] {
                        out[row] = r[row].clone();
                    }
                }
            }
            out
        }
        Node::Cast { expr, to } => {
            let mut col = eval(expr, batch, errors);
            for (row, v) in col.iter_mut().enumerate() {
                if v.is_null() {
                    continue;
                }
                match cast(v, to) {
                    Ok(c) => *v = c,
                    Err(msg) => {
                        errors.push(row, msg);
                        *v = Value::Null;
                    }
                }
            }
            col
        }
        Node::Subscript { expr, index } => {
            let col = eval(expr, batch, errors);
            let idx = eval(index, batch, errors);
            col.into_iter()
                .zip(idx.iter())
                .map(|(v, i)| match v {
                    Value::Array(mut items) => {
                        let Some(i) = i.as_i64() else { return Value::Null };
                        let len = items.len() as i64;
                        let pos = if i > 0 { i - 1 } else { len + i };
                        if i == 0 || pos < 0 || pos >= len {
                            Value::Null
                        } else {
                            items.swap_remove(pos as usize)
                        }
                    }
                    Value::Map(entries) => entries
                        .into_iter()
                        .find(|(k, _)| k.sql_cmp(i) == Some(Ordering::Equal))
                        .map(|(_, v)| v)
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                })
                .collect()
        }
        Node::Field { expr, index } => eval(expr, batch, errors)
            .into_iter()
            .map(|v| match v {
                Value::Struct(mut fields) if *index < fields.len() => fields.swap_remove(*index),
                _ => Value::Null,
            })
            .collect(),
        Node::Function { udf, args, arg_types, return_type } => {
            let cols: Vec<Column> = args.iter().map(|a| eval(a, batch, errors)).collect();
            let mut fn_errors = RowErrors::default();
            let result = udf.invoke(ScalarArgs { args: &cols, rows, arg_types, return_type, errors: &mut fn_errors });
            for (row, msg) in fn_errors.errors {
                errors.push(row, format!("{}: {msg}", udf.name()));
            }
            match result {
                Ok(col) if col.len() == rows => col,
                Ok(col) => {
                    let msg = format!("{} returned {} values for {rows} rows", udf.name(), col.len());
                    for row in 0..rows {
                        errors.push(row, msg.clone());
                    }
                    vec![Value::Null; rows]
                }
                Err(e) => {
                    for row in 0..rows {
                        errors.push(row, e.to_string());
                    }
                    vec![Value::Null; rows]
                }
            }
        }
        Node::Array(items) => {
            let cols: Vec<Column> = items.iter().map(|n| eval(n, batch, errors)).collect();
            (0..rows).map(|row| Value::Array(cols.iter().map(|c| c[row].clone()).collect())).collect()
        }
        Node::Map(entries) => {
            let cols: Vec<(Column, Column)> =
                entries.iter().map(|(k, v)| (eval(k, batch, errors), eval(v, batch, errors))).collect();
            (0..rows)
                .map(|row| {
                    let mut out: Vec<(Value, Value)> = Vec::with_capacity(cols.len());
                    for (k, v) in &cols {
                        if k[row].is_null() {
                            continue;
                        }
                        match out.iter_mut().find(|(ek, _)| *ek == k[row]) {
                            Some(e) => e.1 = v[row].clone(),
                            None => out.push((k[row].clone(), v[row].clone())),
                        }
                    }
                    Value::Map(out)
                })
                .collect()
        }
        Node::Struct(fields) => {
            let cols: Vec<Column> = fields.iter().map(|n| eval(n, batch, errors)).collect();
            (0..rows).map(|row| Value::Struct(cols.iter().map(|c| c[row].clone()).collect())).collect()
        }
    }
}

fn negate(v: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::Int(i) => Value::Int(i.wrapping_neg()),
        Value::BigInt(i) => Value::BigInt(i.wrapping_neg()),
        Value::Double(d) => Value::Double(-d),
        Value::Decimal(d) => Value::Decimal(Decimal::new(-d.unscaled, d.scale)),
        Value::Null => Value::Null,
        other => return Err(format!("cannot negate {}", other.natural_type())),
    })
}

/// Applies a non-logical binary operator to two values of the operator's input type.
#[cfg(test)]
fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    binary_at_scale(op, a, b, None)
}

/// [`binary`], with DECIMAL results computed at `scale` (the result type's scale),
/// as ksqlDB sets the scale of every DECIMAL result to its type's.
fn binary_at_scale(op: BinaryOp, a: &Value, b: &Value, scale: Option<u8>) -> Result<Value, String> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    if op.is_comparison() {
        let ord = a.sql_cmp(b);
        return Ok(match ord {
            None => Value::Null,
            Some(o) => Value::Boolean(match op {
                BinaryOp::Eq => o == Ordering::Equal,
                BinaryOp::NotEq => o != Ordering::Equal,
                BinaryOp::Lt => o == Ordering::Less,
                BinaryOp::LtEq => o != Ordering::Greater,
                BinaryOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
        });
    }
    match (op, a, b) {
        (BinaryOp::Concat, Value::String(x), Value::String(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Ok(Value::String(Arc::from(s)))
        }
        // INT arithmetic wraps at 32 bits, BIGINT at 64, as Java's does: computing in
        // 64 bits and truncating gives the same result for INT.
        (_, Value::Int(x), Value::Int(y)) => int_arith(op, i64::from(*x), i64::from(*y)).map(|v| Value::Int(v as i32)),
        (_, Value::BigInt(_) | Value::Int(_), Value::BigInt(_) | Value::Int(_)) => {
            int_arith(op, a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0)).map(Value::BigInt)
        }
        (_, Value::Decimal(x), Value::Decimal(y)) => decimal_arith(op, x, y, scale),
        (_, x, y) => {
            let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) else {
                return Err(format!(
                    "operator {} does not apply to {} and {}",
                    op.symbol(),
                    a.natural_type(),
                    b.natural_type()
                ));
            };
            Ok(Value::Double(match op {
                BinaryOp::Add => x + y,
                BinaryOp::Subtract => x - y,
                BinaryOp::Multiply => x * y,
                BinaryOp::Divide => x / y,
                BinaryOp::Modulo => x % y,
                _ => return Err(format!("operator {} does not apply to DOUBLE", op.symbol())),
            }))
        }
    }
}

fn int_arith(op: BinaryOp, x: i64, y: i64) -> Result<i64, String> {
    Ok(match op {
        BinaryOp::Add => x.wrapping_add(y),
        BinaryOp::Subtract => x.wrapping_sub(y),
        BinaryOp::Multiply => x.wrapping_mul(y),
        BinaryOp::Divide | BinaryOp::Modulo if y == 0 => return Err("division by zero".into()),
        BinaryOp::Divide => x.wrapping_div(y),
        BinaryOp::Modulo => x.wrapping_rem(y),
        _ => return Err(format!("operator {} does not apply to integers", op.symbol())),
    })
}

fn decimal_arith(op: BinaryOp, x: &Decimal, y: &Decimal, result_scale: Option<u8>) -> Result<Value, String> {
    let overflow = || "DECIMAL overflow".to_owned();
    let scale = x.scale.max(y.scale);
    let (a, b) = (x.rescale(scale).ok_or_else(overflow)?, y.rescale(scale).ok_or_else(overflow)?);
    let d = match op {
        BinaryOp::Add => Decimal::new(a.unscaled.checked_add(b.unscaled).ok_or_else(overflow)?, scale),
        BinaryOp::Subtract => Decimal::new(a.unscaled.checked_sub(b.unscaled).ok_or_else(overflow)?, scale),
        BinaryOp::Multiply => Decimal::new(x.unscaled.checked_mul(y.unscaled).ok_or_else(overflow)?, x.scale + y.scale),
        BinaryOp::Divide => {
            if y.unscaled == 0 {
                return Err("division by zero".into());
            }
            let out_scale = result_scale.unwrap_or_else(|| 6u8.max(x.scale + 1).min(18));
            // (x / 10^xs) / (y / 10^ys) = x * 10^(ys + out - xs) / y, rounded half up.
            let shift = i32::from(y.scale) + i32::from(out_scale) - i32::from(x.scale);
            let num = if shift >= 0 {
                x.unscaled.checked_mul(10i128.checked_pow(shift as u32).ok_or_else(overflow)?).ok_or_else(overflow)?
            } else {
                x.unscaled / 10i128.pow((-shift) as u32)
            };
            let q = num / y.unscaled;
            let r = num % y.unscaled;
            let adjust = if r.abs() * 2 >= y.unscaled.abs() { num.signum() * y.unscaled.signum() } else { 0 };
            Decimal::new(q + adjust, out_scale)
        }
        BinaryOp::Modulo => {
            if b.unscaled == 0 {
                return Err("division by zero".into());
            }
            Decimal::new(a.unscaled % b.unscaled, scale)
        }
        _ => return Err(format!("operator {} does not apply to DECIMAL", op.symbol())),
    };
    match result_scale {
        Some(s) => Ok(Value::Decimal(d.rescale(s).ok_or_else(overflow)?)),
        None => Ok(Value::Decimal(d)),
    }
}

/// Converts a non-null value to `to`, as `CAST` does.
pub fn cast(v: &Value, to: &DataType) -> Result<Value, String> {
    let fail = || format!("cannot cast {} '{}' to {to}", v.natural_type(), render_plain(v));
    Ok(match (to, v) {
        (_, Value::Null) => Value::Null,
        (DataType::String, Value::String(_)) => v.clone(),
        (DataType::String, other) => Value::string(&render_plain(other)),
        (DataType::Boolean, Value::Boolean(_)) => v.clone(),
        (DataType::Boolean, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Value::Boolean(true),
            "false" | "f" | "no" | "n" | "0" => Value::Boolean(false),
            _ => return Err(fail()),
        },
        (DataType::Int, Value::Int(_)) => v.clone(),
        (DataType::Int, Value::BigInt(i)) => Value::Int(*i as i32),
        (DataType::Int, Value::Double(d)) => Value::Int(*d as i32),
        // Like Java's BigDecimal.intValue(): the fraction is dropped, not rounded.
        (DataType::Int, Value::Decimal(d)) => Value::Int((d.unscaled / 10i128.pow(u32::from(d.scale))) as i32),
        (DataType::Int, Value::String(s)) => Value::Int(s.trim().parse().map_err(|_| fail())?),
        (DataType::BigInt, Value::Int(i)) => Value::BigInt(i64::from(*i)),
        (DataType::BigInt, Value::BigInt(_)) => v.clone(),
        (DataType::BigInt, Value::Double(d)) => Value::BigInt(*d as i64),
        (DataType::BigInt, Value::Decimal(d)) => {
            Value::BigInt(Decimal::new(d.unscaled / 10i128.pow(u32::from(d.scale)), 0).unscaled as i64)
        }
        (DataType::BigInt, Value::String(s)) => Value::BigInt(s.trim().parse().map_err(|_| fail())?),
        (DataType::BigInt, Value::Timestamp(ms)) => Value::BigInt(*ms),
        (DataType::Double, Value::String(s)) => Value::Double(s.trim().parse().map_err(|_| fail())?),
        (DataType::Double, other) => Value::Double(other.as_f64().ok_or_else(fail)?),
        (DataType::Decimal { precision, scale }, other) => {
            let d = match other {
                Value::Int(_) | Value::BigInt(_) => Decimal::from_i64(other.as_i64().unwrap_or(0)),
                Value::Double(f) => Decimal::from_f64(*f, *scale).ok_or_else(fail)?,
                Value::Decimal(d) => *d,
                Value::String(s) => Decimal::parse(s).ok_or_else(fail)?,
                _ => return Err(fail()),
            };
            Value::Decimal(d.fit(*precision, *scale).ok_or_else(|| format!("{d} does not fit {to}"))?)
        }
        (DataType::Timestamp, Value::Timestamp(_)) => v.clone(),
        (DataType::Timestamp, Value::BigInt(ms)) => Value::Timestamp(*ms),
        (DataType::Timestamp, Value::Int(ms)) => Value::Timestamp(i64::from(*ms)),
        (DataType::Timestamp, Value::Date(d)) => Value::Timestamp(i64::from(*d) * 86_400_000),
        (DataType::Timestamp, Value::String(s)) => Value::Timestamp(parse_iso_timestamp(s).ok_or_else(fail)?),
        (DataType::Date, Value::Date(_)) => v.clone(),
        (DataType::Date, Value::Timestamp(ms)) => Value::Date(ms.div_euclid(86_400_000) as i32),
        (DataType::Date, Value::String(s)) => Value::Date(parse_iso_date(s).ok_or_else(fail)?),
        (DataType::Time, Value::Time(_)) => v.clone(),
        (DataType::Time, Value::Timestamp(ms)) => Value::Time(ms.rem_euclid(86_400_000) as i32),
        (DataType::Time, Value::String(s)) => Value::Time(parse_iso_time(s).ok_or_else(fail)?),
        (DataType::Bytes, Value::Bytes(_)) => v.clone(),
        (DataType::Bytes, Value::String(s)) => Value::Bytes(Arc::from(s.as_bytes())),
        (DataType::Array(t), Value::Array(items)) => {
            Value::Array(items.iter().map(|i| cast(i, t)).collect::<Result<_, _>>()?)
        }
        (DataType::Map(kt, vt), Value::Map(entries)) => Value::Map(
            entries.iter().map(|(k, val)| Ok((cast(k, kt)?, cast(val, vt)?))).collect::<Result<_, String>>()?,
        ),
        (DataType::Struct(_), Value::Struct(_)) => v.clone(),
        _ => return Err(fail()),
    })
}

/// A value as text, the way ksqlDB renders it for `CAST(x AS STRING)`.
pub fn render_plain(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Double(d) => format_double(*d),
        Value::Timestamp(ms) => format_timestamp(*ms),
        Value::Date(d) => format_date(*d),
        Value::Time(t) => format_time(*t),
        Value::String(s) => s.to_string(),
        Value::Array(items) => format!("[{}]", items.iter().map(render_plain).collect::<Vec<_>>().join(", ")),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}={}", render_plain(k), render_plain(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Struct(fields) => format!("Struct{{{}}}", fields.iter().map(render_plain).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// A compiled SQL `LIKE` pattern: `%` matches any run, `_` one character.
#[derive(Debug, Clone)]
pub struct LikePattern {
    kind: LikeKind,
}

#[derive(Debug, Clone)]
enum LikeKind {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    General(Vec<LikeToken>),
}

#[derive(Debug, Clone, PartialEq)]
enum LikeToken {
    Literal(char),
    One,
    Many,
}

impl LikePattern {
    pub fn new(pattern: &str, escape: Option<char>) -> LikePattern {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if Some(c) == escape {
                if let Some(n) = chars.next() {
                    tokens.push(LikeToken::Literal(n));
                }
                continue;
            }
            match c {
                '%' => {
                    if tokens.last() != Some(&LikeToken::Many) {
                        tokens.push(LikeToken::Many)
                    }
                }
                '_' => tokens.push(LikeToken::One),
                c => tokens.push(LikeToken::Literal(c)),
            }
        }
        let literal = |ts: &[LikeToken]| -> Option<String> {
            ts.iter()
                .map(|t| match t {
                    LikeToken::Literal(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let n = tokens.len();
        let kind = if let Some(s) = literal(&tokens) {
            LikeKind::Exact(s)
        } else if n >= 1 && tokens[n - 1] == LikeToken::Many && literal(&tokens[..n - 1]).is_some() {
            LikeKind::Prefix(literal(&tokens[..n - 1]).unwrap_or_default())
        } else if n >= 1 && tokens[0] == LikeToken::Many && literal(&tokens[1..]).is_some() {
            LikeKind::Suffix(literal(&tokens[1..]).unwrap_or_default())
        } else if n >= 2
            && tokens[0] == LikeToken::Many
            && tokens[n - 1] == LikeToken::Many
            && literal(&tokens[1..n - 1]).is_some()
        {
            LikeKind::Contains(literal(&tokens[1..n - 1]).unwrap_or_default())
        } else {
            LikeKind::General(tokens)
        };
        LikePattern { kind }
    }

    pub fn matches(&self, s: &str) -> bool {
        match &self.kind {
            LikeKind::Exact(p) => s == p,
            LikeKind::Prefix(p) => s.starts_with(p.as_str()),
            LikeKind::Suffix(p) => s.ends_with(p.as_str()),
            LikeKind::Contains(p) => s.contains(p.as_str()),
            LikeKind::General(tokens) => {
                let text: Vec<char> = s.chars().collect();
                wildcard(tokens, &text)
            }
        }
    }
}

/// Iterative wildcard matching with single-star backtracking: O(n*m) worst case.
fn wildcard(p: &[LikeToken], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(LikeToken::Many) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(LikeToken::One) => {
                pi += 1;
                ti += 1;
            }
            Some(LikeToken::Literal(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == LikeToken::Many)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        let cases = [
            ("iOS%", "iOS-app", true),
            ("iOS%", "android", false),
            ("%Invalid user%", "sshd: Invalid user admin", true),
            ("%.log", "a.log", true),
            ("a_c", "abc", true),
            ("a_c", "abbc", false),
            ("a%b%c", "axxbyyc", true),
            ("a%b%c", "axxbyy", false),
            ("", "", true),
            ("%", "anything", true),
        ];
        for (p, s, want) in cases {
            assert_eq!(LikePattern::new(p, None).matches(s), want, "{p} ~ {s}");
        }
        assert!(LikePattern::new("100!%", Some('!')).matches("100%"));
        assert!(!LikePattern::new("100!%", Some('!')).matches("1000"));
    }

    #[test]
    fn arithmetic_and_errors() {
        assert_eq!(binary(BinaryOp::Add, &Value::Int(2), &Value::Int(3)), Ok(Value::Int(5)));
        assert!(binary(BinaryOp::Divide, &Value::Int(1), &Value::Int(0)).is_err());
        assert_eq!(binary(BinaryOp::Divide, &Value::Double(1.0), &Value::Double(4.0)), Ok(Value::Double(0.25)));
        let d = |s: &str| Value::Decimal(Decimal::parse(s).unwrap());
        assert_eq!(binary(BinaryOp::Add, &d("1.10"), &d("2.5")), Ok(d("3.60")));
        assert_eq!(binary(BinaryOp::Divide, &d("1.0"), &d("3")).map(|v| v.to_string()), Ok("0.333333".into()));
        assert_eq!(binary(BinaryOp::Lt, &Value::string("a"), &Value::string("b")), Ok(Value::Boolean(true)));
        assert_eq!(binary(BinaryOp::Eq, &Value::Null, &Value::Int(1)), Ok(Value::Null));
    }

    #[test]
    fn casts() {
        assert_eq!(cast(&Value::string("42"), &DataType::Int), Ok(Value::Int(42)));
        assert!(cast(&Value::string("x"), &DataType::Int).unwrap_err().contains("cannot cast STRING 'x' to INTEGER"));
        assert_eq!(cast(&Value::Double(2.0), &DataType::String), Ok(Value::string("2.0")));
        assert_eq!(cast(&Value::Double(2.7), &DataType::Int), Ok(Value::Int(2)));
        assert_eq!(
            cast(&Value::Timestamp(1_600_000_000_000), &DataType::String),
            Ok(Value::string("2020-09-13T12:26:40.000"))
        );
    }
}
