//! Compiled expressions, evaluated a batch at a time over Arrow arrays.
//!
//! [`Evaluator::compile`] turns a planner's `BoundExpr` into a tree whose functions are
//! resolved to `ScalarUdf`s, whose constant subtrees are folded, and whose constant
//! `LIKE` patterns are pre-compiled. Each node produces an [`Operand`]: a whole column,
//! or a constant that stays one value (never expanded to the batch's length). A failure
//! in one row (division by zero, a bad cast, a function error) makes that row's value
//! NULL and is recorded in `RowErrors`; an Arrow kernel error fails the batch's rows the
//! same way, never the query.
//!
//! - `kernels`: the operators, on Arrow's kernels where their rules are ksqlDB's.
//! - `cast`: `CAST`.
//! - `like`: `LIKE` patterns.

pub mod cast;
mod kernels;
pub mod like;

use std::sync::Arc;

use arrow_array::{Array, ArrayRef};
use wasp_sql::ast::{BinaryOp, UnaryOp};
use wasp_sql::{BoundExpr, DataType, Value};

use crate::batch::Batch;
use crate::columnar::{scalar_of, to_arrow, value_at, Operand};
use crate::udf::{FunctionRegistry, RowErrors, ScalarArgs, ScalarUdf};
pub use cast::cast_array;
pub use like::LikePattern;

/// A compiled expression.
#[derive(Debug)]
pub struct Evaluator {
    node: Node,
    data_type: DataType,
}

/// One compiled node. Each node knows its static type.
#[derive(Debug)]
enum Node {
    Column(usize),
    /// A constant: a one-row array of the node's type.
    Literal(ArrayRef),
    Not(Box<Node>),
    Negate(Box<Node>),
    Binary {
        op: BinaryOp,
        left: Box<Node>,
        right: Box<Node>,
        left_type: DataType,
        right_type: DataType,
        data_type: DataType,
    },
    Like {
        expr: Box<Node>,
        pattern: LikeNode,
        negated: bool,
    },
    InList {
        expr: Box<Node>,
        list: Vec<Node>,
        negated: bool,
    },
    Between {
        expr: Box<Node>,
        low: Box<Node>,
        high: Box<Node>,
        negated: bool,
    },
    IsNull {
        expr: Box<Node>,
        negated: bool,
    },
    Case {
        whens: Vec<(Node, Node)>,
        else_result: Option<Box<Node>>,
        data_type: DataType,
    },
    Cast {
        expr: Box<Node>,
        from: DataType,
        to: DataType,
    },
    Subscript {
        expr: Box<Node>,
        index: Box<Node>,
        data_type: DataType,
    },
    Field {
        expr: Box<Node>,
        index: usize,
        data_type: DataType,
    },
    Function {
        udf: Arc<dyn ScalarUdf>,
        args: Vec<Node>,
        arg_types: Vec<DataType>,
        return_type: DataType,
    },
    Array {
        items: Vec<Node>,
        data_type: DataType,
    },
    Map {
        entries: Vec<(Node, Node)>,
        data_type: DataType,
    },
    Struct {
        fields: Vec<Node>,
        data_type: DataType,
    },
}

#[derive(Debug)]
enum LikeNode {
    Constant(Option<LikePattern>),
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

    /// Evaluates over every row of `batch`: a column, or a constant for all rows.
    pub fn eval(&self, batch: &Batch, errors: &mut RowErrors) -> Operand {
        eval(&self.node, batch, errors)
    }

    /// Evaluates over every row of `batch`, as a column `batch.rows` long.
    pub fn eval_array(&self, batch: &Batch, errors: &mut RowErrors) -> ArrayRef {
        self.eval(batch, errors).into_array(batch.rows)
    }

