//! Batches: the unit of work between operators.
//!
//! A `Batch` is a list of Arrow arrays of equal length, one per column of the
//! operator's row layout. Operators take a batch and produce a batch; functions are
//! invoked once per batch, never once per row.

use arrow_array::{Array, ArrayRef, BooleanArray};
use arrow_select::filter::FilterBuilder;
use wasp_sql::Value;

use crate::columnar::value_at;

/// Rows in columnar layout.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub columns: Vec<ArrayRef>,
    pub rows: usize,
}

impl Batch {
    pub fn new(columns: Vec<ArrayRef>, rows: usize) -> Batch {
        debug_assert!(columns.iter().all(|c| c.len() == rows));
        Batch { columns, rows }
    }

    /// The values of row `i` (for results shown to clients and tests).
    pub fn row(&self, i: usize) -> Vec<Value> {
        self.columns.iter().map(|c| value_at(c.as_ref(), i)).collect()
    }

    /// Keeps the rows where `keep` is true (NULL counts as false), with Arrow's
    /// selection kernel; a mask that keeps everything changes nothing.
    pub fn filter(&mut self, keep: &BooleanArray) -> Result<(), arrow_schema::ArrowError> {
        let kept = keep.true_count();
        if kept == self.rows && keep.null_count() == 0 {
            return Ok(());
        }
        let predicate = FilterBuilder::new(keep).optimize().build();
        for col in &mut self.columns {
            *col = predicate.filter(col.as_ref())?;
        }
        self.rows = kept;
        Ok(())
    }

    /// The first `n` rows (zero-copy slices).
    pub fn truncate(&mut self, n: usize) {
        if n < self.rows {
            for col in &mut self.columns {
                *col = col.slice(0, n);
            }
            self.rows = n;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}
