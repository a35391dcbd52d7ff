//! `RowCodec`: record bytes into Arrow columns, and Arrow columns into record bytes,
//! for one row layout and its key and value formats.
//!
//! Decoding appends each record to one [`ColumnBuilder`] per column of the layout
//! (key, value and pseudo-columns); a record that fails is taken back out of every
//! builder, so a bad record never leaves a ragged batch. Encoding reads a batch's
//! arrays through [`Cells`] into reused buffers.

use arrow_array::new_null_array;
use wasp_sql::plan::{ROWKEY, ROWOFFSET, ROWPARTITION, ROWTIME};
use wasp_sql::{ColumnRole, DataType, Field};

use super::cells::Cells;
use super::delimited::{self, Splitter};
use super::json::{self, FieldNames, ObjectLayout, Style};
use super::{kafka, Format};
use crate::batch::Batch;
use crate::columnar::{to_arrow, ColumnBuilder};

/// Positions of the pseudo-columns in a source row.
#[derive(Debug, Clone, Copy, Default)]
struct Pseudo {
    rowtime: Option<usize>,
    partition: Option<usize>,
    offset: Option<usize>,
    rowkey: Option<usize>,
}

/// Decodes and encodes the key and value of records for one row layout.
#[derive(Debug)]
pub struct RowCodec {
    key_format: Format,
    value_format: Format,
    types: Vec<DataType>,
    key: ObjectLayout,
    value: ObjectLayout,
    pseudo: Pseudo,
    builders: Vec<ColumnBuilder>,
    /// Per column, whether it is a JSON value field the query does not read: the
    /// decoder never fills its builder (the field is only type-checked), so instead
    /// of a NULL appended per row the batch gets one NULL array.
    unread: Vec<bool>,
    rows: usize,
    /// Per value field, a builder that type-checks fields the query does not read.
    scratch: Vec<ColumnBuilder>,
    splitter: Splitter,
    key_names: FieldNames,
    value_names: FieldNames,
    /// Whether records with a null value (tombstones) are dropped instead of decoded.
    drop_tombstones: bool,
    /// The rows of the current batch that came from tombstones (their value columns
    /// are NULL), and those of the last finished batch.
    pending_tombstones: Vec<usize>,
    tombstones: Vec<usize>,
}

impl Clone for RowCodec {
    fn clone(&self) -> Self {
        let mut c = RowCodec::layout(&self.types, self.key.clone(), self.value.clone(), self.pseudo);
        c.key_format = self.key_format.clone();
        c.value_format = self.value_format.clone();
        c.drop_tombstones = self.drop_tombstones;
        c.unread = self.unread.clone();
        c
    }
}

impl RowCodec {
    /// A codec for rows laid out as `fields` (only key and value columns are coded;
    /// pseudo-columns are filled from the record's metadata).
    pub fn new(fields: &[Field], key_format: Format, value_format: Format) -> RowCodec {
        let mut key = ObjectLayout::default();
        let mut value = ObjectLayout::default();
        let mut pseudo = Pseudo::default();
        for (i, f) in fields.iter().enumerate() {
            let layout = match f.role {
                ColumnRole::Key => &mut key,
                ColumnRole::Value => &mut value,
                ColumnRole::Pseudo => {
                    match f.name.as_str() {
                        ROWTIME => pseudo.rowtime = Some(i),
                        ROWPARTITION => pseudo.partition = Some(i),
                        ROWOFFSET => pseudo.offset = Some(i),
                        ROWKEY => pseudo.rowkey = Some(i),
                        _ => {}
                    }
                    continue;
                }
            };
            layout.push(&f.name, f.data_type.clone(), i);
        }
        let types: Vec<DataType> = fields.iter().map(|f| f.data_type.clone()).collect();
        let mut codec = RowCodec::layout(&types, key, value, pseudo);
        codec.key_format = key_format;
        codec.value_format = value_format;
        codec
    }

