//! `ColumnBuilder`: one Arrow column under construction, of any SQL type.
//!
//! Decoders append typed values straight into it (no `Value` per cell), nested types
//! included. Unlike Arrow's own builders it can be truncated, so a record that fails
//! to decode halfway is taken back out of every column it reached, and the batch stays
//! rectangular.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array,
    ListArray, MapArray, NullArray, StringArray, StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, FieldRef, Fields};
use wasp_sql::{DataType, Decimal, Value};

use super::types::{list_field, map_entries_field, struct_fields};

/// Values of a fixed-width type and their validity.
#[derive(Debug)]
pub struct Prim<T> {
    values: Vec<T>,
    valid: Validity,
}

impl<T: Copy + Default> Prim<T> {
    fn new(capacity: usize) -> Self {
        Prim { values: Vec::with_capacity(capacity), valid: Validity::default() }
    }
    #[inline]
    fn push(&mut self, v: T) {
        self.values.push(v);
        self.valid.append(true);
    }
    #[inline]
    fn push_null(&mut self) {
        self.values.push(T::default());
        self.valid.append(false);
    }
    fn truncate(&mut self, len: usize) {
        self.values.truncate(len);
        self.valid.truncate(len);
    }
    fn take(&mut self) -> (ScalarBuffer<T>, Option<NullBuffer>)
    where
        T: arrow_buffer::ArrowNativeType,
    {
        let cap = self.values.capacity();
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(cap));
        (ScalarBuffer::from(values), self.valid.finish())
    }
}

/// Variable-length values (STRING, BYTES): offsets into one data buffer.
#[derive(Debug)]
pub struct VarLen {
    offsets: Vec<i32>,
    data: Vec<u8>,
    valid: Validity,
}

impl VarLen {
    fn new(capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        VarLen { offsets, data: Vec::with_capacity(capacity * 8), valid: Validity::default() }
    }
    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.offsets.push(self.data.len() as i32);
        self.valid.append(true);
    }
    #[inline]
    fn push_null(&mut self) {
        self.offsets.push(self.data.len() as i32);
        self.valid.append(false);
    }
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.offsets.truncate(len + 1);
            self.data.truncate(self.offsets[len] as usize);
            self.valid.truncate(len);
        }
    }
    fn take(&mut self) -> (OffsetBuffer<i32>, Buffer, Option<NullBuffer>) {
        let cap = self.offsets.capacity();
        let mut offsets = std::mem::replace(&mut self.offsets, Vec::with_capacity(cap));
        self.offsets.push(0);
        let data_cap = self.data.capacity();
        let data = std::mem::replace(&mut self.data, Vec::with_capacity(data_cap));
        if offsets.is_empty() {
            offsets.push(0);
        }
        (OffsetBuffer::new(ScalarBuffer::from(offsets)), Buffer::from_vec(data), self.valid.finish())
    }
}

/// Which rows are valid (not NULL); costs nothing until the first NULL, so a column
/// without NULLs is built with one `Vec::push` per value.
#[derive(Debug, Default)]
pub struct Validity {
    len: usize,
    bits: Option<BooleanBufferBuilder>,
}

impl Validity {
    // Always inlined: it runs for every value decoded, and a call costs more than
    // the counter it bumps while the column has no NULL.
    #[inline(always)]
    fn append(&mut self, valid: bool) {
        match &mut self.bits {
            Some(bits) => bits.append(valid),
            None if valid => {}
            None => self.first_null(),
        }
        self.len += 1;
    }

    /// The bitmap, made at the first NULL: every row so far valid, then this one not.
    #[cold]
    #[inline(never)]
    fn first_null(&mut self) {
        let mut bits = BooleanBufferBuilder::new((self.len + 1).max(64));
        bits.append_n(self.len, true);
        bits.append(false);
        self.bits = Some(bits);
    }

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            if let Some(bits) = &mut self.bits {
                bits.truncate(len);
            }
        }
    }

    /// The null buffer of the rows so far (none when every row is valid); starts over.
    fn finish(&mut self) -> Option<NullBuffer> {
        self.len = 0;
        let nulls = NullBuffer::new(self.bits.take()?.finish());
        (nulls.null_count() > 0).then_some(nulls)
    }
}

