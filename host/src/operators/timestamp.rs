//! Event time: sets `ROWTIME` from the source's `TIMESTAMP` column. Rows whose
//! timestamp is missing or cannot be parsed are dropped and reported.

use wasp_sql::Value;

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::expr::Evaluator;

pub struct AssignTimestamp {
    /// Computes epoch milliseconds (BIGINT) from the row.
    extractor: Evaluator,
    column: String,
    rowtime: usize,
    keep: Vec<bool>,
}

impl AssignTimestamp {
    pub fn new(extractor: Evaluator, column: String, rowtime: usize) -> AssignTimestamp {
        AssignTimestamp { extractor, column, rowtime, keep: Vec::new() }
    }
}

impl Operator for AssignTimestamp {
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let times = self.extractor.eval(batch, &mut ctx.errors);
        self.keep.clear();
        for (row, t) in times.into_iter().enumerate() {
            match t.as_i64() {
                Some(ms) if ms >= 0 => {
                    batch.columns[self.rowtime][row] = Value::BigInt(ms);
                    self.keep.push(true);
                }
                _ => {
                    if !ctx.errors.errors.iter().any(|(r, _)| *r == row) {
                        ctx.errors.push(row, format!("invalid timestamp in column {}: {t}", self.column));
                    }
                    self.keep.push(false);
                }
            }
        }
        ctx.fail(batch);
        batch.retain(&self.keep);
    }

    fn describe(&self) -> String {
        format!("AssignTimestamp[{}]", self.column)
    }
}
