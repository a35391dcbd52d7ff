//! The data that crosses the boundary, in Rust: columns in Arrow's physical layout
//! (the WIT `column`, `batch`, `output`, `row-error` and `call-error`).
//!
//! [`ColumnRef`] borrows the buffers the host lowered into guest memory, so reading
//! a batch copies nothing; [`OwnedColumn`] owns the buffers a builder filled, which
//! the ABI glue moves (not copies) into the call's result.

use std::fmt;

/// A column borrowed from the call's arguments. Buffers are as the WIT describes
/// them: not checked until a typed view is made from the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRef<'a> {
    /// Rows (for a child column: elements, keys or fields).
    pub len: u32,
    /// The validity bitmap, least significant bit first; `None`: no NULL.
    pub validity: Option<&'a [u8]>,
    /// Fixed-width little-endian values, a BOOLEAN bitmap, or string/bytes data.
    pub values: &'a [u8],
    /// `len + 1` little-endian `i32` offsets, for STRING, BYTES, ARRAY and MAP.
    pub offsets: Option<&'a [u8]>,
    /// Indexes of child columns in the enclosing column list.
    pub children: &'a [u32],
}

/// A column with owned buffers, as builders produce it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedColumn {
    pub len: u32,
    pub validity: Option<Vec<u8>>,
    pub values: Vec<u8>,
    pub offsets: Option<Vec<u8>>,
    pub children: Vec<u32>,
}

impl OwnedColumn {
    /// Borrows the column, to read it back with the typed views.
    pub fn as_ref(&self) -> ColumnRef<'_> {
        ColumnRef {
            len: self.len,
            validity: self.validity.as_deref(),
            values: &self.values,
            offsets: self.offsets.as_deref(),
            children: &self.children,
        }
    }
}

/// A row whose result could not be computed: NULL in the result, and the message
/// goes to the processing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u32,
    pub message: String,
}

/// The result of one successful call: the result column (and the children of a
/// nested result) plus the rows that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// `columns[0]` is the result.
    pub columns: Vec<OwnedColumn>,
    pub row_errors: Vec<RowError>,
}

impl Output {
    /// An output of one flat result column and no row errors.
    pub fn new(result: OwnedColumn) -> Output {
        Output { columns: vec![result], row_errors: Vec::new() }
    }

    /// The result column.
    pub fn result(&self) -> Option<&OwnedColumn> {
        self.columns.first()
    }
}

/// Why a whole call failed (the WIT `call-error`). Not a trap: a panic traps instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No function of that name in this module.
    UnknownFunction(String),
    /// The arguments do not fit the function: count, layout or buffer sizes.
    InvalidArguments(String),
    /// The function failed for the batch as a whole.
    Failed(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownFunction(m) => write!(f, "unknown function: {m}"),
            CallError::InvalidArguments(m) => write!(f, "invalid arguments: {m}"),
            CallError::Failed(m) => write!(f, "function failed: {m}"),
        }
    }
}

impl std::error::Error for CallError {}

/// A column whose buffers do not match the layout its type needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

impl From<LayoutError> for CallError {
    fn from(e: LayoutError) -> CallError {
        CallError::InvalidArguments(e.0)
    }
}

/// The arguments of one call: `columns[0..args]` are the arguments, the children of
/// nested arguments follow (the WIT `batch`, borrowed).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub rows: u32,
    pub args: u32,
    pub columns: &'a [ColumnRef<'a>],
}
