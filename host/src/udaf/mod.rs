//! Aggregate functions (ksqlDB's UDAFs): their signatures, for the binder, and their
//! accumulators, for the `Aggregate` operator.
//!
//! An accumulator keeps one state per group in vectors indexed by group id, so folding
//! a row is an index, not a lookup; it reads its arguments from the batch's Arrow
//! arrays and appends its results to an Arrow builder. A group's state has a byte
//! form ([`Accumulator::encode`]) for the state store and its changelog.

mod accumulators;
pub mod cell;

use arrow_array::ArrayRef;
use wasp_sql::aggregate::AggregateCall;
use wasp_sql::DataType;

use crate::columnar::ColumnBuilder;
pub use accumulators::create;

/// How many items COLLECT_LIST, COLLECT_SET and HISTOGRAM keep per group, as ksqlDB's
/// `ksql.functions.collect_list.limit` default.
pub const COLLECTION_LIMIT: usize = 1000;

/// The state of one aggregate call across all groups.
pub trait Accumulator: Send {
    /// Makes room for groups `0..n` (new groups start empty).
    fn resize(&mut self, n: usize);

    /// Empties group `g` (its slot is reused for another group).
    fn reset(&mut self, g: usize);

    /// Folds row `row` of `args` (the call's arguments, evaluated over the batch) into
    /// group `g`. An error leaves the group as it was.
    fn fold(&mut self, args: &[ArrayRef], row: usize, g: usize) -> Result<(), String>;

    /// Appends group `g`'s result to `out`, a column of the call's type.
    fn evaluate(&self, g: usize, out: &mut ColumnBuilder);

    /// Appends group `g`'s state to `out`.
    fn encode(&self, g: usize, out: &mut Vec<u8>);

    /// Replaces group `g`'s state with what [`encode`](Self::encode) wrote, advancing
    /// `input` past it.
    fn decode(&mut self, g: usize, input: &mut &[u8]) -> Result<(), String>;
}

/// The names of the aggregate functions, for `SHOW FUNCTIONS` and hints.
pub const NAMES: &[&str] = &[
    "AVG",
    "COLLECT_LIST",
    "COLLECT_SET",
    "COUNT",
    "COUNT_DISTINCT",
    "EARLIEST_BY_OFFSET",
    "HISTOGRAM",
    "LATEST_BY_OFFSET",
    "MAX",
    "MIN",
    "STDDEV_SAMP",
    "STDDEV_SAMPLE",
    "SUM",
    "SUM_LIST",
    "TOPK",
    "TOPKDISTINCT",
];

/// The result type of aggregate `name` over `args`; `None` when `name` is not an
/// aggregate, `Some` of anything for `args = []` when it is.
pub fn return_type(name: &str, args: &[DataType]) -> Option<Result<DataType, String>> {
    let name = name.to_ascii_uppercase();
    if !NAMES.contains(&name.as_str()) {
        return None;
    }
    if args.is_empty() {
        // `COUNT(*)` (and the binder's "is this an aggregate?" probe).
        return Some(if name == "COUNT" { Ok(DataType::BigInt) } else { Err(arity(&name, 0)) });
    }
    let t = &args[0];
    let kept = |t: &DataType| {
        matches!(
            t,
            DataType::Boolean
                | DataType::Int
                | DataType::BigInt
                | DataType::Double
                | DataType::Decimal { .. }
                | DataType::String
                | DataType::Bytes
                | DataType::Timestamp
                | DataType::Date
                | DataType::Time
        )
    };
    let numeric = matches!(t, DataType::Int | DataType::BigInt | DataType::Double | DataType::Decimal { .. });
    let unsupported = || Err(format!("Function '{name}' does not accept parameters ({t})."));
    Some(match name.as_str() {
        "COUNT" if args.len() == 1 => Ok(DataType::BigInt),
        "COUNT_DISTINCT" if args.len() == 1 => {
            if kept(t) {
                Ok(DataType::BigInt)
            } else {
                unsupported()
            }
        }
        "SUM" if args.len() == 1 => {
            if numeric {
                Ok(t.clone())
            } else {
                unsupported()
            }
        }
        "SUM_LIST" if args.len() == 1 => match t {
            DataType::Array(item) if matches!(**item, DataType::Int | DataType::BigInt | DataType::Double) => {
                Ok((**item).clone())
            }
            _ => unsupported(),
        },
        "AVG" | "STDDEV_SAMP" | "STDDEV_SAMPLE" if args.len() == 1 => {
            if numeric {
                Ok(DataType::Double)
            } else {
                unsupported()
            }
        }
        "MIN" | "MAX" if args.len() == 1 => {
            if kept(t) && *t != DataType::Boolean {
                Ok(t.clone())
            } else {
                unsupported()
            }
        }
        "COLLECT_LIST" | "COLLECT_SET" if args.len() == 1 => {
            if kept(t) {
                Ok(DataType::Array(Box::new(t.clone())))
            } else {
                unsupported()
            }
        }
        "EARLIEST_BY_OFFSET" | "LATEST_BY_OFFSET" if (1..=3).contains(&args.len()) => {
            if !kept(t) {
                unsupported()
            } else if args.len() == 2 && args[1] == DataType::Boolean {
                // `(x, ignore_nulls)`
                Ok(t.clone())
            } else if args.len() >= 2 {
                if !matches!(args[1], DataType::Int | DataType::BigInt) {
                    Err(format!("{name}'s second argument is the number of values to keep, an INT"))
                } else if args.len() == 3 && args[2] != DataType::Boolean {
                    Err(format!("{name}'s third argument says whether to ignore NULLs, a BOOLEAN"))
                } else {
                    Ok(DataType::Array(Box::new(t.clone())))
                }
            } else {
                Ok(t.clone())
            }
        }
        "TOPK" | "TOPKDISTINCT" if args.len() == 2 => {
            if !kept(t) || *t == DataType::Boolean {
                unsupported()
            } else if !matches!(args[1], DataType::Int | DataType::BigInt) {
                Err(format!("{name}'s second argument is the number of values to keep, an INT"))
            } else {
                Ok(DataType::Array(Box::new(t.clone())))
            }
        }
        "HISTOGRAM" if args.len() == 1 => {
            if *t == DataType::String {
                Ok(DataType::Map(Box::new(DataType::String), Box::new(DataType::BigInt)))
            } else {
                unsupported()
            }
        }
        _ => Err(arity(&name, args.len())),
    })
}

fn arity(name: &str, n: usize) -> String {
    format!("Function '{name}' does not accept {n} argument(s).")
}

/// Accumulators for every call, in order.
pub fn accumulators(calls: &[AggregateCall]) -> Result<Vec<Box<dyn Accumulator>>, String> {
    calls.iter().map(create).collect()
}
