//! Bound expressions: names resolved to column indices, every node typed, implicit
//! widening made explicit as `Cast` nodes. The host compiles these into evaluators.

use std::fmt;

use crate::ast::{BinaryOp, UnaryOp};
use crate::types::DataType;
use crate::value::Value;

/// A typed expression over one input row layout.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundExpr {
    /// The input column at `index`.
    Column {
        index: usize,
        name: String,
        data_type: DataType,
    },
    Literal {
        value: Value,
        data_type: DataType,
    },
    Unary {
        op: UnaryOp,
        expr: Box<BoundExpr>,
        data_type: DataType,
    },
    /// Operands already have the operator's input type (see `Cast`).
    Binary {
        op: BinaryOp,
        left: Box<BoundExpr>,
        right: Box<BoundExpr>,
        data_type: DataType,
    },
    Like {
        expr: Box<BoundExpr>,
        pattern: Box<BoundExpr>,
        escape: Option<char>,
        negated: bool,
    },
    InList {
        expr: Box<BoundExpr>,
        list: Vec<BoundExpr>,
        negated: bool,
    },
    Between {
        expr: Box<BoundExpr>,
        low: Box<BoundExpr>,
        high: Box<BoundExpr>,
        negated: bool,
    },
    IsNull {
        expr: Box<BoundExpr>,
        negated: bool,
    },
    /// Searched `CASE`; the simple form is rewritten to equality tests.
    Case {
        whens: Vec<(BoundExpr, BoundExpr)>,
        else_result: Option<Box<BoundExpr>>,
        data_type: DataType,
    },
    Cast {
        expr: Box<BoundExpr>,
        data_type: DataType,
    },
    /// Array element (1-based, negative from the end) or map value.
    Subscript {
        expr: Box<BoundExpr>,
        index: Box<BoundExpr>,
        data_type: DataType,
    },
    /// Struct field by position.
    Field {
        expr: Box<BoundExpr>,
        index: usize,
        name: String,
        data_type: DataType,
    },
    /// A scalar function, resolved by name in the host's function registry.
    Function {
        name: String,
        args: Vec<BoundExpr>,
        data_type: DataType,
    },
    Array {
        items: Vec<BoundExpr>,
        data_type: DataType,
    },
    Map {
        entries: Vec<(BoundExpr, BoundExpr)>,
        data_type: DataType,
    },
    Struct {
        fields: Vec<BoundExpr>,
        data_type: DataType,
    },
}

impl BoundExpr {
    /// The static type of the expression's values.
    pub fn data_type(&self) -> DataType {
        match self {
            BoundExpr::Column { data_type, .. }
            | BoundExpr::Literal { data_type, .. }
            | BoundExpr::Unary { data_type, .. }
            | BoundExpr::Binary { data_type, .. }
            | BoundExpr::Case { data_type, .. }
            | BoundExpr::Cast { data_type, .. }
            | BoundExpr::Subscript { data_type, .. }
            | BoundExpr::Field { data_type, .. }
            | BoundExpr::Function { data_type, .. }
            | BoundExpr::Array { data_type, .. }
            | BoundExpr::Map { data_type, .. }
            | BoundExpr::Struct { data_type, .. } => data_type.clone(),
            BoundExpr::Like { .. }
            | BoundExpr::InList { .. }
            | BoundExpr::Between { .. }
            | BoundExpr::IsNull { .. } => DataType::Boolean,
        }
    }

    /// Wraps `self` in a cast to `target` unless it already has that type.
    pub fn cast_to(self, target: &DataType) -> BoundExpr {
        if self.data_type() == *target {
            return self;
        }
        if let BoundExpr::Literal { value: Value::Null, .. } = self {
            return BoundExpr::Literal { value: Value::Null, data_type: target.clone() };
        }
        BoundExpr::Cast { expr: Box::new(self), data_type: target.clone() }
    }

    /// Whether the expression reads no input column (so it can be folded).
    pub fn is_constant(&self) -> bool {
        let mut constant = true;
        self.visit(&mut |e| {
            if matches!(e, BoundExpr::Column { .. }) {
                constant = false;
            }
        });
        constant
    }