    /// The column index when the expression is a bare column reference.
    pub fn as_column(&self) -> Option<usize> {
        match self.node {
            Node::Column(i) => Some(i),
            _ => None,
        }
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
    // instead of once per batch. Functions are left alone: some are not deterministic.
    let t = expr.data_type();
    match eval_one_row(&node) {
        Ok(v) => Ok(Node::Literal(scalar_of(&t, &v))),
        Err(_) => Ok(node),
    }
}

/// Evaluates a node that reads no column over one row.
fn eval_one_row(node: &Node) -> Result<Value, String> {
    let one_row = Batch { columns: Vec::new(), rows: 1 };
    let mut errors = RowErrors::default();
    let out = eval(node, &one_row, &mut errors);
    match errors.errors.pop() {
        Some((_, e)) => Err(e),
        None => Ok(value_at(out.array().as_ref(), 0)),
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
    let all = |es: &[BoundExpr]| es.iter().map(|e| compile(e, registry)).collect::<Result<Vec<_>, _>>();
    Ok(match expr {
        BoundExpr::Column { index, .. } => Node::Column(*index),
        BoundExpr::Literal { value, data_type } => Node::Literal(scalar_of(data_type, value)),
        BoundExpr::Unary { op: UnaryOp::Not, expr, .. } => Node::Not(c(expr)?),
        BoundExpr::Unary { op: UnaryOp::Negate, expr, .. } => Node::Negate(c(expr)?),
        BoundExpr::Binary { op, left, right, data_type } => Node::Binary {
            op: *op,
            left: c(left)?,
            right: c(right)?,
            left_type: left.data_type(),
            right_type: right.data_type(),
            data_type: data_type.clone(),
        },
        BoundExpr::Like { expr, pattern, escape, negated } => {
            let pattern = match pattern.as_ref() {
                BoundExpr::Literal { value: Value::String(p), .. } => {
                    LikeNode::Constant(Some(LikePattern::new(p, *escape)))
                }
                BoundExpr::Literal { value: Value::Null, .. } => LikeNode::Constant(None),
                other => LikeNode::Dynamic { pattern: c(other)?, escape: *escape },
            };
            Node::Like { expr: c(expr)?, pattern, negated: *negated }
        }
        BoundExpr::InList { expr, list, negated } => {
            Node::InList { expr: c(expr)?, list: all(list)?, negated: *negated }
        }
        BoundExpr::Between { expr, low, high, negated } => {
            Node::Between { expr: c(expr)?, low: c(low)?, high: c(high)?, negated: *negated }
        }
        BoundExpr::IsNull { expr, negated } => Node::IsNull { expr: c(expr)?, negated: *negated },
        BoundExpr::Case { whens, else_result, data_type } => Node::Case {
            whens: whens
                .iter()
                .map(|(w, t)| Ok((compile(w, registry)?, compile(t, registry)?)))
                .collect::<Result<_, UnknownFunction>>()?,
            else_result: else_result.as_ref().map(|e| c(e)).transpose()?,
            data_type: data_type.clone(),
        },
        BoundExpr::Cast { expr, data_type } => {
            Node::Cast { expr: c(expr)?, from: expr.data_type(), to: data_type.clone() }
        }
        BoundExpr::Subscript { expr, index, data_type } => {
            Node::Subscript { expr: c(expr)?, index: c(index)?, data_type: data_type.clone() }
        }
        BoundExpr::Field { expr, index, data_type, .. } => {
            Node::Field { expr: c(expr)?, index: *index, data_type: data_type.clone() }
        }
        BoundExpr::Function { name, args, data_type } => {
            let udf = registry.get(name).ok_or_else(|| UnknownFunction(name.clone()))?;
            // Each compiled expression (so each query) binds its own instance.
            let udf = udf.bind().unwrap_or(udf);
            Node::Function {
                udf,
                args: all(args)?,
                arg_types: args.iter().map(BoundExpr::data_type).collect(),
                return_type: data_type.clone(),
            }
        }
        BoundExpr::Array { items, data_type } => Node::Array { items: all(items)?, data_type: data_type.clone() },
        BoundExpr::Map { entries, data_type } => Node::Map {
            entries: entries
                .iter()
                .map(|(k, v)| Ok((compile(k, registry)?, compile(v, registry)?)))
                .collect::<Result<_, UnknownFunction>>()?,
            data_type: data_type.clone(),
        },
        BoundExpr::Struct { fields, data_type } => Node::Struct { fields: all(fields)?, data_type: data_type.clone() },
    })
}

/// A batch-wide failure (an Arrow kernel error, a function that failed the whole
/// call): every row gets the message and a NULL.
fn fail_all(rows: usize, errors: &mut RowErrors, message: String, t: &DataType) -> Operand {
    for row in 0..rows {
        errors.push(row, message.clone());
    }
    Operand::Array(arrow_array::new_null_array(&to_arrow(t), rows))
}

/// Runs a kernel over operands: when every operand is a constant the result is a
/// constant, and its errors stand for every row.
fn scalar_aware(
    inputs: &[&Operand],
    rows: usize,
    errors: &mut RowErrors,
    f: impl FnOnce(&mut RowErrors) -> Result<ArrayRef, String>,
    t: &DataType,
) -> Operand {
    let all_scalar = inputs.iter().all(|o| o.is_scalar());
    let mut local = RowErrors::default();
    match f(&mut local) {
        Ok(a) if all_scalar && a.len() == 1 => {
            if let Some((_, msg)) = local.errors.into_iter().next() {
                for row in 0..rows {
                    errors.push(row, msg.clone());
                }
            }
            Operand::Scalar(a)
        }
        Ok(a) if a.len() == rows => {
            errors.errors.append(&mut local.errors);
            Operand::Array(a)
        }
        Ok(a) => fail_all(rows, errors, format!("internal: a kernel returned {} rows for {rows}", a.len()), t),
        Err(e) => fail_all(rows, errors, e, t),
    }
}

fn eval(node: &Node, batch: &Batch, errors: &mut RowErrors) -> Operand {
    let rows = batch.rows;
    let bool_t = DataType::Boolean;
    match node {
        Node::Column(i) => Operand::Array(batch.columns[*i].clone()),
        Node::Literal(a) => Operand::Scalar(a.clone()),
        Node::Not(e) => {
            let v = eval(e, batch, errors);
            scalar_aware(&[&v], rows, errors, |_| kernels::not(&v), &bool_t)
        }
        Node::Negate(e) => {
            let v = eval(e, batch, errors);
            let t = crate::columnar::from_arrow(v.data_type()).unwrap_or(DataType::Null);
            scalar_aware(&[&v], rows, errors, |_| kernels::negate(&v), &t)
        }
        Node::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), left, right, .. } => {
            let l = eval(left, batch, errors);
            let r = eval(right, batch, errors);
            scalar_aware(&[&l, &r], rows, errors, |_| kernels::logic(*op, &l, &r, rows), &bool_t)
        }
        Node::Binary { op, left, right, left_type, right_type, data_type } => {
            let l = eval(left, batch, errors);
            let r = eval(right, batch, errors);
            let n = if l.is_scalar() && r.is_scalar() { 1 } else { rows };
            scalar_aware(
                &[&l, &r],
                rows,
                errors,
                |errs| kernels::binary(*op, &l, &r, left_type, right_type, data_type, n, errs),
                data_type,
            )
        }
        Node::Like { expr, pattern, negated } => {
            let v = eval(expr, batch, errors);
            match pattern {
                LikeNode::Constant(p) => {
                    scalar_aware(&[&v], rows, errors, |_| Ok(kernels::like(&v, p.as_ref(), *negated)), &bool_t)
                }
                LikeNode::Dynamic { pattern, escape } => {
                    let p = eval(pattern, batch, errors);
                    let n = if v.is_scalar() && p.is_scalar() { 1 } else { rows };
                    scalar_aware(
                        &[&v, &p],
                        rows,
                        errors,
                        |_| Ok(kernels::like_dynamic(&v, &p, *escape, *negated, n)),
                        &bool_t,
                    )
                }
            }
        }
        Node::InList { expr, list, negated } => {
            let v = eval(expr, batch, errors);
            let items: Vec<Operand> = list.iter().map(|n| eval(n, batch, errors)).collect();
            let mut inputs: Vec<&Operand> = items.iter().collect();
            inputs.push(&v);
            let n = if inputs.iter().all(|o| o.is_scalar()) { 1 } else { rows };
            scalar_aware(&inputs, rows, errors, |_| kernels::in_list(&v, &items, *negated, n), &bool_t)
        }
        Node::Between { expr, low, high, negated } => {
            let v = eval(expr, batch, errors);
            let lo = eval(low, batch, errors);
            let hi = eval(high, batch, errors);
            let n = if v.is_scalar() && lo.is_scalar() && hi.is_scalar() { 1 } else { rows };
            scalar_aware(&[&v, &lo, &hi], rows, errors, |_| kernels::between(&v, &lo, &hi, *negated, n), &bool_t)
        }
        Node::IsNull { expr, negated } => {
            let v = eval(expr, batch, errors);
            scalar_aware(&[&v], rows, errors, |_| kernels::is_null(&v, *negated), &bool_t)
        }
        Node::Case { whens, else_result, data_type } => {
            let conditions: Vec<(Operand, Operand)> =
                whens.iter().map(|(c, r)| (eval(c, batch, errors), eval(r, batch, errors))).collect();
            let otherwise = else_result.as_ref().map(|e| eval(e, batch, errors));
            let mut inputs: Vec<&Operand> = conditions.iter().flat_map(|(c, r)| [c, r]).collect();
            if let Some(o) = &otherwise {
                inputs.push(o);
            }
            let n = if inputs.iter().all(|o| o.is_scalar()) { 1 } else { rows };
            scalar_aware(
                &inputs,
                rows,
                errors,
                |_| kernels::case(&conditions, otherwise.as_ref(), data_type, n),
                data_type,
            )
        }
        Node::Cast { expr, from, to } => {
            let v = eval(expr, batch, errors);
            scalar_aware(&[&v], rows, errors, |errs| Ok(cast_array(v.array(), from, to, errs)), to)
        }
        Node::Subscript { expr, index, data_type } => {
            let v = eval(expr, batch, errors);
            let i = eval(index, batch, errors);
            let n = if v.is_scalar() && i.is_scalar() { 1 } else { rows };
            scalar_aware(&[&v, &i], rows, errors, |_| kernels::subscript(&v, &i, data_type, n), data_type)
        }
        Node::Field { expr, index, data_type } => {
            let v = eval(expr, batch, errors);
            scalar_aware(&[&v], rows, errors, |_| kernels::field(&v, *index), data_type)
        }
        Node::Function { udf, args, arg_types, return_type } => {
            let operands: Vec<Operand> = args.iter().map(|a| eval(a, batch, errors)).collect();
            let mut fn_errors = RowErrors::default();
            let result =
                udf.invoke(ScalarArgs { args: &operands, rows, arg_types, return_type, errors: &mut fn_errors });
            for (row, msg) in fn_errors.errors {
                errors.push(row, format!("{}: {msg}", udf.name()));
            }
            let want = to_arrow(return_type);
            match result {
                Ok(col) if col.len() == rows && col.data_type() == &want => Operand::Array(col),
                Ok(col) if col.len() == rows => match arrow_cast::cast(col.as_ref(), &want) {
                    Ok(c) => Operand::Array(c),
                    Err(e) => {
                        fail_all(rows, errors, format!("{}: result is not {return_type}: {e}", udf.name()), return_type)
                    }
                },
                Ok(col) => {
                    let msg = format!("{} returned {} values for {rows} rows", udf.name(), col.len());
                    fail_all(rows, errors, msg, return_type)
                }
                Err(e) => fail_all(rows, errors, e.to_string(), return_type),
            }
        }
        Node::Array { items, data_type } => {
            let cols: Vec<Operand> = items.iter().map(|n| eval(n, batch, errors)).collect();
            let inputs: Vec<&Operand> = cols.iter().collect();
            let n = if inputs.iter().all(|o| o.is_scalar()) { 1 } else { rows };
            scalar_aware(&inputs, rows, errors, |_| kernels::make_array(&cols, data_type, n), data_type)
        }
        Node::Map { entries, data_type } => {
            let cols: Vec<(Operand, Operand)> =
                entries.iter().map(|(k, v)| (eval(k, batch, errors), eval(v, batch, errors))).collect();
            let inputs: Vec<&Operand> = cols.iter().flat_map(|(k, v)| [k, v]).collect();
            let n = if inputs.iter().all(|o| o.is_scalar()) { 1 } else { rows };
            scalar_aware(&inputs, rows, errors, |_| kernels::make_map(&cols, data_type, n), data_type)
        }
        Node::Struct { fields, data_type } => {
            let cols: Vec<Operand> = fields.iter().map(|n| eval(n, batch, errors)).collect();
            let inputs: Vec<&Operand> = cols.iter().collect();
            let n = if inputs.iter().all(|o| o.is_scalar()) { 1 } else { rows };
            scalar_aware(&inputs, rows, errors, |_| kernels::make_struct(&cols, data_type, n), data_type)
        }
    }
}