    fn layout(types: &[DataType], key: ObjectLayout, value: ObjectLayout, pseudo: Pseudo) -> RowCodec {
        let scratch = value.fields.iter().map(|(_, t)| ColumnBuilder::new(t, 1)).collect();
        let key_names = FieldNames::new(key.fields.iter().map(|(n, _)| n.as_str()));
        let value_names = FieldNames::new(value.fields.iter().map(|(n, _)| n.as_str()));
        RowCodec {
            key_format: Format::None,
            value_format: Format::None,
            builders: types.iter().map(|t| ColumnBuilder::new(t, 0)).collect(),
            unread: vec![false; types.len()],
            types: types.to_vec(),
            key,
            value,
            pseudo,
            rows: 0,
            scratch,
            splitter: Splitter::default(),
            key_names,
            value_names,
            drop_tombstones: false,
            pending_tombstones: Vec::new(),
            tombstones: Vec::new(),
        }
    }

    /// Drops records whose value is null instead of decoding them as a row whose value
    /// columns are NULL. ksqlDB's streams carry such a record (a tombstone) through a
    /// projection as a null value, but no predicate or timestamp column accepts it: a
    /// query with a `WHERE` or a source `TIMESTAMP` drops it.
    pub fn drop_tombstones(&mut self) {
        self.drop_tombstones = true;
    }

    /// The batch columns an encoder writes into the record key.
    pub fn key_columns(&self) -> &[usize] {
        &self.key.slots
    }

    /// The rows of the last finished batch that came from records with a null value (a
    /// tombstone), ascending; a sink writes them as tombstones.
    pub fn tombstones(&self) -> &[usize] {
        &self.tombstones
    }

    /// Tells the decoder which row positions the query reads; JSON values then leave
    /// the other fields NULL instead of building them (they are still type-checked).
    pub fn set_needed(&mut self, needed: &[bool]) {
        let json = matches!(self.value_format, Format::Json { .. });
        for (flag, slot) in self.value.needed.iter_mut().zip(&self.value.slots) {
            *flag = needed.get(*slot).copied().unwrap_or(true);
            self.unread[*slot] = json && !*flag;
        }
    }

    pub fn has_key(&self) -> bool {
        !self.key.fields.is_empty()
    }

    /// Rows decoded into the current batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Decodes one record into the next row of the batch. On error the batch is as
    /// it was before the call.
    pub fn decode(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        partition: i32,
        offset: i64,
    ) -> Result<(), String> {
        let row = self.rows;
        // A null value of a layout with value columns is a tombstone; a NONE value, or a
        // stream without value columns, always has a null value.
        let tombstone = value.is_none() && !self.value.fields.is_empty() && self.value_format != Format::None;
        if tombstone && self.drop_tombstones {
            return Ok(());
        }
        let result = self.decode_parts(key, value);
        if let Err(e) = result {
            for b in &mut self.builders {
                b.truncate(row);
            }
            return Err(e);
        }
        let p = self.pseudo;
        if let Some(i) = p.rowtime {
            self.builders[i].push_i64(timestamp);
        }
        if let Some(i) = p.partition {
            self.builders[i].push_i32(partition);
        }
        if let Some(i) = p.offset {
            self.builders[i].push_i64(offset);
        }
        if let Some(i) = p.rowkey {
            match key.map(std::str::from_utf8) {
                Some(Ok(s)) => self.builders[i].push_str(s),
                _ => self.builders[i].append_null(),
            }
        }
        // Columns the record did not mention (missing JSON fields) are NULL; so are
        // fields the query does not read, all at once in `finish`.
        for (b, &unread) in self.builders.iter_mut().zip(&self.unread) {
            if b.len() == row && !unread {
                b.append_null();
            }
        }
        if tombstone {
            self.pending_tombstones.push(row);
        }
        self.rows += 1;
        Ok(())
    }

    fn decode_parts(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) -> Result<(), String> {
        let row = self.rows;
        if !self.key.fields.is_empty() {
            decode_with(
                &self.key_format,
                key,
                &self.key,
                &mut self.builders,
                &mut self.scratch,
                &mut self.splitter,
                row,
                true,
            )
            .map_err(|e| format!("key: {e}"))?;
        }
        if !self.value.fields.is_empty() {
            decode_with(
                &self.value_format,
                value,
                &self.value,
                &mut self.builders,
                &mut self.scratch,
                &mut self.splitter,
                row,
                false,
            )
            .map_err(|e| format!("value: {e}"))?;
        }
        Ok(())
    }