    /// Calls `f` on this node and every descendant, parents first.
    pub fn visit(&self, f: &mut dyn FnMut(&BoundExpr)) {
        f(self);
        match self {
            BoundExpr::Column { .. } | BoundExpr::Literal { .. } => {}
            BoundExpr::Unary { expr, .. }
            | BoundExpr::IsNull { expr, .. }
            | BoundExpr::Cast { expr, .. }
            | BoundExpr::Field { expr, .. } => expr.visit(f),
            BoundExpr::Binary { left, right, .. } => {
                left.visit(f);
                right.visit(f);
            }
            BoundExpr::Like { expr, pattern, .. } => {
                expr.visit(f);
                pattern.visit(f);
            }
            BoundExpr::InList { expr, list, .. } => {
                expr.visit(f);
                list.iter().for_each(|e| e.visit(f));
            }
            BoundExpr::Between { expr, low, high, .. } => {
                expr.visit(f);
                low.visit(f);
                high.visit(f);
            }
            BoundExpr::Case { whens, else_result, .. } => {
                for (w, t) in whens {
                    w.visit(f);
                    t.visit(f);
                }
                if let Some(e) = else_result {
                    e.visit(f);
                }
            }
            BoundExpr::Subscript { expr, index, .. } => {
                expr.visit(f);
                index.visit(f);
            }
            BoundExpr::Function { args, .. }
            | BoundExpr::Array { items: args, .. }
            | BoundExpr::Struct { fields: args, .. } => args.iter().for_each(|e| e.visit(f)),
            BoundExpr::Map { entries, .. } => {
                for (k, v) in entries {
                    k.visit(f);
                    v.visit(f);
                }
            }
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, items: &[BoundExpr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for BoundExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundExpr::Column { name, .. } => f.write_str(name),
            BoundExpr::Literal { value: Value::String(s), .. } => write!(f, "'{}'", s.replace('\'', "''")),
            BoundExpr::Literal { value, .. } => write!(f, "{value}"),
            BoundExpr::Unary { op: UnaryOp::Not, expr, .. } => write!(f, "(NOT {expr})"),
            BoundExpr::Unary { op: UnaryOp::Negate, expr, .. } => write!(f, "(- {expr})"),
            BoundExpr::Binary { op, left, right, .. } => write!(f, "({left} {} {right})", op.symbol()),
            BoundExpr::Like { expr, pattern, negated, .. } => {
                write!(f, "({expr} {}LIKE {pattern})", if *negated { "NOT " } else { "" })
            }
            BoundExpr::InList { expr, list: items, negated } => {
                write!(f, "({expr} {}IN (", if *negated { "NOT " } else { "" })?;
                list(f, items)?;
                f.write_str("))")
            }
            BoundExpr::Between { expr, low, high, negated } => {
                write!(f, "({expr} {}BETWEEN {low} AND {high})", if *negated { "NOT " } else { "" })
            }
            BoundExpr::IsNull { expr, negated } => write!(f, "({expr} IS {}NULL)", if *negated { "NOT " } else { "" }),
            BoundExpr::Case { whens, else_result, .. } => {
                f.write_str("(CASE")?;
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = else_result {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END)")
            }
            BoundExpr::Cast { expr, data_type } => write!(f, "CAST({expr} AS {data_type})"),
            BoundExpr::Subscript { expr, index, .. } => write!(f, "{expr}[{index}]"),
            BoundExpr::Field { expr, name, .. } => write!(f, "{expr}->{name}"),
            BoundExpr::Function { name, args, .. } => {
                write!(f, "{name}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            BoundExpr::Array { items, .. } => {
                f.write_str("ARRAY[")?;
                list(f, items)?;
                f.write_str("]")
            }
            BoundExpr::Map { entries, .. } => {
                f.write_str("MAP(")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} := {v}")?;
                }
                f.write_str(")")
            }
            BoundExpr::Struct { fields, .. } => {
                f.write_str("STRUCT(")?;
                list(f, fields)?;
                f.write_str(")")
            }
        }
    }
}
