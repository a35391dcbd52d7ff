//! The KAFKA format: Kafka's standard primitive serializers. INT is 4 bytes and
//! BIGINT 8 bytes big-endian, DOUBLE is an 8-byte big-endian IEEE 754 double, STRING
//! is UTF-8, BYTES is raw.

use wasp_sql::DataType;

use super::cells::Cells;
use crate::columnar::ColumnBuilder;

/// Decodes one value of type `t` into `out`.
pub fn decode(bytes: &[u8], t: &DataType, out: &mut ColumnBuilder) -> Result<(), String> {
    let size_err = |n: usize| format!("expected {n} bytes for {t}, found {}", bytes.len());
    match t {
        DataType::Int => out.push_i32(i32::from_be_bytes(bytes.try_into().map_err(|_| size_err(4))?)),
        DataType::BigInt => {
            out.push_i64(i64::from_be_bytes(bytes.try_into().map_err(|_| size_err(8))?));
        }
        DataType::Double => out.push_f64(f64::from_be_bytes(bytes.try_into().map_err(|_| size_err(8))?)),
        DataType::String => {
            out.push_str(std::str::from_utf8(bytes).map_err(|_| "STRING key is not valid UTF-8".to_owned())?)
        }
        DataType::Bytes => out.push_bytes(bytes),
        other => return Err(format!("the KAFKA format does not support {other}")),
    }
    Ok(())
}

/// Encodes row `row` of a column (check_columns allows only the types above).
pub fn encode(buf: &mut Vec<u8>, cells: &Cells<'_>, row: usize) {
    if cells.is_null(row) {
        return;
    }
    match cells {
        Cells::Int(a) => buf.extend_from_slice(&a.value(row).to_be_bytes()),
        Cells::BigInt(a) => buf.extend_from_slice(&a.value(row).to_be_bytes()),
        Cells::Timestamp(a) => buf.extend_from_slice(&a.value(row).to_be_bytes()),
        Cells::Double(a) => buf.extend_from_slice(&a.value(row).to_be_bytes()),
        Cells::String(a) => buf.extend_from_slice(a.value(row).as_bytes()),
        Cells::Bytes(a) => buf.extend_from_slice(a.value(row)),
        _ => {}
    }
}
