//! The built-in accumulators, one per aggregate function (ksqlDB's semantics noted on
//! each).

use std::cmp::Ordering;
use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType as ArrowType;
use wasp_sql::aggregate::AggregateCall;
use wasp_sql::{BoundExpr, DataType, Value};

use super::cell::{fixed, Cell};
use super::{Accumulator, COLLECTION_LIMIT};
use crate::columnar::ColumnBuilder;

/// The accumulator for `call`.
pub fn create(call: &AggregateCall) -> Result<Box<dyn Accumulator>, String> {
    let arg_type = call.args.first().map(BoundExpr::data_type);
    Ok(match call.name.as_str() {
        "COUNT" => Box::new(Count { star: call.args.is_empty(), n: Vec::new() }),
        "SUM" => match arg_type {
            Some(DataType::Double) => Box::new(SumDouble(Vec::new())),
            Some(DataType::Decimal { precision, .. }) => {
                Box::new(SumDecimal { sums: Vec::new(), bound: 10i128.pow(u32::from(precision)) })
            }
            _ => Box::new(SumInt(Vec::new())),
        },
        "AVG" => Box::new(Avg { scale: decimal_scale(arg_type.as_ref()), sums: Vec::new(), counts: Vec::new() }),
        "SUM_LIST" => match arg_type {
            Some(DataType::Array(item)) if *item == DataType::Double => {
                Box::new(SumList { ints: false, sums: Vec::new() })
            }
            _ => Box::new(SumList { ints: true, sums: Vec::new() }),
        },
        "STDDEV_SAMP" | "STDDEV_SAMPLE" => Box::new(Stddev {
            root: call.name == "STDDEV_SAMPLE",
            scale: decimal_scale(arg_type.as_ref()),
            stats: Vec::new(),
        }),
        "MIN" => Box::new(Extreme { max: false, cells: Vec::new() }),
        "MAX" => Box::new(Extreme { max: true, cells: Vec::new() }),
        "EARLIEST_BY_OFFSET" | "LATEST_BY_OFFSET" => {
            let latest = call.name == "LATEST_BY_OFFSET";
            // `(x)`, `(x, ignore_nulls)`, `(x, n)` or `(x, n, ignore_nulls)`.
            let flag_at = match call.args.get(1).map(BoundExpr::data_type) {
                Some(DataType::Boolean) => 1,
                _ => 2,
            };
            let n = match call.args.get(1).filter(|_| flag_at == 2) {
                Some(e) => Some(positive(e, &call.name)?),
                None => None,
            };
            let ignore_nulls = match call.args.get(flag_at) {
                Some(BoundExpr::Literal { value: Value::Boolean(b), .. }) => *b,
                Some(_) => return Err(format!("{}'s third argument must be a literal", call.name)),
                None => true,
            };
            Box::new(ByOffset { latest, n, ignore_nulls, items: Vec::new() })
        }
        "COLLECT_LIST" => Box::new(Collect { set: false, items: Vec::new() }),
        "COLLECT_SET" => Box::new(Collect { set: true, items: Vec::new() }),
        "COUNT_DISTINCT" => Box::new(CountDistinct(Vec::new())),
        "TOPK" | "TOPKDISTINCT" => Box::new(TopK {
            k: positive(&call.args[1], &call.name)?,
            distinct: call.name == "TOPKDISTINCT",
            items: Vec::new(),
        }),
        "HISTOGRAM" => Box::new(Histogram(Vec::new())),
        other => return Err(format!("unknown aggregate function {other}")),
    })
}

fn decimal_scale(t: Option<&DataType>) -> i32 {
    match t {
        Some(DataType::Decimal { scale, .. }) => i32::from(*scale),
        _ => 0,
    }
}

/// A literal count argument (TOPK's k, EARLIEST_BY_OFFSET's n).
fn positive(e: &BoundExpr, name: &str) -> Result<usize, String> {
    match e {
        BoundExpr::Literal { value: Value::Int(n), .. } if *n > 0 => Ok(*n as usize),
        BoundExpr::Literal { value: Value::BigInt(n), .. } if *n > 0 => Ok(*n as usize),
        _ => Err(format!("{name}'s count must be a positive integer literal")),
    }
}

fn resize<T: Clone>(v: &mut Vec<T>, n: usize, empty: T) {
    if v.len() < n {
        v.resize(n, empty);
    }
}

