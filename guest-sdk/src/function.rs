//! What a function is to the SDK: the [`ScalarFunction`] trait that works on whole
//! batches, and the [`ArgValue`] / [`ResultValue`] traits through which
//! [`export!`](crate::export) turns a plain per-row Rust function into one.

use std::fmt;

use crate::builder::{BoolBuilder, BytesBuilder, ColumnBuilder, PrimitiveBuilder, StringBuilder};
use crate::layout::{Batch, CallError, ColumnRef, LayoutError, Output};
use crate::types::{FunctionDef, SqlType};
use crate::view::{BoolView, BytesView, PrimitiveView, StrView};

/// A scalar function over whole batches: one call per batch, one result per row.
///
/// Implement it directly for full control (a kernel over a column, state shared
/// across rows, a nested type); [`export!`](crate::export) implements it for plain
/// functions.
pub trait ScalarFunction: Send + Sync + 'static {
    /// The name, SQL types, null handling and determinism `describe` reports.
    fn def(&self) -> FunctionDef;

    /// Evaluates the function over a batch whose argument count already matches
    /// `def()`. The result column must have `args.rows()` rows; rows reported in
    /// `row_errors` are NULL whatever the column holds. A panic traps the instance.
    fn invoke(&self, args: &Args<'_>) -> Result<Output, CallError>;
}

/// The arguments of one call, borrowed from the batch the host lowered.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a> {
    batch: Batch<'a>,
}

impl<'a> Args<'a> {
    pub fn new(batch: Batch<'a>) -> Args<'a> {
        Args { batch }
    }

    /// The number of rows of the batch.
    pub fn rows(&self) -> usize {
        self.batch.rows as usize
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.batch.args as usize
    }

    pub fn is_empty(&self) -> bool {
        self.batch.args == 0
    }

    /// Argument `i`, checked to have the batch's rows or to be a one-row constant.
    pub fn column(&self, i: usize) -> Result<ArgColumn<'a>, LayoutError> {
        if i >= self.len() {
            return Err(LayoutError(format!("argument {i} of {}", self.len())));
        }
        let column = *self.batch.columns.get(i).ok_or_else(|| {
            LayoutError(format!("the batch has {} columns for {} arguments", self.batch.columns.len(), self.len()))
        })?;
        let constant = column.len == 1 && self.batch.rows != 1;
        if column.len != self.batch.rows && !constant {
            return Err(LayoutError(format!(
                "argument {i} has {} rows in a batch of {} (an argument has the batch's rows, or one row for a constant)",
                column.len, self.batch.rows
            )));
        }
        Ok(ArgColumn { column, constant })
    }

    /// Child `k` of `column` (the elements of an ARRAY, keys and values of a MAP,
    /// fields of a STRUCT), checked to come after its parent in the column list.
    pub fn child(&self, column: &ColumnRef<'a>, k: usize) -> Result<ColumnRef<'a>, LayoutError> {
        let index = *column
            .children
            .get(k)
            .ok_or_else(|| LayoutError(format!("child {k} of a column with {}", column.children.len())))?
            as usize;
        let own = self.batch.columns.iter().position(|c| std::ptr::eq(c, column));
        if own.is_some_and(|own| index <= own) || index >= self.batch.columns.len() {
            return Err(LayoutError(format!("child column {index} is out of order or out of the batch")));
        }
        Ok(self.batch.columns[index])
    }
}

/// One argument column, with typed views.
#[derive(Debug, Clone, Copy)]
pub struct ArgColumn<'a> {
    /// The buffers as lowered.
    pub column: ColumnRef<'a>,
    /// One row that holds for every row of the batch (a SQL literal).
    pub constant: bool,
}

impl<'a> ArgColumn<'a> {
    /// The row of this column that batch row `row` reads: `row`, or 0 for a constant.
    #[inline]
    pub fn row(&self, row: usize) -> usize {
        if self.constant {
            0
        } else {
            row
        }
    }

    /// 1 for a column, 0 for a constant: `row * step` is the row to read.
    #[inline]
    pub fn step(&self) -> usize {
        usize::from(!self.constant)
    }

    pub fn str(&self) -> Result<StrView<'a>, LayoutError> {
        StrView::new(self.column)
    }

    pub fn bytes(&self) -> Result<BytesView<'a>, LayoutError> {
        BytesView::new(self.column)
    }

    pub fn bool(&self) -> Result<BoolView<'a>, LayoutError> {
        BoolView::new(self.column)
    }

    /// INT, DATE and TIME.
    pub fn i32(&self) -> Result<PrimitiveView<'a, i32>, LayoutError> {
        PrimitiveView::new(self.column)
    }

    /// BIGINT and TIMESTAMP.
    pub fn i64(&self) -> Result<PrimitiveView<'a, i64>, LayoutError> {
        PrimitiveView::new(self.column)
    }

    pub fn f64(&self) -> Result<PrimitiveView<'a, f64>, LayoutError> {
        PrimitiveView::new(self.column)
    }

    /// DECIMAL, as unscaled `i128`s.
    pub fn decimal(&self) -> Result<PrimitiveView<'a, i128>, LayoutError> {
        PrimitiveView::new(self.column)
    }
}

/// A Rust type a plain function takes as a parameter: `&str`, `&[u8]`, `bool`,
/// `i32`, `i64`, `f64`, [`Timestamp`], [`Date`], [`Time`], and `Option` of those.
///
/// A non-`Option` parameter makes a NULL argument give a NULL result without
/// calling the function; an `Option` parameter sees the NULL.
pub trait ArgValue<'a>: Sized {
    /// The typed view over the argument column.
    type View;
    /// Whether the function sees NULLs (true for `Option`).
    const NULLABLE: bool = false;
    fn sql_type() -> SqlType;
    fn view(column: &ArgColumn<'a>) -> Result<Self::View, LayoutError>;
    /// Row `i`; `None` when a non-`Option` parameter's row is NULL.
    fn get(view: &Self::View, i: usize) -> Option<Self>;
}

