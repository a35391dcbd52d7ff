//! Misbehaving guest: `trap(s VARCHAR) RETURNS VARCHAR` returns `s`, except that on
//! a row whose value is `trap` it panics, which (with `panic = "abort"`) is a
//! WebAssembly trap. The host discards the instance, bisects the batch, and sends
//! only that row to the processing log; the other rows keep their results.

/// Returns its argument; panics on the value 'trap'.
#[wasp::udf]
pub fn trap(s: &str) -> String {
    if s == "trap" {
        panic!("trap-rust: the row asked for a trap");
    }
    s.to_string()
}

wasp::export!(trap);
