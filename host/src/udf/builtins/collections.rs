//! Array and map functions. They are generic: the return type follows the element
//! types of the arguments (`ARRAY_MAX(ARRAY<BIGINT>)` is a `BIGINT`), and arrays of
//! different numeric element types combine at their common type.
//!
//! Elements compare with SQL equality, except that `NULL` equals `NULL`, as in ksqlDB.
//!
//! The functions work on a list's child array and its offsets: they pick the element
//! positions to keep (deduplicated, filtered, sorted...) and gather them with one
//! `interleave` or `take` per batch; elements compare through `make_comparator`, so
//! any element type works, nested ones included. A list whose elements are narrower
//! than the result's (an `ARRAY<INT>` where `ARRAY<BIGINT>` is returned) is cast to the
//! result's element type once per batch.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    new_empty_array, new_null_array, Array, ArrayRef, BinaryArray, BooleanArray, ListArray, MapArray, StringArray,
    StructArray, UInt32Array,
};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_ord::ord::make_comparator;
use arrow_schema::{ArrowError, DataType as ArrowType, SortOptions, TimeUnit};
use wasp_sql::{DataType, Decimal, StructField};

use super::{each_row, element_type, is_orderable, reject, Builtin};
use crate::columnar::types::{list_field, map_entries_field};
use crate::columnar::{to_arrow, Operand};
use crate::udf::{ScalarArgs, UdfError};

const S: DataType = DataType::String;

fn array(t: DataType) -> DataType {
    DataType::Array(Box::new(t))
}

/// The key and value types of a `MAP` argument (`NULL` is a map of anything).
fn map_types(t: &DataType) -> Option<(DataType, DataType)> {
    match t {
        DataType::Map(k, v) => Some(((**k).clone(), (**v).clone())),
        DataType::Null => Some((S, DataType::Null)),
        _ => None,
    }
}

/// Two arrays, combined at the common element type.
fn two_arrays(name: &str, args: &[DataType]) -> Result<DataType, String> {
    let fail = || reject(name, args, &[&format!("{name}(ARRAY<T>, ARRAY<T>)")]);
    match args {
        [a, b] => {
            let (x, y) = (element_type(a).ok_or_else(fail)?, element_type(b).ok_or_else(fail)?);
            DataType::common_type(&x, &y).map(array).ok_or_else(fail)
        }
        _ => Err(fail()),
    }
}

/// An array and a value of its element type.
fn array_and_element(name: &str, args: &[DataType]) -> Result<DataType, String> {
    let fail = || reject(name, args, &[&format!("{name}(ARRAY<T>, T)")]);
    match args {
        [a, v] => {
            let e = element_type(a).ok_or_else(fail)?;
            DataType::common_type(&e, v).ok_or_else(fail)
        }
        _ => Err(fail()),
    }
}

fn one_array(name: &str, args: &[DataType], orderable: bool) -> Result<DataType, String> {
    match args {
        [a] => match element_type(a) {
            Some(e) if !orderable || is_orderable(&e) => Ok(e),
            _ => Err(reject(name, args, &[&format!("{name}(ARRAY<T>)")])),
        },
        _ => Err(reject(name, args, &[&format!("{name}(ARRAY<T>)")])),
    }
}

fn is_primitive(t: &DataType) -> bool {
    !matches!(t, DataType::Array(_) | DataType::Map(..) | DataType::Struct(_))
}

/// A batch-level failure of function `name`.
fn failed(name: &str, message: impl std::fmt::Display) -> UdfError {
    UdfError::Failed { function: name.to_string(), message: message.to_string() }
}

/// The element type of an `ARRAY` return type.
fn elem_of(t: &DataType) -> DataType {
    element_type(t).unwrap_or(DataType::Null)
}

/// The operands of a call with exactly `N` arguments.
fn operands<'a, const N: usize>(name: &str, args: &ScalarArgs<'a>) -> Result<&'a [Operand; N], UdfError> {
    let ops: &'a [Operand] = args.args;
    ops.try_into().map_err(|_| failed(name, format!("expected {N} arguments, got {}", ops.len())))
}

/// `array` as type `to` (a no-op when it already is).
fn cast_to(name: &str, array: &ArrayRef, to: &ArrowType) -> Result<ArrayRef, UdfError> {
    if array.data_type() == to {
        Ok(array.clone())
    } else {
        arrow_cast::cast(array, to).map_err(|e| failed(name, e))
    }
}

/// Whether position `i` of an array with these logical nulls is NULL.
#[inline]
fn null_at(nulls: &Option<NullBuffer>, i: usize) -> bool {
    nulls.as_ref().is_some_and(|n| n.is_null(i))
}

/// The child positions of entry `i` of a list or map with these offsets.
#[inline]
fn span(offsets: &[i32], i: usize) -> Range<usize> {
    match (offsets.get(i), offsets.get(i + 1)) {
        (Some(&a), Some(&b)) => a.max(0) as usize..b.max(0) as usize,
        _ => 0..0,
    }
}

/// An `ARRAY` argument read through its offsets, its elements cast to the type the
/// function works at. A `NULL`-typed argument is NULL in every row.
struct ListArg {
    list: Option<ListArray>,
    scalar: bool,
    /// The child array that [`range`](Self::range) indexes (empty without a list).
    values: ArrayRef,
}

impl ListArg {
    fn new(name: &str, op: &Operand, elem: &DataType) -> Result<ListArg, UdfError> {
        let target = to_arrow(elem);
        let list = match op.array().as_list_opt::<i32>() {
            Some(l) if l.values().data_type() != &target => {
                let cast =
                    arrow_cast::cast(op.array(), &ArrowType::List(list_field(elem))).map_err(|e| failed(name, e))?;
                cast.as_list_opt::<i32>().cloned()
            }
            l => l.cloned(),
        };
        let values = list.as_ref().map_or_else(|| new_empty_array(&target), |l| l.values().clone());
        Ok(ListArg { list, scalar: op.is_scalar(), values })
    }

    /// Row `row`'s elements as positions in `values`; `None` when the list is NULL.
    #[inline]
    fn range(&self, row: usize) -> Option<Range<usize>> {
        let l = self.list.as_ref()?;
        let i = if self.scalar { 0 } else { row };
        (i < l.len() && !l.is_null(i)).then(|| span(l.value_offsets(), i))
    }
}

/// A `MAP` argument read through its offsets, keys and values cast to the types the
/// function works at. A `NULL`-typed argument is NULL in every row.
struct MapArg {
    map: Option<MapArray>,
    scalar: bool,
    keys: ArrayRef,
    values: ArrayRef,
}

impl MapArg {
    fn new(name: &str, op: &Operand, k: &DataType, v: &DataType) -> Result<MapArg, UdfError> {
        let (kt, vt) = (to_arrow(k), to_arrow(v));
        let map = op.array().as_map_opt().cloned();
        let (keys, values) = match &map {
            Some(m) => (cast_to(name, m.keys(), &kt)?, cast_to(name, m.values(), &vt)?),
            None => (new_empty_array(&kt), new_empty_array(&vt)),
        };
        Ok(MapArg { map, scalar: op.is_scalar(), keys, values })
    }

    /// Row `row`'s entries as positions in `keys` and `values`; `None` when NULL.
    #[inline]
    fn range(&self, row: usize) -> Option<Range<usize>> {
        let m = self.map.as_ref()?;
        let i = if self.scalar { 0 } else { row };
        (i < m.len() && !m.is_null(i)).then(|| span(m.value_offsets(), i))
    }
}

