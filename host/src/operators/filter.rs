//! `WHERE`: keeps the rows whose predicate is true, with Arrow's selection kernel.

use arrow_array::cast::AsArray;
use arrow_array::Array;

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::columnar::Operand;
use crate::expr::Evaluator;

pub struct Filter {
    predicate: Evaluator,
    text: String,
}

impl Filter {
    pub fn new(predicate: Evaluator, text: String) -> Filter {
        Filter { predicate, text }
    }
}

impl Operator for Filter {
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let result = self.predicate.eval(batch, &mut ctx.errors);
        ctx.fail(batch);
        match result {
            // A constant predicate keeps every row or none.
            Operand::Scalar(v) => {
                let keep = v.as_boolean_opt().is_some_and(|b| b.is_valid(0) && b.value(0));
                if !keep {
                    batch.truncate(0);
                }
            }
            Operand::Array(mask) => match mask.as_boolean_opt() {
                Some(mask) => {
                    if let Err(e) = batch.filter(mask) {
                        ctx.fail_batch(batch, &format!("filter: {e}"));
                        batch.truncate(0);
                    }
                }
                None => batch.truncate(0),
            },
        }
    }

    fn describe(&self) -> String {
        format!("Filter[{}]", self.text)
    }
}