/// An INT, BIGINT, TIMESTAMP, DATE or TIME argument as `i64`.
fn int_at(a: &dyn Array, row: usize) -> Option<i64> {
    if a.is_null(row) {
        return None;
    }
    match a.data_type() {
        ArrowType::Int32 => Some(i64::from(a.as_primitive::<Int32Type>().value(row))),
        ArrowType::Int64 => Some(a.as_primitive::<Int64Type>().value(row)),
        ArrowType::Decimal128(..) => i64::try_from(a.as_primitive::<Decimal128Type>().value(row)).ok(),
        _ => None,
    }
}

/// A numeric argument as `f64`, DECIMAL unscaled by `scale`.
fn num_at(a: &dyn Array, row: usize, scale: i32) -> Option<f64> {
    if a.is_null(row) {
        return None;
    }
    match a.data_type() {
        ArrowType::Float64 => Some(a.as_primitive::<Float64Type>().value(row)),
        ArrowType::Decimal128(..) => Some(a.as_primitive::<Decimal128Type>().value(row) as f64 / 10f64.powi(scale)),
        _ => int_at(a, row).map(|v| v as f64),
    }
}

/// `COUNT(*)` counts rows; `COUNT(x)` the rows where `x` is not NULL.
struct Count {
    star: bool,
    n: Vec<i64>,
}