/// The offsets and validity of a list or map result under construction; its
/// elements are picked separately and gathered at the end.
struct Offsets {
    offsets: Vec<i32>,
    valid: BooleanBufferBuilder,
}

impl Offsets {
    fn new(rows: usize) -> Offsets {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Offsets { offsets, valid: BooleanBufferBuilder::new(rows) }
    }

    /// Ends a NULL row.
    fn null(&mut self) {
        let last = self.offsets.last().copied().unwrap_or(0);
        self.offsets.push(last);
        self.valid.append(false);
    }

    /// Ends a row whose elements end at `len` elements picked so far.
    fn close(&mut self, name: &str, len: usize) -> Result<(), UdfError> {
        let end = i32::try_from(len).map_err(|_| failed(name, "the result has too many elements"))?;
        self.offsets.push(end);
        self.valid.append(true);
        Ok(())
    }

    fn finish(mut self) -> (OffsetBuffer<i32>, Option<NullBuffer>) {
        let nulls = NullBuffer::new(self.valid.finish());
        let nulls = (nulls.null_count() > 0).then_some(nulls);
        (OffsetBuffer::new(ScalarBuffer::from(self.offsets)), nulls)
    }

    /// An `ARRAY<elem>` column of these rows over `values`.
    fn list(self, name: &str, elem: &DataType, values: ArrayRef) -> Result<ArrayRef, UdfError> {
        let (offsets, nulls) = self.finish();
        let list = ListArray::try_new(list_field(elem), offsets, values, nulls).map_err(|e| failed(name, e))?;
        Ok(std::sync::Arc::new(list))
    }

    /// A `MAP<k, v>` column of these rows over `keys` and `values`.
    fn map(
        self,
        name: &str,
        (k, v): (&DataType, &DataType),
        keys: ArrayRef,
        values: ArrayRef,
    ) -> Result<ArrayRef, UdfError> {
        let (offsets, nulls) = self.finish();
        let field = map_entries_field(k, v);
        let fields = match field.data_type() {
            ArrowType::Struct(f) => f.clone(),
            other => return Err(failed(name, format!("unexpected map entries type {other}"))),
        };
        let entries = StructArray::try_new(fields, vec![keys, values], None).map_err(|e| failed(name, e))?;
        let map = MapArray::try_new(field, offsets, entries, nulls, false).map_err(|e| failed(name, e))?;
        Ok(std::sync::Arc::new(map))
    }
}

/// Gathers the picked `(source, position)` elements.
fn gather(name: &str, sources: &[&dyn Array], picks: &[(usize, usize)]) -> Result<ArrayRef, UdfError> {
    arrow_select::interleave::interleave(sources, picks).map_err(|e| failed(name, e))
}

/// A test for equality of two positions.
type EqFn = Box<dyn Fn(usize, usize) -> bool + Send + Sync>;

fn contains_map(t: &ArrowType) -> bool {
    match t {
        ArrowType::Map(..) => true,
        ArrowType::List(f) => contains_map(f.data_type()),
        ArrowType::Struct(fields) => fields.iter().any(|f| contains_map(f.data_type())),
        _ => false,
    }
}

/// Equality of elements of `l` and `r` (same type) the way ksqlDB's `equals` has it:
/// `NULL` equals `NULL`, at any depth, and maps are equal when they hold the same
/// entries in any order. Types without maps compare with `make_comparator`.
fn equality(l: &dyn Array, r: &dyn Array) -> Result<EqFn, ArrowError> {
    if !contains_map(l.data_type()) {
        let cmp = make_comparator(l, r, SortOptions::default())?;
        return Ok(Box::new(move |i, j| cmp(i, j) == Ordering::Equal));
    }
    let inner: EqFn = match (l.as_list_opt::<i32>(), r.as_list_opt::<i32>(), l.as_map_opt(), r.as_map_opt()) {
        (Some(a), Some(b), _, _) => {
            let eq = equality(a.values(), b.values())?;
            let (ao, bo) = (a.offsets().clone(), b.offsets().clone());
            Box::new(move |i, j| {
                let (x, y) = (span(&ao, i), span(&bo, j));
                x.len() == y.len() && x.zip(y).all(|(x, y)| eq(x, y))
            })
        }
        (_, _, Some(a), Some(b)) => {
            let keys = equality(a.keys(), b.keys())?;
            let values = equality(a.values(), b.values())?;
            let (ao, bo) = (a.offsets().clone(), b.offsets().clone());
            Box::new(move |i, j| {
                let (mut x, y) = (span(&ao, i), span(&bo, j));
                x.len() == y.len() && x.all(|x| y.clone().any(|y| keys(x, y) && values(x, y)))
            })
        }
        _ => match (l.as_struct_opt(), r.as_struct_opt()) {
            (Some(a), Some(b)) if a.num_columns() == b.num_columns() => {
                let fields = a
                    .columns()
                    .iter()
                    .zip(b.columns())
                    .map(|(x, y)| equality(x.as_ref(), y.as_ref()))
                    .collect::<Result<Vec<_>, _>>()?;
                Box::new(move |i, j| fields.iter().all(|eq| eq(i, j)))
            }
            _ => {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "cannot compare {} with {}",
                    l.data_type(),
                    r.data_type()
                )))
            }
        },
    };
    let (ln, rn) = (l.logical_nulls(), r.logical_nulls());
    Ok(Box::new(move |i, j| match (null_at(&ln, i), null_at(&rn, j)) {
        (false, false) => inner(i, j),
        (a, b) => a == b,
    }))
}

/// Equality between the elements of several arrays of one type, addressed as
/// `(source, position)`.
struct Same {
    eq: Vec<Vec<EqFn>>,
}