fn take_offsets(offsets: &mut Vec<i32>) -> OffsetBuffer<i32> {
    let out = std::mem::replace(offsets, vec![0]);
    OffsetBuffer::new(ScalarBuffer::from(out))
}

/// A column under construction.
#[derive(Debug)]
pub enum ColumnBuilder {
    /// Only NULLs (the type of a bare `NULL` literal).
    Null(usize),
    Boolean {
        values: BooleanBufferBuilder,
        valid: Validity,
    },
    Int(Prim<i32>),
    BigInt(Prim<i64>),
    Double(Prim<f64>),
    Decimal {
        values: Prim<i128>,
        precision: u8,
        scale: u8,
    },
    String(VarLen),
    Bytes(VarLen),
    Timestamp(Prim<i64>),
    Date(Prim<i32>),
    Time(Prim<i32>),
    List {
        offsets: Vec<i32>,
        valid: Validity,
        item: Box<ColumnBuilder>,
        field: FieldRef,
    },
    Map {
        offsets: Vec<i32>,
        valid: Validity,
        keys: Box<ColumnBuilder>,
        values: Box<ColumnBuilder>,
        entries: FieldRef,
    },
    Struct {
        fields: Fields,
        children: Vec<ColumnBuilder>,
        valid: Validity,
    },
}

impl ColumnBuilder {
    /// An empty column of SQL type `t` with room for `capacity` rows.
    pub fn new(t: &DataType, capacity: usize) -> ColumnBuilder {
        match t {
            DataType::Null => ColumnBuilder::Null(0),
            DataType::Boolean => {
                ColumnBuilder::Boolean { values: BooleanBufferBuilder::new(capacity), valid: Validity::default() }
            }
            DataType::Int => ColumnBuilder::Int(Prim::new(capacity)),
            DataType::BigInt => ColumnBuilder::BigInt(Prim::new(capacity)),
            DataType::Double => ColumnBuilder::Double(Prim::new(capacity)),
            DataType::Decimal { precision, scale } => {
                ColumnBuilder::Decimal { values: Prim::new(capacity), precision: *precision, scale: *scale }
            }
            DataType::String => ColumnBuilder::String(VarLen::new(capacity)),
            DataType::Bytes => ColumnBuilder::Bytes(VarLen::new(capacity)),
            DataType::Timestamp => ColumnBuilder::Timestamp(Prim::new(capacity)),
            DataType::Date => ColumnBuilder::Date(Prim::new(capacity)),
            DataType::Time => ColumnBuilder::Time(Prim::new(capacity)),
            DataType::Array(item) => ColumnBuilder::List {
                offsets: vec![0],
                valid: Validity::default(),
                item: Box::new(ColumnBuilder::new(item, capacity)),
                field: list_field(item),
            },
            DataType::Map(k, v) => ColumnBuilder::Map {
                offsets: vec![0],
                valid: Validity::default(),
                keys: Box::new(ColumnBuilder::new(k, capacity)),
                values: Box::new(ColumnBuilder::new(v, capacity)),
                entries: map_entries_field(k, v),
            },
            DataType::Struct(fields) => ColumnBuilder::Struct {
                fields: struct_fields(fields),
                children: fields.iter().map(|f| ColumnBuilder::new(&f.data_type, capacity)).collect(),
                valid: Validity::default(),
            },
        }
    }

    /// Rows appended so far.
    pub fn len(&self) -> usize {
        match self {
            ColumnBuilder::Null(n) => *n,
            ColumnBuilder::Boolean { valid, .. } => valid.len(),
            ColumnBuilder::Int(p) | ColumnBuilder::Date(p) | ColumnBuilder::Time(p) => p.values.len(),
            ColumnBuilder::BigInt(p) | ColumnBuilder::Timestamp(p) => p.values.len(),
            ColumnBuilder::Double(p) => p.values.len(),
            ColumnBuilder::Decimal { values, .. } => values.values.len(),
            ColumnBuilder::String(v) | ColumnBuilder::Bytes(v) => v.len(),
            ColumnBuilder::List { valid, .. } | ColumnBuilder::Map { valid, .. } => valid.len(),
            ColumnBuilder::Struct { valid, .. } => valid.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a NULL.
    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Null(n) => *n += 1,
            ColumnBuilder::Boolean { values, valid } => {
                values.append(false);
                valid.append(false);
            }
            ColumnBuilder::Int(p) | ColumnBuilder::Date(p) | ColumnBuilder::Time(p) => p.push_null(),
            ColumnBuilder::BigInt(p) | ColumnBuilder::Timestamp(p) => p.push_null(),
            ColumnBuilder::Double(p) => p.push_null(),
            ColumnBuilder::Decimal { values, .. } => values.push_null(),
            ColumnBuilder::String(v) | ColumnBuilder::Bytes(v) => v.push_null(),
            ColumnBuilder::List { offsets, valid, item, .. } => {
                offsets.push(item.len() as i32);
                valid.append(false);
            }
            ColumnBuilder::Map { offsets, valid, keys, .. } => {
                offsets.push(keys.len() as i32);
                valid.append(false);
            }
            ColumnBuilder::Struct { children, valid, .. } => {
                let len = valid.len();
                for c in children.iter_mut() {
                    c.truncate(len);
                    c.append_null();
                }
                valid.append(false);
            }
        }
    }

