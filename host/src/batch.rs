//! Batches: the unit of work between operators.
//!
//! A `Batch` holds columns of equal length. Operators take a batch and produce a batch;
//! functions are invoked once per batch, never once per row.

use wasp_sql::Value;

/// One column of a batch: a value per row.
pub type Column = Vec<Value>;

/// Rows in columnar layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub columns: Vec<Column>,
    pub rows: usize,
}

impl Batch {
    /// A batch with `width` empty columns, each with room for `capacity` rows.
    pub fn with_capacity(width: usize, capacity: usize) -> Batch {
        Batch { columns: (0..width).map(|_| Vec::with_capacity(capacity)).collect(), rows: 0 }
    }

    /// Builds a batch from rows; every row must have the same width.
    pub fn from_rows(width: usize, rows: impl IntoIterator<Item = Vec<Value>>) -> Batch {
        let mut batch = Batch::with_capacity(width, 0);
        for row in rows {
            batch.push_row(row);
        }
        batch
    }

    /// Appends one row.
    pub fn push_row(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        for (col, v) in self.columns.iter_mut().zip(row) {
            col.push(v);
        }
        self.rows += 1;
    }

    /// The values of row `i`, cloned.
    pub fn row(&self, i: usize) -> Vec<Value> {
        self.columns.iter().map(|c| c[i].clone()).collect()
    }

    /// Keeps the rows whose `keep` flag is set, in place.
    pub fn retain(&mut self, keep: &[bool]) {
        if keep.iter().all(|k| *k) {
            return;
        }
        for col in &mut self.columns {
            let mut i = 0;
            col.retain(|_| {
                let k = keep[i];
                i += 1;
                k
            });
        }
        self.rows = keep.iter().filter(|k| **k).count();
    }

    /// Drops all rows but keeps the allocations.
    pub fn clear(&mut self) {
        for col in &mut self.columns {
            col.clear();
        }
        self.rows = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}