impl Accumulator for Count {
    fn resize(&mut self, n: usize) {
        resize(&mut self.n, n, 0);
    }
    fn reset(&mut self, g: usize) {
        self.n[g] = 0;
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        if self.star || args.first().is_some_and(|a| !a.is_null(row)) {
            self.n[g] += 1;
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        out.push_i64(self.n[g]);
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.n[g].to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.n[g] = i64::from_le_bytes(fixed(input)?);
        Ok(())
    }
}

/// SUM over INT or BIGINT: starts at 0, skips NULLs, wraps on overflow as Java's
/// `int` and `long` do (an INT result keeps the low 32 bits).
struct SumInt(Vec<i64>);

impl Accumulator for SumInt {
    fn resize(&mut self, n: usize) {
        resize(&mut self.0, n, 0);
    }
    fn reset(&mut self, g: usize) {
        self.0[g] = 0;
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        if let Some(v) = int_at(args[0].as_ref(), row) {
            self.0[g] = self.0[g].wrapping_add(v);
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        if matches!(out, ColumnBuilder::Int(_)) {
            out.push_i32(self.0[g] as i32);
        } else {
            out.push_i64(self.0[g]);
        }
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0[g].to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.0[g] = i64::from_le_bytes(fixed(input)?);
        Ok(())
    }
}

/// SUM over DOUBLE.
struct SumDouble(Vec<f64>);

impl Accumulator for SumDouble {
    fn resize(&mut self, n: usize) {
        resize(&mut self.0, n, 0.0);
    }
    fn reset(&mut self, g: usize) {
        self.0[g] = 0.0;
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        if let Some(v) = num_at(args[0].as_ref(), row, 0) {
            self.0[g] += v;
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        out.push_f64(self.0[g]);
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0[g].to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.0[g] = f64::from_le_bytes(fixed(input)?);
        Ok(())
    }
}

/// SUM over DECIMAL(p, s): the sum keeps the argument's precision and scale, and a sum
/// that no longer fits is an error (ksqlDB: "Numeric field overflow").
struct SumDecimal {
    sums: Vec<i128>,
    /// 10^p: the first magnitude that does not fit.
    bound: i128,
}

impl Accumulator for SumDecimal {
    fn resize(&mut self, n: usize) {
        resize(&mut self.sums, n, 0);
    }
    fn reset(&mut self, g: usize) {
        self.sums[g] = 0;
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let a = args[0].as_ref();
        if a.is_null(row) {
            return Ok(());
        }
        let v = a.as_primitive::<Decimal128Type>().value(row);
        match self.sums[g].checked_add(v) {
            Some(s) if s.abs() < self.bound => {
                self.sums[g] = s;
                Ok(())
            }
            _ => Err("Numeric field overflow".into()),
        }
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        out.push_i128(self.sums[g]);
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sums[g].to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.sums[g] = i128::from_le_bytes(fixed(input)?);
        Ok(())
    }
}

/// SUM_LIST: the sum of every element of every array, NULL arrays and elements
/// skipped; INT and BIGINT items wrap as Java's do.
struct SumList {
    ints: bool,
    /// Integer sums as their bits, double sums as `f64` bits.
    sums: Vec<u64>,
}

impl Accumulator for SumList {
    fn resize(&mut self, n: usize) {
        let zero = if self.ints { 0 } else { 0f64.to_bits() };
        resize(&mut self.sums, n, zero);
    }
    fn reset(&mut self, g: usize) {
        self.sums[g] = if self.ints { 0 } else { 0f64.to_bits() };
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let a = args[0].as_ref();
        let Some(lists) = a.as_list_opt::<i32>() else { return Ok(()) };
        if lists.is_null(row) {
            return Ok(());
        }
        let items = lists.value(row);
        for i in 0..items.len() {
            if self.ints {
                if let Some(v) = int_at(items.as_ref(), i) {
                    self.sums[g] = (self.sums[g] as i64).wrapping_add(v) as u64;
                }
            } else if let Some(v) = num_at(items.as_ref(), i, 0) {
                self.sums[g] = (f64::from_bits(self.sums[g]) + v).to_bits();
            }
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        if !self.ints {
            out.push_f64(f64::from_bits(self.sums[g]));
        } else if matches!(out, ColumnBuilder::Int(_)) {
            out.push_i32(self.sums[g] as i64 as i32);
        } else {
            out.push_i64(self.sums[g] as i64);
        }
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sums[g].to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.sums[g] = u64::from_le_bytes(fixed(input)?);
        Ok(())
    }
}

/// AVG: the sum over the count of non-NULL values, a DOUBLE; 0.0 before any value
/// (ksqlDB's AVG maps an empty aggregate to 0).
struct Avg {
    scale: i32,
    sums: Vec<f64>,
    counts: Vec<i64>,
}

impl Accumulator for Avg {
    fn resize(&mut self, n: usize) {
        resize(&mut self.sums, n, 0.0);
        resize(&mut self.counts, n, 0);
    }
    fn reset(&mut self, g: usize) {
        self.sums[g] = 0.0;
        self.counts[g] = 0;
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        if let Some(v) = num_at(args[0].as_ref(), row, self.scale) {
            self.sums[g] += v;
            self.counts[g] += 1;
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        let n = self.counts[g];
        out.push_f64(if n == 0 { 0.0 } else { self.sums[g] / n as f64 });
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sums[g].to_le_bytes());
        out.extend_from_slice(&self.counts[g].to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.sums[g] = f64::from_le_bytes(fixed(input)?);
        self.counts[g] = i64::from_le_bytes(fixed(input)?);
        Ok(())
    }
}

/// STDDEV_SAMPLE, the sample standard deviation, and STDDEV_SAMP, which in ksqlDB is
/// the sample variance (its square, whatever the name says); 0.0 with fewer than two
/// values. The sum of squared deviations grows as ksqlDB grows it, by
/// `(n x - sum)^2 / (n (n + 1))` per value, so results agree to the last digit.
struct Stddev {
    root: bool,
    scale: i32,
    /// (count, sum, sum of squared deviations) per group.
    stats: Vec<(i64, f64, f64)>,
}

impl Accumulator for Stddev {
    fn resize(&mut self, n: usize) {
        resize(&mut self.stats, n, (0, 0.0, 0.0));
    }
    fn reset(&mut self, g: usize) {
        self.stats[g] = (0, 0.0, 0.0);
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        if let Some(x) = num_at(args[0].as_ref(), row, self.scale) {
            let (n, sum, m2) = &mut self.stats[g];
            if *n > 0 {
                let c = *n as f64;
                *m2 += (c * x - *sum).powi(2) / (c * (c + 1.0));
            }
            *n += 1;
            *sum += x;
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        let (n, _, m2) = self.stats[g];
        let variance = if n < 2 { 0.0 } else { m2 / (n - 1) as f64 };
        out.push_f64(if self.root { variance.sqrt() } else { variance });
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        let (n, sum, m2) = self.stats[g];
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&sum.to_le_bytes());
        out.extend_from_slice(&m2.to_le_bytes());
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.stats[g] =
            (i64::from_le_bytes(fixed(input)?), f64::from_le_bytes(fixed(input)?), f64::from_le_bytes(fixed(input)?));
        Ok(())
    }
}

/// MIN and MAX: NULLs are skipped; NULL until a value arrives.
struct Extreme {
    max: bool,
    cells: Vec<Option<Cell>>,
}

impl Accumulator for Extreme {
    fn resize(&mut self, n: usize) {
        resize(&mut self.cells, n, None);
    }
    fn reset(&mut self, g: usize) {
        self.cells[g] = None;
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let a = args[0].as_ref();
        let wanted = if self.max { Ordering::Greater } else { Ordering::Less };
        let replace = match &self.cells[g] {
            Some(current) => current.compare_row(a, row) == Some(wanted),
            None => true,
        };
        if replace {
            if let Some(c) = Cell::read(a, row) {
                self.cells[g] = Some(c);
            }
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        match &self.cells[g] {
            Some(c) => c.push(out),
            None => out.append_null(),
        }
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        encode_cells(self.cells[g].iter(), out);
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.cells[g] = decode_cells(input)?.pop();
        Ok(())
    }
}

/// EARLIEST_BY_OFFSET and LATEST_BY_OFFSET: the first or last value in the order the
/// rows arrive, NULLs skipped unless told otherwise; with a count, the first or last
/// `n` values as an array. A NULL that is kept is stored as `None`.
struct ByOffset {
    latest: bool,
    n: Option<usize>,
    ignore_nulls: bool,
    items: Vec<Vec<Option<Cell>>>,
}

impl Accumulator for ByOffset {
    fn resize(&mut self, n: usize) {
        resize(&mut self.items, n, Vec::new());
    }
    fn reset(&mut self, g: usize) {
        self.items[g].clear();
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let cell = Cell::read(args[0].as_ref(), row);
        if cell.is_none() && self.ignore_nulls {
            return Ok(());
        }
        let keep = self.n.unwrap_or(1);
        let items = &mut self.items[g];
        if self.latest {
            items.push(cell);
            if items.len() > keep {
                items.remove(0);
            }
        } else if items.len() < keep {
            items.push(cell);
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        let items = &self.items[g];
        if self.n.is_none() {
            match items.first() {
                Some(Some(c)) => c.push(out),
                _ => out.append_null(),
            }
            return;
        }
        if let Some(item) = out.list_items() {
            for c in items {
                match c {
                    Some(c) => c.push(item),
                    None => item.append_null(),
                }
            }
        }
        out.close_list();
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        encode_optional(&self.items[g], out);
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.items[g] = decode_optional(input)?;
        Ok(())
    }
}

/// COLLECT_LIST (every value, NULLs included, in arrival order) and COLLECT_SET (each
/// value once, NULL too), up to [`COLLECTION_LIMIT`] items, as ksqlDB collects them.
struct Collect {
    set: bool,
    items: Vec<Vec<Option<Cell>>>,
}

impl Accumulator for Collect {
    fn resize(&mut self, n: usize) {
        resize(&mut self.items, n, Vec::new());
    }
    fn reset(&mut self, g: usize) {
        self.items[g].clear();
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let items = &mut self.items[g];
        if items.len() >= COLLECTION_LIMIT {
            return Ok(());
        }
        let a = args[0].as_ref();
        let cell = Cell::read(a, row);
        if self.set {
            let seen = match &cell {
                None => items.iter().any(Option::is_none),
                Some(_) => items.iter().flatten().any(|c| c.compare_row(a, row) == Some(Ordering::Equal)),
            };
            if seen {
                return Ok(());
            }
        }
        items.push(cell);
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        if let Some(item) = out.list_items() {
            for c in &self.items[g] {
                match c {
                    Some(c) => c.push(item),
                    None => item.append_null(),
                }
            }
        }
        out.close_list();
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        encode_optional(&self.items[g], out);
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.items[g] = decode_optional(input)?;
        Ok(())
    }
}

/// COUNT_DISTINCT: how many distinct non-NULL values.
struct CountDistinct(Vec<HashSet<Vec<u8>>>);

impl Accumulator for CountDistinct {
    fn resize(&mut self, n: usize) {
        if self.0.len() < n {
            self.0.resize_with(n, HashSet::new);
        }
    }
    fn reset(&mut self, g: usize) {
        self.0[g].clear();
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        if let Some(c) = Cell::read(args[0].as_ref(), row) {
            let mut bytes = Vec::new();
            c.encode(&mut bytes);
            self.0[g].insert(bytes);
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        out.push_i64(self.0[g].len() as i64);
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        let set = &self.0[g];
        out.extend_from_slice(&(set.len() as u32).to_le_bytes());
        for item in set {
            out.extend_from_slice(&(item.len() as u32).to_le_bytes());
            out.extend_from_slice(item);
        }
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        let n = u32::from_le_bytes(fixed(input)?) as usize;
        let set = &mut self.0[g];
        set.clear();
        for _ in 0..n {
            let len = u32::from_le_bytes(fixed(input)?) as usize;
            set.insert(super::cell::take(input, len)?.to_vec());
        }
        Ok(())
    }
}

/// TOPK and TOPKDISTINCT: the `k` largest non-NULL values, largest first.
struct TopK {
    k: usize,
    distinct: bool,
    items: Vec<Vec<Cell>>,
}

impl Accumulator for TopK {
    fn resize(&mut self, n: usize) {
        resize(&mut self.items, n, Vec::new());
    }
    fn reset(&mut self, g: usize) {
        self.items[g].clear();
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let a = args[0].as_ref();
        let items = &mut self.items[g];
        if items.len() == self.k && items.last().and_then(|c| c.compare_row(a, row)) != Some(Ordering::Greater) {
            return Ok(());
        }
        if self.distinct && items.iter().any(|c| c.compare_row(a, row) == Some(Ordering::Equal)) {
            return Ok(());
        }
        let Some(cell) = Cell::read(a, row) else { return Ok(()) };
        let at = items.iter().position(|c| cell.total_cmp(c) == Ordering::Greater).unwrap_or(items.len());
        items.insert(at, cell);
        items.truncate(self.k);
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        push_list(&self.items[g], out);
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        encode_cells(self.items[g].iter(), out);
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        self.items[g] = decode_cells(input)?;
        Ok(())
    }
}

/// HISTOGRAM: how often each non-NULL string occurs, up to [`COLLECTION_LIMIT`]
/// distinct strings, in order of first occurrence.
struct Histogram(Vec<Vec<(Box<str>, i64)>>);

impl Accumulator for Histogram {
    fn resize(&mut self, n: usize) {
        resize(&mut self.0, n, Vec::new());
    }
    fn reset(&mut self, g: usize) {
        self.0[g].clear();
    }
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String> {
        let a = args[0].as_ref();
        if a.is_null(row) {
            return Ok(());
        }
        let Some(strings) = a.as_string_opt::<i32>() else { return Ok(()) };
        let s = strings.value(row);
        let counts = &mut self.0[g];
        match counts.iter().position(|(k, _)| &**k == s) {
            Some(i) => counts[i].1 += 1,
            None if counts.len() < COLLECTION_LIMIT => counts.push((s.into(), 1)),
            None => {}
        }
        Ok(())
    }
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder) {
        if let Some((keys, values)) = out.map_entries() {
            for (k, n) in &self.0[g] {
                keys.push_str(k);
                values.push_i64(*n);
            }
        }
        out.close_map();
    }
    fn encode(&self, g: usize, out: &mut Vec<u8>) {
        let counts = &self.0[g];
        out.extend_from_slice(&(counts.len() as u32).to_le_bytes());
        for (k, n) in counts {
            out.extend_from_slice(&(k.len() as u32).to_le_bytes());
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String> {
        let n = u32::from_le_bytes(fixed(input)?) as usize;
        let counts = &mut self.0[g];
        counts.clear();
        for _ in 0..n {
            let len = u32::from_le_bytes(fixed(input)?) as usize;
            let k = std::str::from_utf8(super::cell::take(input, len)?).map_err(|e| e.to_string())?;
            counts.push((k.into(), i64::from_le_bytes(fixed(input)?)));
        }
        Ok(())
    }
}

fn push_list(items: &[Cell], out: &mut ColumnBuilder) {
    if let Some(item) = out.list_items() {
        for c in items {
            c.push(item);
        }
    }
    out.close_list();
}

fn encode_cells<'a>(cells: impl ExactSizeIterator<Item = &'a Cell>, out: &mut Vec<u8>) {
    out.extend_from_slice(&(cells.len() as u32).to_le_bytes());
    for c in cells {
        c.encode(out);
    }
}

/// Cells that may be NULL: a count, then each cell or a 0 byte for NULL.
fn encode_optional(cells: &[Option<Cell>], out: &mut Vec<u8>) {
    out.extend_from_slice(&(cells.len() as u32).to_le_bytes());
    for c in cells {
        match c {
            Some(c) => c.encode(out),
            None => out.push(0),
        }
    }
}

fn decode_optional(input: &mut &[u8]) -> Result<Vec<Option<Cell>>, String> {
    let n = u32::from_le_bytes(fixed(input)?) as usize;
    let mut cells = Vec::with_capacity(n);
    for _ in 0..n {
        if input.first() == Some(&0) {
            *input = &input[1..];
            cells.push(None);
        } else {
            cells.push(Some(Cell::decode(input)?));
        }
    }
    Ok(cells)
}

fn decode_cells(input: &mut &[u8]) -> Result<Vec<Cell>, String> {
    let n = u32::from_le_bytes(fixed(input)?) as usize;
    (0..n).map(|_| Cell::decode(input)).collect()
}
