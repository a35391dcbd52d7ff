//! `WHERE`: keeps the rows whose predicate is true.

use wasp_sql::Value;

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::expr::Evaluator;

pub struct Filter {
    predicate: Evaluator,
    text: String,
    keep: Vec<bool>,
}

impl Filter {
    pub fn new(predicate: Evaluator, text: String) -> Filter {
        Filter { predicate, text, keep: Vec::new() }
    }
}

impl Operator for Filter {
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let result = self.predicate.eval(batch, &mut ctx.errors);
        ctx.fail(batch);
        self.keep.clear();
        self.keep.extend(result.iter().map(|v| matches!(v, Value::Boolean(true))));
        batch.retain(&self.keep);
    }

    fn describe(&self) -> String {
        format!("Filter[{}]", self.text)
    }
}