macro_rules! arg_value {
    ($t:ty, $view:ty, $sql:expr, $make:ident, |$v:ident, $i:ident| $get:expr) => {
        impl<'a> ArgValue<'a> for $t {
            type View = $view;
            fn sql_type() -> SqlType {
                $sql
            }
            fn view(column: &ArgColumn<'a>) -> Result<Self::View, LayoutError> {
                column.$make()
            }
            #[inline]
            fn get($v: &Self::View, $i: usize) -> Option<Self> {
                $get
            }
        }
    };
}

arg_value!(&'a str, StrView<'a>, SqlType::String, str, |v, i| v.get(i));
arg_value!(&'a [u8], BytesView<'a>, SqlType::Bytes, bytes, |v, i| v.get(i));
arg_value!(bool, BoolView<'a>, SqlType::Boolean, bool, |v, i| v.get(i));
arg_value!(i32, PrimitiveView<'a, i32>, SqlType::Int, i32, |v, i| v.get(i));
arg_value!(i64, PrimitiveView<'a, i64>, SqlType::BigInt, i64, |v, i| v.get(i));
arg_value!(f64, PrimitiveView<'a, f64>, SqlType::Double, f64, |v, i| v.get(i));
arg_value!(Timestamp, PrimitiveView<'a, i64>, SqlType::Timestamp, i64, |v, i| v.get(i).map(Timestamp));
arg_value!(Date, PrimitiveView<'a, i32>, SqlType::Date, i32, |v, i| v.get(i).map(Date));
arg_value!(Time, PrimitiveView<'a, i32>, SqlType::Time, i32, |v, i| v.get(i).map(Time));

impl<'a, T: ArgValue<'a>> ArgValue<'a> for Option<T> {
    type View = T::View;
    const NULLABLE: bool = true;
    fn sql_type() -> SqlType {
        T::sql_type()
    }
    fn view(column: &ArgColumn<'a>) -> Result<Self::View, LayoutError> {
        T::view(column)
    }
    #[inline]
    fn get(view: &Self::View, i: usize) -> Option<Self> {
        Some(T::get(view, i))
    }
}

/// A Rust type a plain function returns: `String`, `&str`, `Vec<u8>`, `&[u8]`,
/// `bool`, `i32`, `i64`, `f64`, [`Timestamp`], [`Date`], [`Time`]; `Option` of
/// those for a NULL result, and `Result<_, E: Display>` for a per-row error.
pub trait ResultValue {
    /// The builder of the result column.
    type Builder: ColumnBuilder;
    fn sql_type() -> SqlType;
    /// Appends the value as the next row. On `Err` (a per-row error, with its
    /// message) nothing was appended.
    fn append_to(self, out: &mut Self::Builder) -> Result<(), String>;
}

macro_rules! result_value {
    ([$($lt:lifetime)?] $t:ty, $builder:ty, $sql:expr, |$v:ident, $out:ident| $append:expr) => {
        impl$(<$lt>)? ResultValue for $t {
            type Builder = $builder;
            fn sql_type() -> SqlType {
                $sql
            }
            #[inline]
            fn append_to(self, $out: &mut $builder) -> Result<(), String> {
                let $v = self;
                $append;
                Ok(())
            }
        }
    };
}

result_value!([] String, StringBuilder, SqlType::String, |v, out| out.append(&v));
result_value!(['r] &'r str, StringBuilder, SqlType::String, |v, out| out.append(v));
result_value!([] Vec<u8>, BytesBuilder, SqlType::Bytes, |v, out| out.append(&v));
result_value!(['r] &'r [u8], BytesBuilder, SqlType::Bytes, |v, out| out.append(v));
result_value!([] bool, BoolBuilder, SqlType::Boolean, |v, out| out.append(v));
result_value!([] i32, PrimitiveBuilder<i32>, SqlType::Int, |v, out| out.append(v));
result_value!([] i64, PrimitiveBuilder<i64>, SqlType::BigInt, |v, out| out.append(v));
result_value!([] f64, PrimitiveBuilder<f64>, SqlType::Double, |v, out| out.append(v));
result_value!([] Timestamp, PrimitiveBuilder<i64>, SqlType::Timestamp, |v, out| out.append(v.0));
result_value!([] Date, PrimitiveBuilder<i32>, SqlType::Date, |v, out| out.append(v.0));
result_value!([] Time, PrimitiveBuilder<i32>, SqlType::Time, |v, out| out.append(v.0));

impl<T: ResultValue> ResultValue for Option<T> {
    type Builder = T::Builder;
    fn sql_type() -> SqlType {
        T::sql_type()
    }
    #[inline]
    fn append_to(self, out: &mut Self::Builder) -> Result<(), String> {
        match self {
            Some(v) => v.append_to(out),
            None => {
                out.append_null();
                Ok(())
            }
        }
    }
}

impl<T: ResultValue, E: fmt::Display> ResultValue for Result<T, E> {
    type Builder = T::Builder;
    fn sql_type() -> SqlType {
        T::sql_type()
    }
    #[inline]
    fn append_to(self, out: &mut Self::Builder) -> Result<(), String> {
        self.map_err(|e| e.to_string())?.append_to(out)
    }
}

/// A `TIMESTAMP`: milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A `DATE`: days since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// A `TIME`: milliseconds since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i32);
