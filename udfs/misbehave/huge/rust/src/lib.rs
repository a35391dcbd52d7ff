//! Misbehaving guest: `huge(mode VARCHAR) RETURNS VARCHAR` answers a batch with a
//! result that breaks the ABI's promises, chosen by the first row's value:
//!
//! | first row | result                                                             |
//! |-----------|--------------------------------------------------------------------|
//! | `rows`    | a column of `rows * 1000 + 1` rows (far more than the batch has)   |
//! | `bytes`   | the right rows, the first holding 32 MiB of text                   |
//! | `offsets` | the right rows, offsets that decrease and point past the data      |
//! | `short`   | the right rows, but one offset instead of `rows + 1`               |
//! | `errors`  | a row error for a row the batch does not have                      |
//! | `columns` | no result column at all                                            |
//! | other     | each row as it is (a well-behaved function)                        |
//!
//! The host must refuse every bad result as the guest's fault (the batch's rows to
//! the processing log, a bounded copy at most) and never read out of bounds.
//!
//! It implements the component's exports directly over the generated bindings,
//! since the SDK's `Registry` would catch these results before they leave the
//! guest.

/// The well-behaved answer, which the native test checks.
pub fn echo(values: &[u8], offsets: &[u8], rows: usize) -> (Vec<u8>, Vec<u8>) {
    let end = 4 * (rows + 1);
    (values.to_vec(), offsets[..end.min(offsets.len())].to_vec())
}

#[cfg(target_arch = "wasm32")]
mod component {
    use wasp_guest::__private::abi::bindings::wasp::udf::types::{
        Column, Determinism, NullHandling, Param, RowError, SqlType, TypeNode,
    };
    use wasp_guest::__private::abi::{Batch, CallError, FunctionDef, Guest, Output};

    struct Component;

    fn string_type() -> SqlType {
        SqlType { nodes: vec![TypeNode::String] }
    }

    fn offsets(values: impl IntoIterator<Item = i32>) -> Vec<u8> {
        values.into_iter().flat_map(i32::to_le_bytes).collect()
    }

    fn column(len: u32, values: Vec<u8>, offsets: Vec<u8>) -> Column {
        Column { len, validity: None, values, offsets: Some(offsets), children: Vec::new() }
    }

    impl Guest for Component {
        fn describe() -> Vec<FunctionDef> {
            vec![FunctionDef {
                name: "huge".into(),
                params: vec![Param { name: "mode".into(), ty: string_type() }],
                variadic: false,
                returns: string_type(),
                null_handling: NullHandling::CalledOnNull,
                determinism: Determinism::Deterministic,
                description: "Answers with results that break the ABI, as the first row asks.".into(),
            }]
        }

        fn call(function: String, args: Batch) -> Result<Output, CallError> {
            if !function.eq_ignore_ascii_case("huge") {
                return Err(CallError::UnknownFunction(function));
            }
            let rows = args.rows;
            let input = args.columns.first().ok_or_else(|| CallError::InvalidArguments("no argument".into()))?;
            let input_offsets = input.offsets.as_deref().unwrap_or(&[]);
            let first = match (input_offsets.get(0..4), input_offsets.get(4..8)) {
                (Some(s), Some(e)) if rows > 0 => {
                    let s = i32::from_le_bytes(s.try_into().unwrap()) as usize;
                    let e = i32::from_le_bytes(e.try_into().unwrap()) as usize;
                    input.values.get(s..e).unwrap_or(&[])
                }
                _ => &[],
            };
            let n = rows as i32;
            let result = match first {
                b"rows" => {
                    let len = rows * 1000 + 1;
                    column(len, Vec::new(), offsets((0..=len).map(|_| 0)))
                }
                b"bytes" => {
                    let big = 32 << 20;
                    column(rows, vec![b'x'; big], offsets(std::iter::once(0).chain((1..=n).map(|_| big as i32))))
                }
                b"offsets" => column(rows, b"abc".to_vec(), offsets((0..=n).map(|i| (n - i) * 1000 + 7))),
                b"short" => column(rows, b"abc".to_vec(), offsets([0])),
                b"errors" => {
                    let (values, offs) = super::echo(&input.values, input_offsets, rows as usize);
                    return Ok(Output {
                        columns: vec![column(rows, values, offs)],
                        row_errors: vec![RowError { row: rows + 5, message: "a row the batch does not have".into() }],
                    });
                }
                b"columns" => return Ok(Output { columns: Vec::new(), row_errors: Vec::new() }),
                _ => {
                    let (values, offs) = super::echo(&input.values, input_offsets, rows as usize);
                    column(rows, values, offs)
                }
            };
            Ok(Output { columns: vec![result], row_errors: Vec::new() })
        }
    }

    wasp_guest::__private::abi::export!(Component with_types_in wasp_guest::__private::abi::bindings);
}

#[cfg(test)]
mod tests {
    #[test]
    fn echo_keeps_the_rows() {
        let offsets: Vec<u8> = [0i32, 2, 5].iter().flat_map(|o| o.to_le_bytes()).collect();
        let (values, offs) = super::echo(b"abcde", &offsets, 2);
        assert_eq!(values, b"abcde");
        assert_eq!(offs, offsets);
    }
}
