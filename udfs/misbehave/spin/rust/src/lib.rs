//! Misbehaving guest: `spin(s VARCHAR) RETURNS VARCHAR` returns `s`, except that on
//! a row whose value is `spin` it loops forever. The host's epoch deadline must
//! stop the call (TIMEOUT_MS), discard the instance, and send only that row to
//! the processing log.

/// Returns its argument; loops forever on the value 'spin'.
#[wasp::udf]
pub fn spin(s: &str) -> String {
    if s == "spin" {
        let mut n: u64 = 0;
        loop {
            // Keeps the loop from being optimized into something else.
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
    s.to_string()
}

wasp::export!(spin);