/// Converts a value of type `from` to `to` as `CAST` does (for `INSERT ... VALUES`
/// and constants).
pub fn cast(v: &Value, from: &DataType, to: &DataType) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let from = from.clone();
    let mut errors = RowErrors::default();
    let out = cast_array(&scalar_of(&from, v), &from, to, &mut errors);
    match errors.errors.pop() {
        Some((_, e)) => Err(e),
        None => Ok(value_at(out.as_ref(), 0)),
    }
}

#[cfg(test)]
mod tests {
    use wasp_sql::Decimal;

    use super::*;
    use crate::columnar::{array_of, values_of};

    /// Evaluates `a op b` over one row of each.
    fn binary(op: BinaryOp, a: Value, b: Value) -> Value {
        let (ta, tb) = (a.natural_type(), b.natural_type());
        let t = if op.is_comparison() { DataType::Boolean } else { ta.clone() };
        let t = match (op, &ta, &tb) {
            (BinaryOp::Divide, DataType::Decimal { .. }, _) => DataType::Decimal { precision: 10, scale: 6 },
            (BinaryOp::Add, DataType::Decimal { .. }, _) => DataType::Decimal { precision: 10, scale: 2 },
            _ => t,
        };
        let node = Node::Binary {
            op,
            left: Box::new(Node::Column(0)),
            right: Box::new(Node::Column(1)),
            left_type: ta.clone(),
            right_type: tb.clone(),
            data_type: t,
        };
        let batch = Batch::new(vec![array_of(&ta, &[a]), array_of(&tb, &[b])], 1);
        let mut errors = RowErrors::default();
        let out = eval(&node, &batch, &mut errors).into_array(1);
        values_of(&out).remove(0)
    }

