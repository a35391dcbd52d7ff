//! The KAFKA format: Kafka's standard primitive serializers. INT is 4 bytes and
//! BIGINT 8 bytes big-endian, DOUBLE is an 8-byte big-endian IEEE 754 double, STRING
//! is UTF-8, BYTES is raw.

use std::sync::Arc;

use wasp_sql::{DataType, Value};

pub fn decode(bytes: &[u8], t: &DataType) -> Result<Value, String> {
    let size_err = |n: usize| format!("expected {n} bytes for {t}, found {}", bytes.len());
    Ok(match t {
        DataType::Int => Value::Int(i32::from_be_bytes(bytes.try_into().map_err(|_| size_err(4))?)),
        DataType::BigInt => Value::BigInt(i64::from_be_bytes(bytes.try_into().map_err(|_| size_err(8))?)),
        DataType::Double => Value::Double(f64::from_be_bytes(bytes.try_into().map_err(|_| size_err(8))?)),
        DataType::String => Value::String(Arc::from(
            std::str::from_utf8(bytes).map_err(|_| "STRING key is not valid UTF-8".to_owned())?,
        )),
        DataType::Bytes => Value::Bytes(Arc::from(bytes)),
        other => return Err(format!("the KAFKA format does not support {other}")),
    })
}

pub fn encode(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Int(i) => buf.extend_from_slice(&i.to_be_bytes()),
        Value::BigInt(i) | Value::Timestamp(i) => buf.extend_from_slice(&i.to_be_bytes()),
        Value::Double(d) => buf.extend_from_slice(&d.to_be_bytes()),
        Value::String(s) => buf.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) => buf.extend_from_slice(b),
        Value::Null => {}
        other => buf.extend_from_slice(other.to_string().as_bytes()),
    }
}