    /// The rows decoded so far, as a batch; the codec starts a new one.
    pub fn finish(&mut self) -> Batch {
        let rows = std::mem::take(&mut self.rows);
        let columns = self
            .builders
            .iter_mut()
            .zip(&self.unread)
            .zip(&self.types)
            // An unread column's builder was never filled: nothing to finish.
            .map(|((b, &unread), t)| if unread { new_null_array(&to_arrow(t), rows) } else { b.finish() })
            .collect();
        std::mem::swap(&mut self.pending_tombstones, &mut self.tombstones);
        self.pending_tombstones.clear();
        Batch { columns, rows }
    }

    /// Encodes the first `rows` rows of `batch` (laid out as this codec's fields) and
    /// hands each record's key (`None` when its single key column is NULL, or there is
    /// no key) and value to `emit`, in order.
    pub fn encode<E>(
        &self,
        batch: &Batch,
        rows: usize,
        key_buf: &mut Vec<u8>,
        value_buf: &mut Vec<u8>,
        mut emit: impl FnMut(usize, Option<&[u8]>, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let key_cells: Vec<Cells<'_>> = self.key.slots.iter().map(|s| Cells::new(batch.columns[*s].as_ref())).collect();
        let value_cells: Vec<Cells<'_>> =
            self.value.slots.iter().map(|s| Cells::new(batch.columns[*s].as_ref())).collect();
        let mut field = String::new();
        for row in 0..rows {
            key_buf.clear();
            value_buf.clear();
            // A key of several columns is a record (`{"A":null,"B":null}`, `,`) even
            // when they are all NULL, as ksqlDB writes it; one NULL column is no key.
            let has_key = key_cells.len() > 1 || key_cells.iter().any(|c| !c.is_null(row));
            if has_key {
                encode_with(&self.key_format, &key_cells, &self.key_names, row, key_buf, &mut field, true);
            }
            encode_with(&self.value_format, &value_cells, &self.value_names, row, value_buf, &mut field, false);
            emit(row, has_key.then_some(&key_buf[..]), value_buf)?;
        }
        Ok(())
    }
}

fn decode_with(
    format: &Format,
    bytes: Option<&[u8]>,
    layout: &ObjectLayout,
    builders: &mut [ColumnBuilder],
    scratch: &mut [ColumnBuilder],
    splitter: &mut Splitter,
    row: usize,
    is_key: bool,
) -> Result<(), String> {
    // A null key or value (a tombstone) leaves its columns NULL.
    let Some(bytes) = bytes else { return Ok(()) };
    match format {
        Format::Json { wrap_single } => {
            // A single key column and an unwrapped value are bare values; a wrapped
            // single value that is not an object is read bare too.
            let bare =
                layout.fields.len() == 1 && (is_key || !*wrap_single || !bytes.trim_ascii_start().starts_with(b"{"));
            if bare {
                json::decode_single(bytes, &layout.fields[0].1, &mut builders[layout.slots[0]])
            } else {
                json::decode_object(bytes, layout, builders, scratch, row)
            }
        }
        Format::Delimited { delimiter } => {
            splitter.split(bytes, *delimiter)?;
            delimited::decode(splitter, &layout.fields, &layout.slots, builders)
        }
        Format::Kafka => kafka::decode(bytes, &layout.fields[0].1, &mut builders[layout.slots[0]]),
        Format::None => Ok(()),
    }
}

fn encode_with(
    format: &Format,
    cells: &[Cells<'_>],
    names: &FieldNames,
    row: usize,
    buf: &mut Vec<u8>,
    field: &mut String,
    is_key: bool,
) {
    match format {
        Format::Json { wrap_single } => {
            if cells.len() == 1 && (is_key || !*wrap_single) {
                json::write_cell(buf, &cells[0], row, Style::RECORD);
            } else {
                json::write_named_object(buf, names, cells, row, Style::RECORD);
            }
        }
        Format::Delimited { delimiter } => delimited::encode(buf, *delimiter, cells, row, field),
        Format::Kafka => {
            if let Some(c) = cells.first() {
                kafka::encode(buf, c, row);
            }
        }
        Format::None => {}
    }
}

#[cfg(test)]
mod tests {
    use wasp_sql::Value;

    use super::*;

    #[test]
    fn codec_decodes_key_and_value() {
        let fields = vec![
            Field::new("ID", DataType::Int, ColumnRole::Key),
            Field::new("NAME", DataType::String, ColumnRole::Value),
            Field::new(ROWTIME, DataType::BigInt, ColumnRole::Pseudo),
        ];
        let mut codec = RowCodec::new(&fields, Format::Kafka, Format::JSON);
        codec.decode(Some(&7i32.to_be_bytes()), Some(br#"{"name":"a"}"#), 5, 0, 0).unwrap();
        assert!(codec.decode(Some(b"xx"), Some(b"{}"), 6, 0, 1).unwrap_err().starts_with("key:"));
        assert!(codec.decode(Some(&8i32.to_be_bytes()), Some(b"{\"name\": 1"), 6, 0, 1).is_err());
        let batch = codec.finish();
        assert_eq!(batch.rows, 1);
        assert_eq!(batch.row(0), vec![Value::Int(7), Value::string("a"), Value::BigInt(5)]);
        let (mut k, mut v) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        codec
            .encode::<()>(&batch, 1, &mut k, &mut v, |_, key, value| {
                out.push((key.map(<[u8]>::to_vec), value.to_vec()));
                Ok(())
            })
            .unwrap();
        assert_eq!(out, vec![(Some(7i32.to_be_bytes().to_vec()), br#"{"NAME":"a"}"#.to_vec())]);
    }

    #[test]
    fn fields_the_query_does_not_read_are_checked_and_null() {
        let fields = vec![
            Field::new("ID", DataType::Int, ColumnRole::Value),
            Field::new("NOTE", DataType::String, ColumnRole::Value),
            Field::new("N", DataType::BigInt, ColumnRole::Value),
        ];
        let mut codec = RowCodec::new(&fields, Format::Kafka, Format::JSON);
        codec.set_needed(&[true, false, false]);
        for batch_rows in [3, 1] {
            for i in 0..batch_rows {
                codec.decode(None, Some(format!(r#"{{"ID":{i},"NOTE":"x","N":{i}}}"#).as_bytes()), 0, 0, 0).unwrap();
            }
            // An unread field is still type-checked: the record is refused.
            assert!(codec.decode(None, Some(br#"{"ID":9,"NOTE":"x","N":"not a number"}"#), 0, 0, 0).is_err());
            let batch = codec.finish();
            assert_eq!(batch.rows, batch_rows);
            assert_eq!(batch.columns.len(), 3);
            for column in &batch.columns {
                assert_eq!(column.len(), batch_rows);
            }
            assert_eq!(batch.columns[1].data_type(), &arrow_schema::DataType::Utf8);
            assert_eq!(batch.columns[1].null_count(), batch_rows);
            assert_eq!(batch.columns[2].null_count(), batch_rows);
            assert_eq!(batch.row(batch_rows - 1), vec![Value::Int(batch_rows as i32 - 1), Value::Null, Value::Null]);
        }
    }

    #[test]
    fn codec_marks_or_drops_tombstones() {
        let fields = vec![
            Field::new("ID", DataType::Int, ColumnRole::Key),
            Field::new("NAME", DataType::String, ColumnRole::Value),
        ];
        let mut codec = RowCodec::new(&fields, Format::Kafka, Format::JSON);
        codec.decode(Some(&1i32.to_be_bytes()), Some(br#"{"NAME":"a"}"#), 0, 0, 0).unwrap();
        codec.decode(Some(&2i32.to_be_bytes()), None, 0, 0, 1).unwrap();
        assert_eq!(codec.finish().row(1), vec![Value::Int(2), Value::Null]);
        assert_eq!(codec.tombstones(), &[1]);
        codec.drop_tombstones();
        codec.decode(Some(&2i32.to_be_bytes()), None, 0, 0, 2).unwrap();
        assert_eq!(codec.finish().rows, 0);
        assert!(codec.tombstones().is_empty());
    }
}