    #[test]
    fn arithmetic_and_errors() {
        assert_eq!(binary(BinaryOp::Add, Value::Int(2), Value::Int(3)), Value::Int(5));
        assert_eq!(binary(BinaryOp::Add, Value::Int(i32::MAX), Value::Int(1)), Value::Int(i32::MIN));
        assert_eq!(binary(BinaryOp::Divide, Value::Int(1), Value::Int(0)), Value::Null);
        assert_eq!(binary(BinaryOp::Divide, Value::Double(1.0), Value::Double(4.0)), Value::Double(0.25));
        let d = |s: &str| Value::Decimal(Decimal::parse(s).unwrap());
        assert_eq!(binary(BinaryOp::Add, d("1.10"), d("2.5")), d("3.60"));
        assert_eq!(binary(BinaryOp::Divide, d("1.0"), d("3")).to_string(), "0.333333");
        assert_eq!(binary(BinaryOp::Lt, Value::string("a"), Value::string("b")), Value::Boolean(true));
    }

    #[test]
    fn cast_of_values() {
        let s = DataType::String;
        assert_eq!(cast(&Value::string("42"), &s, &DataType::Int), Ok(Value::Int(42)));
        assert!(cast(&Value::string("x"), &s, &DataType::Int)
            .unwrap_err()
            .contains("cannot cast STRING 'x' to INTEGER"));
    }
}
