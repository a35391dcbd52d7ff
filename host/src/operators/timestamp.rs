//! Event time: sets `ROWTIME` from the source's `TIMESTAMP` column. Rows whose
//! timestamp is missing or cannot be parsed are dropped and reported.

use std::sync::Arc;

use arrow_array::{BooleanArray, Int64Array};

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::expr::Evaluator;

pub struct AssignTimestamp {
    /// Computes epoch milliseconds (BIGINT) from the row.
    extractor: Evaluator,
    column: String,
    rowtime: usize,
}

impl AssignTimestamp {
    pub fn new(extractor: Evaluator, column: String, rowtime: usize) -> AssignTimestamp {
        AssignTimestamp { extractor, column, rowtime }
    }
}

impl Operator for AssignTimestamp {
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let times = self.extractor.eval(batch, &mut ctx.errors);
        let view = times.ints();
        let mut keep = Vec::with_capacity(batch.rows);
        let mut rowtime = Vec::with_capacity(batch.rows);
        for row in 0..batch.rows {
            match view.get(row) {
                Some(ms) if ms >= 0 => {
                    keep.push(true);
                    rowtime.push(ms);
                }
                ms => {
                    if !ctx.errors.errors.iter().any(|(r, _)| *r == row) {
                        let shown = ms.map_or_else(|| "null".to_owned(), |v| v.to_string());
                        ctx.errors.push(row, format!("invalid timestamp in column {}: {shown}", self.column));
                    }
                    keep.push(false);
                    rowtime.push(0);
                }
            }
        }
        ctx.fail(batch);
        batch.columns[self.rowtime] = Arc::new(Int64Array::from(rowtime));
        let keep = BooleanArray::from(keep);
        if let Err(e) = batch.filter(&keep) {
            ctx.fail_batch(batch, &format!("timestamp: {e}"));
            batch.truncate(0);
        }
    }

    fn describe(&self) -> String {
        format!("AssignTimestamp[{}]", self.column)
    }
}