impl Same {
    fn new(name: &str, sources: &[&dyn Array]) -> Result<Same, UdfError> {
        let eq = sources
            .iter()
            .map(|l| sources.iter().map(|r| equality(*l, *r)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| failed(name, e))?;
        Ok(Same { eq })
    }

    #[inline]
    fn equal(&self, (s, i): (usize, usize), (t, j): (usize, usize)) -> bool {
        self.eq.get(s).and_then(|row| row.get(t)).is_some_and(|eq| eq(i, j))
    }

    /// Whether any of `among` equals `x`.
    #[inline]
    fn any(&self, among: &[(usize, usize)], x: (usize, usize)) -> bool {
        among.iter().any(|&y| self.equal(y, x))
    }
}

/// Appends `x` to `picks` unless it equals one of `picks[from..]` (the row's so far).
#[inline]
fn push_distinct(picks: &mut Vec<(usize, usize)>, from: usize, x: (usize, usize), same: &Same) {
    if !same.any(&picks[from..], x) {
        picks.push(x);
    }
}

/// Whether row `row` of `list` (source `s`) has an element equal to `x`.
#[inline]
fn has(list: &ListArg, s: usize, row: usize, x: (usize, usize), same: &Same) -> bool {
    list.range(row).is_some_and(|mut r| r.any(|j| same.equal((s, j), x)))
}

/// The distinct elements of the first array that are (`keep_common`) or are not in
/// the second, in order of first occurrence: `ARRAY_INTERSECT` and `ARRAY_EXCEPT`.
fn filter_distinct(name: &str, args: ScalarArgs<'_>, keep_common: bool) -> Result<ArrayRef, UdfError> {
    let [a, b] = operands(name, &args)?;
    let elem = elem_of(args.return_type);
    let (left, right) = (ListArg::new(name, a, &elem)?, ListArg::new(name, b, &elem)?);
    let same = Same::new(name, &[left.values.as_ref(), right.values.as_ref()])?;
    let mut out = Offsets::new(args.rows);
    let mut picks = Vec::new();
    for row in 0..args.rows {
        let (Some(l), Some(_)) = (left.range(row), right.range(row)) else {
            out.null();
            continue;
        };
        let from = picks.len();
        for i in l {
            if has(&right, 1, row, (0, i), &same) == keep_common {
                push_distinct(&mut picks, from, (0, i), &same);
            }
        }
        out.close(name, picks.len())?;
    }
    let values = gather(name, &[left.values.as_ref()], &picks)?;
    out.list(name, &elem, values)
}

/// The largest (`want` = Greater) or smallest non-NULL element of each array.
fn extreme(name: &str, args: ScalarArgs<'_>, want: Ordering) -> Result<ArrayRef, UdfError> {
    let [a] = operands(name, &args)?;
    let list = ListArg::new(name, a, args.return_type)?;
    let values = &list.values;
    let cmp = make_comparator(values.as_ref(), values.as_ref(), SortOptions::default()).map_err(|e| failed(name, e))?;
    let nulls = values.logical_nulls();
    let mut best_of = Vec::with_capacity(args.rows);
    for row in 0..args.rows {
        let mut best: Option<usize> = None;
        for i in list.range(row).into_iter().flatten().filter(|&i| !null_at(&nulls, i)) {
            best = match best {
                Some(b) if cmp(i, b) != want => Some(b),
                _ => Some(i),
            };
        }
        best_of.push(best.map(u32::try_from).transpose().map_err(|_| failed(name, "array too long"))?);
    }
    arrow_select::take::take(values.as_ref(), &UInt32Array::from(best_of), None).map_err(|e| failed(name, e))
}

/// The elements of a primitive array as ARRAY_JOIN prints them.
enum Texts<'a> {
    Bool(&'a BooleanArray),
    I32(&'a [i32]),
    I64(&'a [i64]),
    F64(&'a [f64]),
    Dec(&'a [i128], u8),
    Str(&'a StringArray),
    Bin(&'a BinaryArray),
    /// NULL-typed (or unprintable) elements.
    Null,
}

impl<'a> Texts<'a> {
    fn new(a: &'a dyn Array) -> Texts<'a> {
        match a.data_type() {
            ArrowType::Boolean => Texts::Bool(a.as_boolean()),
            ArrowType::Int32 => Texts::I32(a.as_primitive::<Int32Type>().values()),
            ArrowType::Date32 => Texts::I32(a.as_primitive::<Date32Type>().values()),
            ArrowType::Time32(TimeUnit::Millisecond) => Texts::I32(a.as_primitive::<Time32MillisecondType>().values()),
            ArrowType::Int64 => Texts::I64(a.as_primitive::<Int64Type>().values()),
            ArrowType::Timestamp(TimeUnit::Millisecond, _) => {
                Texts::I64(a.as_primitive::<TimestampMillisecondType>().values())
            }
            ArrowType::Float64 => Texts::F64(a.as_primitive::<Float64Type>().values()),
            ArrowType::Decimal128(_, s) => Texts::Dec(a.as_primitive::<Decimal128Type>().values(), (*s).max(0) as u8),
            ArrowType::Utf8 => Texts::Str(a.as_string::<i32>()),
            ArrowType::Binary => Texts::Bin(a.as_binary::<i32>()),
            _ => Texts::Null,
        }
    }

    /// Appends element `i` (not NULL) to `out`.
    fn write(&self, i: usize, out: &mut String, ints: &mut itoa::Buffer) {
        match self {
            Texts::Bool(a) => out.push_str(if a.value(i) { "true" } else { "false" }),
            Texts::I32(v) => out.push_str(ints.format(v[i])),
            Texts::I64(v) => out.push_str(ints.format(v[i])),
            Texts::F64(v) => out.push_str(&wasp_sql::value::format_double(v[i])),
            Texts::Dec(v, s) => {
                let _ = write!(out, "{}", Decimal::new(v[i], *s));
            }
            Texts::Str(a) => out.push_str(a.value(i)),
            Texts::Bin(a) => {
                for byte in a.value(i) {
                    let _ = write!(out, "{byte:02x}");
                }
            }
            Texts::Null => out.push_str("null"),
        }
    }
}

fn array_length(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_LENGTH";
    let [a] = operands(NAME, &args)?;
    let list = ListArg::new(NAME, a, &args.arg_types.first().map_or(DataType::Null, elem_of))?;
    each_row(args, |row, out| {
        if let Some(r) = list.range(row) {
            out.push_i32(i32::try_from(r.len()).map_err(|_| "array too long")?);
        }
        Ok(())
    })
}

fn array_contains(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_CONTAINS";
    let [a, v] = operands(NAME, &args)?;
    let common = array_and_element(NAME, args.arg_types).map_err(|e| failed(NAME, e))?;
    let list = ListArg::new(NAME, a, &common)?;
    let needle = cast_to(NAME, v.array(), &to_arrow(&common))?;
    let same = Same::new(NAME, &[list.values.as_ref(), needle.as_ref()])?;
    each_row(args, |row, out| {
        out.push_bool(has(&list, 0, row, (1, v.index(row)), &same));
        Ok(())
    })
}

fn array_distinct(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_DISTINCT";
    let [a] = operands(NAME, &args)?;
    let elem = elem_of(args.return_type);
    let list = ListArg::new(NAME, a, &elem)?;
    let same = Same::new(NAME, &[list.values.as_ref()])?;
    let mut out = Offsets::new(args.rows);
    let mut picks = Vec::new();
    for row in 0..args.rows {
        let Some(r) = list.range(row) else {
            out.null();
            continue;
        };
        let from = picks.len();
        for i in r {
            push_distinct(&mut picks, from, (0, i), &same);
        }
        out.close(NAME, picks.len())?;
    }
    let values = gather(NAME, &[list.values.as_ref()], &picks)?;
    out.list(NAME, &elem, values)
}

fn array_union(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_UNION";
    let [a, b] = operands(NAME, &args)?;
    let elem = elem_of(args.return_type);
    let (left, right) = (ListArg::new(NAME, a, &elem)?, ListArg::new(NAME, b, &elem)?);
    let sources = [left.values.as_ref(), right.values.as_ref()];
    let same = Same::new(NAME, &sources)?;
    let mut out = Offsets::new(args.rows);
    let mut picks = Vec::new();
    for row in 0..args.rows {
        let (Some(l), Some(r)) = (left.range(row), right.range(row)) else {
            out.null();
            continue;
        };
        let from = picks.len();
        for x in l.map(|i| (0, i)).chain(r.map(|j| (1, j))) {
            push_distinct(&mut picks, from, x, &same);
        }
        out.close(NAME, picks.len())?;
    }
    let values = gather(NAME, &sources, &picks)?;
    out.list(NAME, &elem, values)
}

fn array_concat(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_CONCAT";
    let [a, b] = operands(NAME, &args)?;
    let elem = elem_of(args.return_type);
    let (left, right) = (ListArg::new(NAME, a, &elem)?, ListArg::new(NAME, b, &elem)?);
    let mut out = Offsets::new(args.rows);
    let mut picks = Vec::new();
    for row in 0..args.rows {
        let (l, r) = (left.range(row), right.range(row));
        if l.is_none() && r.is_none() {
            out.null();
            continue;
        }
        picks.extend(l.into_iter().flatten().map(|i| (0, i)));
        picks.extend(r.into_iter().flatten().map(|j| (1, j)));
        out.close(NAME, picks.len())?;
    }
    let values = gather(NAME, &[left.values.as_ref(), right.values.as_ref()], &picks)?;
    out.list(NAME, &elem, values)
}

fn array_join(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_JOIN";
    let ops: &[Operand] = args.args;
    let Some(a) = ops.first() else { return Err(failed(NAME, "expected an ARRAY argument")) };
    let list = ListArg::new(NAME, a, &args.arg_types.first().map_or(DataType::Null, elem_of))?;
    let delims = ops.get(1).map(Operand::strs);
    let texts = Texts::new(list.values.as_ref());
    let nulls = list.values.logical_nulls();
    let (mut text, mut ints) = (String::new(), itoa::Buffer::new());
    each_row(args, |row, out| {
        let Some(r) = list.range(row) else { return Ok(()) };
        let delim = match &delims {
            None => ",",
            Some(d) => d.get(row).unwrap_or(""),
        };
        text.clear();
        for (n, i) in r.enumerate() {
            if n > 0 {
                text.push_str(delim);
            }
            if null_at(&nulls, i) {
                text.push_str("null");
            } else {
                texts.write(i, &mut text, &mut ints);
            }
        }
        out.push_str(&text);
        Ok(())
    })
}

fn array_remove(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_REMOVE";
    let [a, v] = operands(NAME, &args)?;
    let elem = elem_of(args.return_type);
    let list = ListArg::new(NAME, a, &elem)?;
    let needle = cast_to(NAME, v.array(), &to_arrow(&elem))?;
    let same = Same::new(NAME, &[list.values.as_ref(), needle.as_ref()])?;
    let mut out = Offsets::new(args.rows);
    let mut picks = Vec::new();
    for row in 0..args.rows {
        let Some(r) = list.range(row) else {
            out.null();
            continue;
        };
        let x = (1, v.index(row));
        picks.extend(r.filter(|&i| !same.equal((0, i), x)).map(|i| (0, i)));
        out.close(NAME, picks.len())?;
    }
    let values = gather(NAME, &[list.values.as_ref()], &picks)?;
    out.list(NAME, &elem, values)
}

fn array_sort(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ARRAY_SORT";
    let ops: &[Operand] = args.args;
    let Some(a) = ops.first() else { return Err(failed(NAME, "expected an ARRAY argument")) };
    let elem = elem_of(args.return_type);
    let list = ListArg::new(NAME, a, &elem)?;
    let directions = ops.get(1).map(Operand::strs);
    let values = list.values.as_ref();
    // NULLs sort last either way.
    let order = |descending| {
        make_comparator(values, values, SortOptions { descending, nulls_first: false }).map_err(|e| failed(NAME, e))
    };
    let (ascending, descending) = (order(false)?, order(true)?);
    let mut out = Offsets::new(args.rows);
    let mut picks: Vec<(usize, usize)> = Vec::new();
    for row in 0..args.rows {
        let cmp = match directions.map(|d| d.get(row)) {
            None => &ascending,
            Some(Some(d)) if d.eq_ignore_ascii_case("ASC") => &ascending,
            Some(Some(d)) if d.eq_ignore_ascii_case("DESC") => &descending,
            Some(_) => {
                out.null();
                continue;
            }
        };
        let Some(r) = list.range(row) else {
            out.null();
            continue;
        };
        let from = picks.len();
        picks.extend(r.map(|i| (0, i)));
        picks[from..].sort_by(|x, y| cmp(x.1, y.1));
        out.close(NAME, picks.len())?;
    }
    let values = gather(NAME, &[values], &picks)?;
    out.list(NAME, &elem, values)
}

fn slice(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "SLICE";
    let [a, f, t] = operands(NAME, &args)?;
    let elem = elem_of(args.return_type);
    let list = ListArg::new(NAME, a, &elem)?;
    let (from, to) = (f.ints(), t.ints());
    let mut out = Offsets::new(args.rows);
    let mut picks = Vec::new();
    for row in 0..args.rows {
        let Some(r) = list.range(row) else {
            out.null();
            continue;
        };
        let len = r.len() as i64;
        let start = from.get(row).map_or(0, |f| f.saturating_sub(1));
        let end = to.get(row).unwrap_or(len);
        if start < 0 || end > len || start > end {
            out.null();
            continue;
        }
        picks.extend((r.start + start as usize..r.start + end as usize).map(|i| (0, i)));
        out.close(NAME, picks.len())?;
    }
    let values = gather(NAME, &[list.values.as_ref()], &picks)?;
    out.list(NAME, &elem, values)
}

fn entries(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "ENTRIES";
    let [m, b] = operands(NAME, &args)?;
    let elem = elem_of(args.return_type);
    let fields = match to_arrow(&elem) {
        ArrowType::Struct(fields) if fields.len() == 2 => fields,
        other => return Err(failed(NAME, format!("unexpected result element type {other}"))),
    };
    let v = match &elem {
        DataType::Struct(f) if f.len() == 2 => f[1].data_type.clone(),
        _ => DataType::Null,
    };
    let map = MapArg::new(NAME, m, &S, &v)?;
    let sorted = b.bools();
    let by_key =
        make_comparator(map.keys.as_ref(), map.keys.as_ref(), SortOptions::default()).map_err(|e| failed(NAME, e))?;
    let mut out = Offsets::new(args.rows);
    let mut picks: Vec<(usize, usize)> = Vec::new();
    for row in 0..args.rows {
        let (Some(r), Some(sort)) = (map.range(row), sorted.get(row)) else {
            out.null();
            continue;
        };
        let from = picks.len();
        picks.extend(r.map(|i| (0, i)));
        if sort {
            picks[from..].sort_by(|x, y| by_key(x.1, y.1));
        }
        out.close(NAME, picks.len())?;
    }
    let keys = gather(NAME, &[map.keys.as_ref()], &picks)?;
    let values = gather(NAME, &[map.values.as_ref()], &picks)?;
    let structs = StructArray::try_new(fields, vec![keys, values], None).map_err(|e| failed(NAME, e))?;
    out.list(NAME, &elem, std::sync::Arc::new(structs))
}

fn as_map(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "AS_MAP";
    let [k, v] = operands(NAME, &args)?;
    let vt = match args.return_type {
        DataType::Map(_, v) => (**v).clone(),
        _ => DataType::Null,
    };
    let (keys, values) = (ListArg::new(NAME, k, &S)?, ListArg::new(NAME, v, &vt)?);
    let Some(key_text) = keys.values.as_string_opt::<i32>() else {
        return Err(failed(NAME, format!("expected STRING keys, got {}", keys.values.data_type())));
    };
    let key_nulls = keys.values.logical_nulls();
    // Source 1 is a lone NULL, for keys past the end of the values.
    let missing = new_null_array(&to_arrow(&vt), 1);
    let mut out = Offsets::new(args.rows);
    let (mut key_picks, mut value_picks) = (Vec::new(), Vec::new());
    let mut slots: HashMap<&str, usize> = HashMap::new();
    for row in 0..args.rows {
        let (Some(kr), Some(vr)) = (keys.range(row), values.range(row)) else {
            out.null();
            continue;
        };
        slots.clear();
        for (n, i) in kr.enumerate() {
            // An Arrow map cannot hold a NULL key: the entry is left out.
            if null_at(&key_nulls, i) {
                continue;
            }
            let value = if n < vr.len() { (0, vr.start + n) } else { (1, 0) };
            match slots.get(key_text.value(i)) {
                Some(&slot) => value_picks[slot] = value,
                None => {
                    slots.insert(key_text.value(i), value_picks.len());
                    key_picks.push((0, i));
                    value_picks.push(value);
                }
            }
        }
        out.close(NAME, key_picks.len())?;
    }
    let k = gather(NAME, &[keys.values.as_ref()], &key_picks)?;
    let v = gather(NAME, &[values.values.as_ref(), missing.as_ref()], &value_picks)?;
    out.map(NAME, (&S, &vt), k, v)
}

/// The keys (`keys`) or values of each map, as an array: the map's own offsets over
/// its key or value column.
fn map_part(name: &str, args: ScalarArgs<'_>, keys: bool) -> Result<ArrayRef, UdfError> {
    let [m] = operands(name, &args)?;
    let elem = elem_of(args.return_type);
    let maps = m.to_array(args.rows);
    let Some(map) = maps.as_map_opt() else { return Ok(args.null_output()) };
    let part = cast_to(name, if keys { map.keys() } else { map.values() }, &to_arrow(&elem))?;
    let list = ListArray::try_new(list_field(&elem), map.offsets().clone(), part, map.nulls().cloned())
        .map_err(|e| failed(name, e))?;
    Ok(std::sync::Arc::new(list))
}

fn map_union(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    const NAME: &str = "MAP_UNION";
    let [a, b] = operands(NAME, &args)?;
    let (k, v) = map_types(args.return_type).unwrap_or((S, DataType::Null));
    let maps = [MapArg::new(NAME, a, &k, &v)?, MapArg::new(NAME, b, &k, &v)?];
    let key_sources = [maps[0].keys.as_ref(), maps[1].keys.as_ref()];
    let same = Same::new(NAME, &key_sources)?;
    let mut out = Offsets::new(args.rows);
    let (mut key_picks, mut value_picks): (Vec<(usize, usize)>, Vec<(usize, usize)>) = (Vec::new(), Vec::new());
    for row in 0..args.rows {
        let ranges = [maps[0].range(row), maps[1].range(row)];
        if ranges.iter().all(Option::is_none) {
            out.null();
            continue;
        }
        let from = key_picks.len();
        for (s, r) in ranges.into_iter().enumerate() {
            for i in r.into_iter().flatten() {
                match key_picks[from..].iter().position(|&y| same.equal(y, (s, i))) {
                    Some(slot) => value_picks[from + slot] = (s, i),
                    None => {
                        key_picks.push((s, i));
                        value_picks.push((s, i));
                    }
                }
            }
        }
        out.close(NAME, key_picks.len())?;
    }
    let keys = gather(NAME, &key_sources, &key_picks)?;
    let values = gather(NAME, &[maps[0].values.as_ref(), maps[1].values.as_ref()], &value_picks)?;
    out.map(NAME, (&k, &v), keys, values)
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "ARRAY_LENGTH",
        category: "ARRAY",
        description: "The number of elements of an array.",
        signatures: &["ARRAY_LENGTH(ARRAY<T>) -> INT"],
        return_type: |args| one_array("ARRAY_LENGTH", args, false).map(|_| DataType::Int),
        eval: array_length,
    },
    Builtin {
        name: "ARRAY_CONTAINS",
        category: "ARRAY",
        description: "Whether an array contains a value (NULL finds NULL elements); false for a NULL array.",
        signatures: &["ARRAY_CONTAINS(ARRAY<T>, T) -> BOOLEAN"],
        return_type: |args| array_and_element("ARRAY_CONTAINS", args).map(|_| DataType::Boolean),
        eval: array_contains,
    },
    Builtin {
        name: "ARRAY_DISTINCT",
        category: "ARRAY",
        description: "The distinct elements of an array, in order of first occurrence.",
        signatures: &["ARRAY_DISTINCT(ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| one_array("ARRAY_DISTINCT", args, false).map(array),
        eval: array_distinct,
    },
    Builtin {
        name: "ARRAY_EXCEPT",
        category: "ARRAY",
        description: "The distinct elements of the first array that are not in the second.",
        signatures: &["ARRAY_EXCEPT(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_EXCEPT", args),
        eval: |args| filter_distinct("ARRAY_EXCEPT", args, false),
    },
    Builtin {
        name: "ARRAY_INTERSECT",
        category: "ARRAY",
        description: "The distinct elements that are in both arrays.",
        signatures: &["ARRAY_INTERSECT(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_INTERSECT", args),
        eval: |args| filter_distinct("ARRAY_INTERSECT", args, true),
    },
    Builtin {
        name: "ARRAY_UNION",
        category: "ARRAY",
        description: "The distinct elements that are in either array.",
        signatures: &["ARRAY_UNION(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_UNION", args),
        eval: array_union,
    },
    Builtin {
        name: "ARRAY_CONCAT",
        category: "ARRAY",
        description: "The elements of both arrays, duplicates kept; a NULL array counts as empty unless both are NULL.",
        signatures: &["ARRAY_CONCAT(ARRAY<T>, ARRAY<T>) -> ARRAY<T>"],
        return_type: |args| two_arrays("ARRAY_CONCAT", args),
        eval: array_concat,
    },
    Builtin {
        name: "ARRAY_JOIN",
        category: "ARRAY",
        description: "The elements of an array of primitive values as text, joined by a delimiter (default ',').",
        signatures: &["ARRAY_JOIN(ARRAY<T>) -> STRING", "ARRAY_JOIN(ARRAY<T>, delimiter STRING) -> STRING"],
        return_type: |args| {
            let valid = || reject("ARRAY_JOIN", args, &["ARRAY_JOIN(ARRAY<T>)", "ARRAY_JOIN(ARRAY<T>, STRING)"]);
            let elem = args.first().and_then(element_type).ok_or_else(valid)?;
            let delim_ok = args.len() == 1 || (args.len() == 2 && args[1].widens_to(&S));
            if is_primitive(&elem) && delim_ok {
                Ok(S)
            } else {
                Err(valid())
            }
        },
        eval: array_join,
    },
    Builtin {
        name: "ARRAY_MAX",
        category: "ARRAY",
        description: "The largest non-NULL element of an array.",
        signatures: &["ARRAY_MAX(ARRAY<T>) -> T"],
        return_type: |args| one_array("ARRAY_MAX", args, true),
        eval: |args| extreme("ARRAY_MAX", args, Ordering::Greater),
    },
    Builtin {
        name: "ARRAY_MIN",
        category: "ARRAY",
        description: "The smallest non-NULL element of an array.",
        signatures: &["ARRAY_MIN(ARRAY<T>) -> T"],
        return_type: |args| one_array("ARRAY_MIN", args, true),
        eval: |args| extreme("ARRAY_MIN", args, Ordering::Less),
    },
    Builtin {
        name: "ARRAY_REMOVE",
        category: "ARRAY",
        description: "The array without the elements equal to a value (NULL removes NULLs).",
        signatures: &["ARRAY_REMOVE(ARRAY<T>, T) -> ARRAY<T>"],
        return_type: |args| array_and_element("ARRAY_REMOVE", args).map(array),
        eval: array_remove,
    },
    Builtin {
        name: "ARRAY_SORT",
        category: "ARRAY",
        description: "The array sorted 'ASC' (default) or 'DESC', NULLs last; NULL for another direction.",
        signatures: &["ARRAY_SORT(ARRAY<T>) -> ARRAY<T>", "ARRAY_SORT(ARRAY<T>, direction STRING) -> ARRAY<T>"],
        return_type: |args| {
            let valid = || reject("ARRAY_SORT", args, &["ARRAY_SORT(ARRAY<T>)", "ARRAY_SORT(ARRAY<T>, STRING)"]);
            let elem = args.first().and_then(element_type).ok_or_else(valid)?;
            let dir_ok = args.len() == 1 || (args.len() == 2 && args[1].widens_to(&S));
            if is_orderable(&elem) && dir_ok {
                Ok(array(elem))
            } else {
                Err(valid())
            }
        },
        eval: array_sort,
    },
    Builtin {
        name: "SLICE",
        category: "ARRAY",
        description: "The elements from 1-based position `from` to `to`, inclusive; NULL bounds mean the ends; NULL when out of range.",
        signatures: &["SLICE(ARRAY<T>, from INT, to INT) -> ARRAY<T>"],
        return_type: |args| match args {
            [a, f, t] if element_type(a).is_some() && f.widens_to(&DataType::Int) && t.widens_to(&DataType::Int) => {
                Ok(array(element_type(a).unwrap_or(DataType::Null)))
            }
            _ => Err(reject("SLICE", args, &["SLICE(ARRAY<T>, INT, INT)"])),
        },
        eval: slice,
    },
    Builtin {
        name: "ENTRIES",
        category: "MAP",
        description: "The entries of a map as an array of STRUCT<K, V>, sorted by key if asked.",
        signatures: &["ENTRIES(MAP<STRING, T>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V T>>"],
        return_type: |args| match args {
            [m, b] if b.widens_to(&DataType::Boolean) => match map_types(m) {
                Some((k, v)) if k.widens_to(&S) => Ok(array(DataType::Struct(vec![
                    StructField { name: "K".into(), data_type: S },
                    StructField { name: "V".into(), data_type: v },
                ]))),
                _ => Err(reject("ENTRIES", args, &["ENTRIES(MAP<STRING, T>, BOOLEAN)"])),
            },
            _ => Err(reject("ENTRIES", args, &["ENTRIES(MAP<STRING, T>, BOOLEAN)"])),
        },
        eval: entries,
    },
    Builtin {
        name: "AS_MAP",
        category: "MAP",
        description: "A map from an array of keys and an array of values, paired by position.",
        signatures: &["AS_MAP(keys ARRAY<STRING>, values ARRAY<T>) -> MAP<STRING, T>"],
        return_type: |args| match args {
            [k, v] => match (element_type(k), element_type(v)) {
                (Some(kt), Some(vt)) if kt.widens_to(&S) => Ok(DataType::Map(Box::new(S), Box::new(vt))),
                _ => Err(reject("AS_MAP", args, &["AS_MAP(ARRAY<STRING>, ARRAY<T>)"])),
            },
            _ => Err(reject("AS_MAP", args, &["AS_MAP(ARRAY<STRING>, ARRAY<T>)"])),
        },
        eval: as_map,
    },
    Builtin {
        name: "MAP_KEYS",
        category: "MAP",
        description: "The keys of a map, as an array.",
        signatures: &["MAP_KEYS(MAP<K, V>) -> ARRAY<K>"],
        return_type: |args| match args {
            [m] => map_types(m).map(|(k, _)| array(k)).ok_or_else(|| reject("MAP_KEYS", args, &["MAP_KEYS(MAP<K, V>)"])),
            _ => Err(reject("MAP_KEYS", args, &["MAP_KEYS(MAP<K, V>)"])),
        },
        eval: |args| map_part("MAP_KEYS", args, true),
    },
    Builtin {
        name: "MAP_VALUES",
        category: "MAP",
        description: "The values of a map, as an array.",
        signatures: &["MAP_VALUES(MAP<K, V>) -> ARRAY<V>"],
        return_type: |args| match args {
            [m] => {
                map_types(m).map(|(_, v)| array(v)).ok_or_else(|| reject("MAP_VALUES", args, &["MAP_VALUES(MAP<K, V>)"]))
            }
            _ => Err(reject("MAP_VALUES", args, &["MAP_VALUES(MAP<K, V>)"])),
        },
        eval: |args| map_part("MAP_VALUES", args, false),
    },
    Builtin {
        name: "MAP_UNION",
        category: "MAP",
        description: "The entries of both maps; the second map's value wins for a shared key. NULL maps count as empty unless both are NULL.",
        signatures: &["MAP_UNION(MAP<K, V>, MAP<K, V>) -> MAP<K, V>"],
        return_type: |args| {
            let fail = || reject("MAP_UNION", args, &["MAP_UNION(MAP<K, V>, MAP<K, V>)"]);
            match args {
                [a, b] => {
                    let ((ka, va), (kb, vb)) = (map_types(a).ok_or_else(fail)?, map_types(b).ok_or_else(fail)?);
                    let k = DataType::common_type(&ka, &kb).ok_or_else(fail)?;
                    let v = DataType::common_type(&va, &vb).ok_or_else(fail)?;
                    Ok(DataType::Map(Box::new(k), Box::new(v)))
                }
                _ => Err(fail()),
            }
        },
        eval: map_union,
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;

    fn ints(v: &[i32]) -> Value {
        arr(v.iter().map(|i| Value::Int(*i)).collect())
    }

    fn map(entries: &[(&str, i32)]) -> Value {
        Value::Map(entries.iter().map(|(k, v)| (s(k), Value::Int(*v))).collect())
    }

    fn map_t(v: DataType) -> DataType {
        DataType::Map(Box::new(DataType::String), Box::new(v))
    }

    #[test]
    fn length_and_contains() {
        assert_eq!(call("ARRAY_LENGTH", vec![ints(&[1, 2, 3])]), Value::Int(3));
        assert_eq!(call("ARRAY_LENGTH", vec![ints(&[])]), Value::Int(0));
        assert_eq!(call_typed("ARRAY_LENGTH", &[arr_of(DataType::Int)], vec![N]).0, N);
        assert_eq!(call("ARRAY_CONTAINS", vec![ints(&[1, 2]), Value::Int(2)]), Value::Boolean(true));
        assert_eq!(call("ARRAY_CONTAINS", vec![ints(&[1, 2]), Value::Int(5)]), Value::Boolean(false));
        assert_eq!(call("ARRAY_CONTAINS", vec![ints(&[1, 2]), Value::BigInt(2)]), Value::Boolean(true));
        let t = [arr_of(DataType::Int), DataType::Int];
        assert_eq!(call_typed("ARRAY_CONTAINS", &t, vec![arr(vec![N]), N]).0, Value::Boolean(true));
        assert_eq!(call_typed("ARRAY_CONTAINS", &t, vec![N, Value::Int(1)]).0, Value::Boolean(false));
        let err = ret("ARRAY_CONTAINS", &[arr_of(DataType::Int), DataType::String]).unwrap_err();
        assert!(
            err.starts_with("function ARRAY_CONTAINS does not accept parameters (ARRAY<INTEGER>, STRING)"),
            "{err}"
        );
        assert!(ret("ARRAY_LENGTH", &[DataType::String]).unwrap_err().contains("ARRAY_LENGTH(ARRAY<T>)"));
    }

    #[test]
    fn set_operations() {
        assert_eq!(call("ARRAY_DISTINCT", vec![ints(&[1, 2, 1, 3, 2])]), ints(&[1, 2, 3]));
        assert_eq!(call("ARRAY_DISTINCT", vec![arr(vec![N, s("a"), N])]), arr(vec![N, s("a")]));
        assert_eq!(call("ARRAY_EXCEPT", vec![ints(&[1, 2, 3, 2]), ints(&[2])]), ints(&[1, 3]));
        assert_eq!(call("ARRAY_INTERSECT", vec![ints(&[1, 2, 3, 2]), ints(&[2, 3, 4])]), ints(&[2, 3]));
        assert_eq!(call("ARRAY_UNION", vec![ints(&[1, 2]), ints(&[2, 3])]), ints(&[1, 2, 3]));
        let t = [arr_of(DataType::Int), arr_of(DataType::Int)];
        assert_eq!(call_typed("ARRAY_UNION", &t, vec![N, ints(&[1])]).0, N);
        assert_eq!(call_typed("ARRAY_EXCEPT", &t, vec![ints(&[1]), N]).0, N);
        assert_eq!(
            ret("ARRAY_UNION", &[arr_of(DataType::Int), arr_of(DataType::Double)]),
            Ok(arr_of(DataType::Double))
        );
        let (v, _) = call_typed(
            "ARRAY_UNION",
            &[arr_of(DataType::Int), arr_of(DataType::BigInt)],
            vec![ints(&[1]), arr(vec![Value::BigInt(2)])],
        );
        assert_eq!(v, arr(vec![Value::BigInt(1), Value::BigInt(2)]));
        assert!(ret("ARRAY_INTERSECT", &[arr_of(DataType::Int), arr_of(DataType::String)]).is_err());
    }

    #[test]
    fn concat() {
        assert_eq!(call("ARRAY_CONCAT", vec![ints(&[1, 2]), ints(&[2])]), ints(&[1, 2, 2]));
        let t = [arr_of(DataType::Int), arr_of(DataType::Int)];
        assert_eq!(call_typed("ARRAY_CONCAT", &t, vec![N, ints(&[1])]).0, ints(&[1]));
        assert_eq!(call_typed("ARRAY_CONCAT", &t, vec![N, N]).0, N);
    }

    #[test]
    fn join() {
        assert_eq!(call("ARRAY_JOIN", vec![ints(&[1, 2, 3])]), s("1,2,3"));
        assert_eq!(call("ARRAY_JOIN", vec![strs(&["a", "b"]), s("|")]), s("a|b"));
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![Value::Double(1.0), N])]), s("1.0,null"));
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![Value::Boolean(true)]), s("")]), s("true"));
        assert!(ret("ARRAY_JOIN", &[arr_of(arr_of(DataType::Int))]).is_err());
        assert!(ret("ARRAY_JOIN", &[arr_of(DataType::Int), DataType::Int]).is_err());
    }

    #[test]
    fn max_min() {
        assert_eq!(call("ARRAY_MAX", vec![ints(&[3, 9, 1])]), Value::Int(9));
        assert_eq!(call("ARRAY_MIN", vec![ints(&[3, 9, 1])]), Value::Int(1));
        assert_eq!(call("ARRAY_MAX", vec![arr(vec![N, s("b"), s("a")])]), s("b"));
        assert_eq!(call("ARRAY_MIN", vec![ints(&[])]), N);
        assert_eq!(ret("ARRAY_MAX", &[arr_of(DataType::BigInt)]), Ok(DataType::BigInt));
        assert!(ret("ARRAY_MAX", &[arr_of(map_t(DataType::Int))]).is_err());
    }

    #[test]
    fn remove_sort_slice() {
        assert_eq!(call("ARRAY_REMOVE", vec![ints(&[1, 2, 1]), Value::Int(1)]), ints(&[2]));
        let t = [arr_of(DataType::Int), DataType::Int];
        assert_eq!(call_typed("ARRAY_REMOVE", &t, vec![arr(vec![N, Value::Int(1)]), N]).0, ints(&[1]));
        assert_eq!(call("ARRAY_SORT", vec![ints(&[3, 1, 2])]), ints(&[1, 2, 3]));
        assert_eq!(call("ARRAY_SORT", vec![ints(&[3, 1, 2]), s("desc")]), ints(&[3, 2, 1]));
        assert_eq!(call("ARRAY_SORT", vec![arr(vec![N, s("b"), s("a")])]), arr(vec![s("a"), s("b"), N]));
        assert_eq!(call("ARRAY_SORT", vec![arr(vec![N, s("b"), s("a")]), s("DESC")]), arr(vec![s("b"), s("a"), N]));
        assert_eq!(call("ARRAY_SORT", vec![ints(&[1]), s("sideways")]), N);
        let slice = |f: Value, t: Value| {
            call_typed("SLICE", &[arr_of(DataType::Int), DataType::Int, DataType::Int], vec![ints(&[1, 2, 3, 4]), f, t])
                .0
        };
        assert_eq!(slice(Value::Int(2), Value::Int(3)), ints(&[2, 3]));
        assert_eq!(slice(N, Value::Int(2)), ints(&[1, 2]));
        assert_eq!(slice(Value::Int(3), N), ints(&[3, 4]));
        assert_eq!(slice(Value::Int(0), Value::Int(2)), N);
        assert_eq!(slice(Value::Int(1), Value::Int(9)), N);
        assert!(ret("SLICE", &[arr_of(DataType::Int), DataType::Int]).is_err());
    }

    #[test]
    fn maps() {
        let m = map(&[("b", 2), ("a", 1)]);
        assert_eq!(call("MAP_KEYS", vec![m.clone()]), strs(&["b", "a"]));
        assert_eq!(call("MAP_VALUES", vec![m.clone()]), ints(&[2, 1]));
        assert_eq!(ret("MAP_VALUES", &[map_t(DataType::Double)]), Ok(arr_of(DataType::Double)));
        assert_eq!(
            call("MAP_UNION", vec![m.clone(), map(&[("a", 5), ("c", 3)])]),
            map(&[("b", 2), ("a", 5), ("c", 3)])
        );
        let t = [map_t(DataType::Int), map_t(DataType::Int)];
        assert_eq!(call_typed("MAP_UNION", &t, vec![N, m.clone()]).0, m);
        assert_eq!(call_typed("MAP_UNION", &t, vec![N, N]).0, N);
        assert!(ret("MAP_KEYS", &[arr_of(DataType::Int)]).unwrap_err().contains("MAP_KEYS(MAP<K, V>)"));
        assert_eq!(
            call("AS_MAP", vec![strs(&["a", "b"]), ints(&[1])]),
            Value::Map(vec![(s("a"), Value::Int(1)), (s("b"), N)])
        );
        assert_eq!(ret("AS_MAP", &[arr_of(DataType::String), arr_of(DataType::Int)]), Ok(map_t(DataType::Int)));
        assert!(ret("AS_MAP", &[arr_of(DataType::Int), arr_of(DataType::Int)]).is_err());
    }

    #[test]
    fn entries() {
        let m = map(&[("b", 2), ("a", 1)]);
        let st = |k: &str, v: i32| Value::Struct(vec![s(k), Value::Int(v)]);
        assert_eq!(call("ENTRIES", vec![m.clone(), Value::Boolean(true)]), arr(vec![st("a", 1), st("b", 2)]));
        assert_eq!(call("ENTRIES", vec![m, Value::Boolean(false)]), arr(vec![st("b", 2), st("a", 1)]));
        let t = ret("ENTRIES", &[map_t(DataType::Int), DataType::Boolean]).unwrap_or(DataType::Null);
        assert_eq!(t.to_string(), "ARRAY<STRUCT<`K` STRING, `V` INTEGER>>");
        assert!(ret("ENTRIES", &[map_t(DataType::Int)]).is_err());
    }

    #[test]
    fn constant_arguments() {
        let int_array = arr_of(DataType::Int);
        let (v, e) = call_scalars("ARRAY_DISTINCT", std::slice::from_ref(&int_array), vec![ints(&[1, 2, 1])], 3);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(v, vec![ints(&[1, 2]); 3]);
        let t = [arr_of(DataType::String), DataType::String];
        assert_eq!(call_scalars("ARRAY_JOIN", &t, vec![strs(&["a", "b"]), s("-")], 3).0, vec![s("a-b"); 3]);
        let t = [int_array.clone(), DataType::BigInt];
        let v = call_scalars("ARRAY_CONTAINS", &t, vec![ints(&[1, 2]), Value::BigInt(2)], 3).0;
        assert_eq!(v, vec![Value::Boolean(true); 3]);
        let t = [int_array.clone(), DataType::Int, DataType::Int];
        assert_eq!(call_scalars("SLICE", &t, vec![ints(&[1, 2, 3]), Value::Int(2), N], 3).0, vec![ints(&[2, 3]); 3]);
        assert_eq!(
            call_scalars("ARRAY_MAX", std::slice::from_ref(&int_array), vec![ints(&[4, 7])], 3).0,
            vec![Value::Int(7); 3]
        );
        let t = [int_array.clone(), DataType::String];
        assert_eq!(call_scalars("ARRAY_SORT", &t, vec![ints(&[2, 3, 1]), N], 3).0, vec![N; 3]);
        let m = map(&[("b", 2), ("a", 1)]);
        assert_eq!(call_scalars("MAP_KEYS", &[map_t(DataType::Int)], vec![m.clone()], 3).0, vec![strs(&["b", "a"]); 3]);
        let t = [map_t(DataType::Int), map_t(DataType::Int)];
        let v = call_scalars("MAP_UNION", &t, vec![m.clone(), map(&[("a", 5)])], 3).0;
        assert_eq!(v, vec![map(&[("b", 2), ("a", 5)]); 3]);
        let st = |k: &str, v: i32| Value::Struct(vec![s(k), Value::Int(v)]);
        let v = call_scalars("ENTRIES", &[map_t(DataType::Int), DataType::Boolean], vec![m, Value::Boolean(true)], 3).0;
        assert_eq!(v, vec![arr(vec![st("a", 1), st("b", 2)]); 3]);
    }

    #[test]
    fn columns_of_several_rows() {
        let int_array = arr_of(DataType::Int);
        let (v, _) = call_cols(
            "ARRAY_DISTINCT",
            std::slice::from_ref(&int_array),
            vec![vec![ints(&[1, 1]), N, ints(&[]), ints(&[2, 3, 2])]],
        );
        assert_eq!(v, vec![ints(&[1]), N, ints(&[]), ints(&[2, 3])]);
        let (v, _) = call_cols(
            "ARRAY_SORT",
            &[int_array.clone(), DataType::String],
            vec![vec![ints(&[2, 1]), ints(&[1, 2]), ints(&[3])], vec![s("DESC"), s("asc"), N]],
        );
        assert_eq!(v, vec![ints(&[2, 1]), ints(&[1, 2]), N]);
        let (v, _) = call_cols(
            "ARRAY_MIN",
            std::slice::from_ref(&int_array),
            vec![vec![ints(&[3, 9]), N, ints(&[]), arr(vec![N, Value::Int(4)])]],
        );
        assert_eq!(v, vec![Value::Int(3), N, N, Value::Int(4)]);
        let t = [int_array.clone(), arr_of(DataType::BigInt)];
        let big = |v: &[i64]| arr(v.iter().map(|i| Value::BigInt(*i)).collect());
        let (v, _) = call_cols("ARRAY_CONCAT", &t, vec![vec![ints(&[1]), N, N], vec![big(&[2]), big(&[3]), N]]);
        assert_eq!(v, vec![big(&[1, 2]), big(&[3]), N]);
        let (v, _) = call_cols("ARRAY_EXCEPT", &t, vec![vec![ints(&[1, 2, 1]), ints(&[5])], vec![big(&[2]), big(&[])]]);
        assert_eq!(v, vec![big(&[1]), big(&[5])]);
        let (v, _) =
            call_cols("MAP_VALUES", &[map_t(DataType::Int)], vec![vec![map(&[("a", 1)]), N, map(&[("b", 2)])]]);
        assert_eq!(v, vec![ints(&[1]), N, ints(&[2])]);
        let (v, _) = call_cols("ARRAY_LENGTH", &[int_array], vec![vec![ints(&[1, 2]), N, ints(&[])]]);
        assert_eq!(v, vec![Value::Int(2), N, Value::Int(0)]);
    }

    #[test]
    fn nested_elements_compare_with_nulls_equal_and_maps_unordered() {
        let t = [arr_of(map_t(DataType::Int))];
        let maps = arr(vec![map(&[("a", 1), ("b", 2)]), map(&[("b", 2), ("a", 1)]), map(&[("a", 1)]), N, N]);
        let v = call_typed("ARRAY_DISTINCT", &t, vec![maps]).0;
        assert_eq!(v, arr(vec![map(&[("a", 1), ("b", 2)]), map(&[("a", 1)]), N]));
        let with_null = arr(vec![Value::Int(1), N]);
        let t = [arr_of(arr_of(DataType::Int)), arr_of(DataType::Int)];
        let v = call_typed("ARRAY_CONTAINS", &t, vec![arr(vec![ints(&[2]), with_null.clone()]), with_null.clone()]).0;
        assert_eq!(v, Value::Boolean(true));
        let v = call_typed("ARRAY_REMOVE", &t, vec![arr(vec![with_null.clone(), ints(&[1])]), with_null]).0;
        assert_eq!(v, arr(vec![ints(&[1])]));
    }

    #[test]
    fn join_prints_every_primitive_type() {
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![dec("1.50"), dec("-0.25")])]), s("1.50,-0.25"));
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![Value::Bytes(vec![10u8, 255].into())])]), s("0aff"));
        assert_eq!(call("ARRAY_JOIN", vec![arr(vec![Value::BigInt(-5), N]), N]), s("-5null"));
        let t = [arr_of(DataType::Timestamp)];
        assert_eq!(call_typed("ARRAY_JOIN", &t, vec![arr(vec![Value::Timestamp(1000)])]).0, s("1000"));
    }

    #[test]
    fn as_map_keeps_the_last_value_and_skips_null_keys() {
        let keys = arr(vec![s("a"), N, s("b"), s("a")]);
        let t = [arr_of(DataType::String), arr_of(DataType::Int)];
        let v = call_typed("AS_MAP", &t, vec![keys, ints(&[1, 2, 3, 4])]).0;
        assert_eq!(v, map(&[("a", 4), ("b", 3)]));
        assert_eq!(call_typed("AS_MAP", &t, vec![strs(&["a"]), N]).0, N);
    }
}