    /// Appends `n` NULLs.
    pub fn append_nulls(&mut self, n: usize) {
        for _ in 0..n {
            self.append_null();
        }
    }

    /// Drops every row from `len` on (and, in nested columns, their items).
    /// Nested builders are cut back even when this column is not longer than `len`:
    /// a half-appended row leaves items or fields behind that no row owns yet.
    pub fn truncate(&mut self, len: usize) {
        if len > self.len() {
            return;
        }
        match self {
            ColumnBuilder::Null(n) => *n = len,
            ColumnBuilder::Boolean { values, valid } => {
                values.truncate(len);
                valid.truncate(len);
            }
            ColumnBuilder::Int(p) | ColumnBuilder::Date(p) | ColumnBuilder::Time(p) => p.truncate(len),
            ColumnBuilder::BigInt(p) | ColumnBuilder::Timestamp(p) => p.truncate(len),
            ColumnBuilder::Double(p) => p.truncate(len),
            ColumnBuilder::Decimal { values, .. } => values.truncate(len),
            ColumnBuilder::String(v) | ColumnBuilder::Bytes(v) => v.truncate(len),
            ColumnBuilder::List { offsets, valid, item, .. } => {
                offsets.truncate(len + 1);
                valid.truncate(len);
                item.truncate(offsets[len] as usize);
            }
            ColumnBuilder::Map { offsets, valid, keys, values, .. } => {
                offsets.truncate(len + 1);
                valid.truncate(len);
                keys.truncate(offsets[len] as usize);
                values.truncate(offsets[len] as usize);
            }
            ColumnBuilder::Struct { children, valid, .. } => {
                valid.truncate(len);
                for c in children {
                    c.truncate(len);
                }
            }
        }
    }

    #[inline]
    pub fn push_bool(&mut self, b: bool) {
        match self {
            ColumnBuilder::Boolean { values, valid } => {
                values.append(b);
                valid.append(true);
            }
            other => other.append_null(),
        }
    }

