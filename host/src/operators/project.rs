//! The `SELECT` list: computes the output columns from the input columns.

use super::{OpContext, Operator};
use crate::batch::Batch;
use crate::expr::Evaluator;

pub struct Project {
    exprs: Vec<Evaluator>,
    /// For each output column: the input column it moves from, when it is a plain
    /// column reference that nothing else reads.
    moves: Vec<Option<usize>>,
    names: Vec<String>,
}

impl Project {
    pub fn new(exprs: Vec<Evaluator>, moves: Vec<Option<usize>>, names: Vec<String>) -> Project {
        Project { exprs, moves, names }
    }
}

impl Operator for Project {
    fn process(&mut self, batch: &mut Batch, ctx: &mut OpContext) {
        let mut columns: Vec<_> = self
            .exprs
            .iter()
            .zip(&self.moves)
            .map(|(e, m)| if m.is_some() { Vec::new() } else { e.eval(batch, &mut ctx.errors) })
            .collect();
        ctx.fail(batch);
        for (out, m) in columns.iter_mut().zip(&self.moves) {
            if let Some(i) = m {
                *out = std::mem::take(&mut batch.columns[*i]);
            }
        }
        batch.columns = columns;
    }

    fn describe(&self) -> String {
        format!("Project[{}]", self.names.join(", "))
    }
}
