//! The `SELECT` list: computes the output columns from the input columns. A plain
//! column reference moves its array (a reference count, no copy); a constant is
//! expanded to a column here, at the end of the pipeline, where a sink needs one.

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::expr::Evaluator;

pub struct Project {
    exprs: Vec<Evaluator>,
    names: Vec<String>,
}

impl Project {
    pub fn new(exprs: Vec<Evaluator>, names: Vec<String>) -> Project {
        Project { exprs, names }
    }
}

impl Operator for Project {
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let columns = self.exprs.iter().map(|e| e.eval_array(batch, &mut ctx.errors)).collect();
        ctx.fail(batch);
        batch.columns = columns;
    }

    fn describe(&self) -> String {
        format!("Project[{}]", self.names.join(", "))
    }
}