    /// Appends an integer to an INT, BIGINT, DOUBLE or DECIMAL column (widening, as
    /// ksqlDB reads a JSON integer into any numeric column), or a TIMESTAMP, DATE or
    /// TIME column given as a number. Out of range for INT: `false`, nothing appended.
    #[inline]
    pub fn push_i64(&mut self, v: i64) -> bool {
        match self {
            ColumnBuilder::Int(p) | ColumnBuilder::Date(p) | ColumnBuilder::Time(p) => match i32::try_from(v) {
                Ok(v) => p.push(v),
                Err(_) => return false,
            },
            ColumnBuilder::BigInt(p) | ColumnBuilder::Timestamp(p) => p.push(v),
            ColumnBuilder::Double(p) => p.push(v as f64),
            ColumnBuilder::Decimal { values, precision, scale } => match Decimal::from_i64(v).fit(*precision, *scale) {
                Some(d) => values.push(d.unscaled),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    #[inline]
    pub fn push_i32(&mut self, v: i32) {
        match self {
            ColumnBuilder::Int(p) | ColumnBuilder::Date(p) | ColumnBuilder::Time(p) => p.push(v),
            other => {
                other.push_i64(i64::from(v));
            }
        }
    }

    #[inline]
    pub fn push_f64(&mut self, v: f64) {
        match self {
            ColumnBuilder::Double(p) => p.push(v),
            other => other.append_null(),
        }
    }

    /// Appends a decimal's unscaled value, already at this column's scale.
    #[inline]
    pub fn push_i128(&mut self, v: i128) {
        match self {
            ColumnBuilder::Decimal { values, .. } => values.push(v),
            other => other.append_null(),
        }
    }

    /// Appends a decimal at any scale, rescaled to the column's (half up); `false` when
    /// it does not fit the column's precision.
    pub fn push_decimal(&mut self, d: Decimal) -> bool {
        match self {
            ColumnBuilder::Decimal { values, precision, scale } => match d.fit(*precision, *scale) {
                Some(d) => {
                    values.push(d.unscaled);
                    true
                }
                None => false,
            },
            ColumnBuilder::Double(p) => {
                p.push(d.to_f64());
                true
            }
            _ => false,
        }
    }

    #[inline]
    pub fn push_str(&mut self, s: &str) {
        match self {
            ColumnBuilder::String(v) | ColumnBuilder::Bytes(v) => v.push(s.as_bytes()),
            other => other.append_null(),
        }
    }

    #[inline]
    pub fn push_bytes(&mut self, b: &[u8]) {
        match self {
            ColumnBuilder::Bytes(v) => v.push(b),
            other => other.append_null(),
        }
    }

    /// The item builder of a list column (append items, then [`close_list`](Self::close_list)).
    pub fn list_items(&mut self) -> Option<&mut ColumnBuilder> {
        match self {
            ColumnBuilder::List { item, .. } => Some(item),
            _ => None,
        }
    }

    /// Ends a list whose items were appended to [`list_items`](Self::list_items).
    pub fn close_list(&mut self) {
        if let ColumnBuilder::List { offsets, valid, item, .. } = self {
            offsets.push(item.len() as i32);
            valid.append(true);
        }
    }

    /// The key and value builders of a map column (append pairs, then
    /// [`close_map`](Self::close_map)).
    pub fn map_entries(&mut self) -> Option<(&mut ColumnBuilder, &mut ColumnBuilder)> {
        match self {
            ColumnBuilder::Map { keys, values, .. } => Some((keys, values)),
            _ => None,
        }
    }

    pub fn close_map(&mut self) {
        if let ColumnBuilder::Map { offsets, valid, keys, .. } = self {
            offsets.push(keys.len() as i32);
            valid.append(true);
        }
    }

    /// The field builders of a struct column (append to any subset, then
    /// [`close_struct`](Self::close_struct), which fills the others with NULL).
    pub fn struct_fields(&mut self) -> Option<&mut [ColumnBuilder]> {
        match self {
            ColumnBuilder::Struct { children, .. } => Some(children),
            _ => None,
        }
    }

    pub fn close_struct(&mut self) {
        if let ColumnBuilder::Struct { children, valid, .. } = self {
            let len = valid.len() + 1;
            for c in children.iter_mut() {
                if c.len() < len {
                    c.append_null();
                }
            }
            valid.append(true);
        }
    }

    /// Appends row `i` of `array`, which must have this column's type (an element of an
    /// input list copied to an output list, say). A cell of another type appends NULL.
    pub fn append_from(&mut self, array: &dyn Array, i: usize) {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{
            Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType,
            TimestampMillisecondType,
        };
        if array.is_null(i) {
            self.append_null();
            return;
        }
        let dt = array.data_type();
        match self {
            ColumnBuilder::Null(n) => *n += 1,
            ColumnBuilder::Boolean { .. } if dt == &ArrowType::Boolean => self.push_bool(array.as_boolean().value(i)),
            ColumnBuilder::Int(p) if dt == &ArrowType::Int32 => p.push(array.as_primitive::<Int32Type>().value(i)),
            ColumnBuilder::Date(p) if dt == &ArrowType::Date32 => p.push(array.as_primitive::<Date32Type>().value(i)),
            ColumnBuilder::Time(p) if matches!(dt, ArrowType::Time32(_)) => {
                p.push(array.as_primitive::<Time32MillisecondType>().value(i))
            }
            ColumnBuilder::BigInt(p) if dt == &ArrowType::Int64 => p.push(array.as_primitive::<Int64Type>().value(i)),
            ColumnBuilder::Timestamp(p) if matches!(dt, ArrowType::Timestamp(..)) => {
                p.push(array.as_primitive::<TimestampMillisecondType>().value(i))
            }
            ColumnBuilder::Double(p) if dt == &ArrowType::Float64 => {
                p.push(array.as_primitive::<Float64Type>().value(i))
            }
            ColumnBuilder::Decimal { values, scale, .. } if matches!(dt, ArrowType::Decimal128(..)) => {
                let v = array.as_primitive::<Decimal128Type>().value(i);
                match dt {
                    ArrowType::Decimal128(_, s) if *s as u8 == *scale => values.push(v),
                    ArrowType::Decimal128(_, s) => match Decimal::new(v, (*s).max(0) as u8).rescale(*scale) {
                        Some(d) => values.push(d.unscaled),
                        None => values.push_null(),
                    },
                    _ => values.push_null(),
                }
            }
            ColumnBuilder::String(v) if dt == &ArrowType::Utf8 => v.push(array.as_string::<i32>().value(i).as_bytes()),
            ColumnBuilder::Bytes(v) if dt == &ArrowType::Binary => v.push(array.as_binary::<i32>().value(i)),
            ColumnBuilder::List { item, .. } if matches!(dt, ArrowType::List(_)) => {
                let items = array.as_list::<i32>().value(i);
                for j in 0..items.len() {
                    item.append_from(&items, j);
                }
                self.close_list();
            }
            ColumnBuilder::Map { keys, values, .. } if matches!(dt, ArrowType::Map(..)) => {
                let entries = array.as_map().value(i);
                for j in 0..entries.len() {
                    keys.append_from(entries.column(0), j);
                    values.append_from(entries.column(1), j);
                }
                self.close_map();
            }
            ColumnBuilder::Struct { children, .. } if matches!(dt, ArrowType::Struct(_)) => {
                let s = array.as_struct();
                for (c, col) in children.iter_mut().zip(s.columns()) {
                    c.append_from(col.as_ref(), i);
                }
                self.close_struct();
            }
            _ => self.append_null(),
        }
    }

    /// Appends a `Value` (literals, `INSERT ... VALUES`, tests; never per row on the
    /// data path). A value of another type than the column's is widened where ksqlDB
    /// widens, and is NULL otherwise.
    pub fn append_value(&mut self, v: &Value) {
        match (&mut *self, v) {
            (_, Value::Null) => self.append_null(),
            (ColumnBuilder::Boolean { .. }, Value::Boolean(b)) => self.push_bool(*b),
            (_, Value::Int(i)) => {
                if !self.push_i64(i64::from(*i)) {
                    self.append_null()
                }
            }
            (_, Value::BigInt(i) | Value::Timestamp(i)) => {
                if !self.push_i64(*i) {
                    self.append_null()
                }
            }
            (_, Value::Date(i) | Value::Time(i)) => self.push_i32(*i),
            (ColumnBuilder::Double(p), Value::Double(d)) => p.push(*d),
            (_, Value::Decimal(d)) => {
                if !self.push_decimal(*d) {
                    self.append_null()
                }
            }
            (ColumnBuilder::String(_), Value::String(s)) => self.push_str(s),
            (ColumnBuilder::Bytes(_), Value::Bytes(b)) => self.push_bytes(b),
            (ColumnBuilder::List { item, .. }, Value::Array(items)) => {
                for i in items {
                    item.append_value(i);
                }
                self.close_list();
            }
            (ColumnBuilder::Map { keys, values, .. }, Value::Map(entries)) => {
                for (k, v) in entries {
                    keys.append_value(k);
                    values.append_value(v);
                }
                self.close_map();
            }
            (ColumnBuilder::Struct { children, .. }, Value::Struct(fields)) => {
                for (c, f) in children.iter_mut().zip(fields) {
                    c.append_value(f);
                }
                self.close_struct();
            }
            _ => self.append_null(),
        }
    }

    /// The column built so far; the builder is left empty, ready for the next batch.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            ColumnBuilder::Boolean { values, valid } => Arc::new(BooleanArray::new(values.finish(), valid.finish())),
            ColumnBuilder::Int(p) => {
                let (v, n) = p.take();
                Arc::new(Int32Array::new(v, n))
            }
            ColumnBuilder::Date(p) => {
                let (v, n) = p.take();
                Arc::new(Date32Array::new(v, n))
            }
            ColumnBuilder::Time(p) => {
                let (v, n) = p.take();
                Arc::new(Time32MillisecondArray::new(v, n))
            }
            ColumnBuilder::BigInt(p) => {
                let (v, n) = p.take();
                Arc::new(Int64Array::new(v, n))
            }
            ColumnBuilder::Timestamp(p) => {
                let (v, n) = p.take();
                Arc::new(TimestampMillisecondArray::new(v, n))
            }
            ColumnBuilder::Double(p) => {
                let (v, n) = p.take();
                Arc::new(Float64Array::new(v, n))
            }
            ColumnBuilder::Decimal { values, precision, scale } => {
                let (v, n) = values.take();
                let array = Decimal128Array::new(v, n);
                // Precision and scale come from a DataType that to_arrow accepted.
                Arc::new(
                    array
                        .with_precision_and_scale((*precision).clamp(1, 38), *scale as i8)
                        .unwrap_or_else(|_| Decimal128Array::new(ScalarBuffer::from(Vec::<i128>::new()), None)),
                )
            }
            ColumnBuilder::String(v) => {
                let (offsets, data, nulls) = v.take();
                // Every pushed value was a `&str`, so the data is valid UTF-8; `new`
                // re-checks it, which costs a pass over the bytes.
                Arc::new(StringArray::new(offsets, data, nulls))
            }
            ColumnBuilder::Bytes(v) => {
                let (offsets, data, nulls) = v.take();
                Arc::new(BinaryArray::new(offsets, data, nulls))
            }
            ColumnBuilder::List { offsets, valid, item, field } => {
                let values = item.finish();
                Arc::new(ListArray::new(field.clone(), take_offsets(offsets), values, valid.finish()))
            }
            ColumnBuilder::Map { offsets, valid, keys, values, entries } => {
                let (k, v) = (keys.finish(), values.finish());
                let fields = match entries.data_type() {
                    arrow_schema::DataType::Struct(f) => f.clone(),
                    _ => Fields::empty(),
                };
                let entry_array = StructArray::new(fields, vec![k, v], None);
                Arc::new(MapArray::new(entries.clone(), take_offsets(offsets), entry_array, valid.finish(), false))
            }
            ColumnBuilder::Struct { fields, children, valid } => {
                let len = valid.len();
                let nulls = valid.finish();
                let columns: Vec<ArrayRef> = children.iter_mut().map(ColumnBuilder::finish).collect();
                if fields.is_empty() {
                    Arc::new(StructArray::new_empty_fields(len, nulls))
                } else {
                    Arc::new(StructArray::new(fields.clone(), columns, nulls))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;

    use super::*;

    #[test]
    fn truncate_takes_back_a_half_decoded_row() {
        let t = DataType::Struct(vec![
            wasp_sql::StructField { name: "A".into(), data_type: DataType::Int },
            wasp_sql::StructField { name: "B".into(), data_type: DataType::Array(Box::new(DataType::String)) },
        ]);
        let mut b = ColumnBuilder::new(&t, 4);
        b.append_value(&Value::Struct(vec![Value::Int(1), Value::Array(vec![Value::string("x")])]));
        // A second row fails halfway: A was appended, B's list got an item.
        let fields = b.struct_fields().unwrap();
        fields[0].push_i32(2);
        fields[1].list_items().unwrap().push_str("y");
        b.truncate(1);
        b.append_null();
        let array = b.finish();
        assert_eq!(array.len(), 2);
        assert!(array.is_null(1));
        let s = array.as_struct();
        assert_eq!(s.column(0).as_primitive::<arrow_array::types::Int32Type>().value(0), 1);
        assert_eq!(s.column(1).as_list::<i32>().value(0).len(), 1);
        assert_eq!(s.column(1).as_list::<i32>().values().len(), 1);
    }

    #[test]
    fn builder_is_reusable_after_finish() {
        let mut b = ColumnBuilder::new(&DataType::String, 2);
        b.push_str("a");
        b.append_null();
        let first = b.finish();
        assert_eq!((first.len(), first.null_count()), (2, 1));
        b.push_str("bc");
        let second = b.finish();
        assert_eq!(second.as_string::<i32>().value(0), "bc");
    }
}
