//! Misbehaving guest: `recurse(depth BIGINT) RETURNS BIGINT` recurses `depth`
//! frames deep (each with a 256-byte buffer the optimizer cannot remove) and
//! returns 1 + 2 + ... + depth. Small depths are fine (`recurse(10)` is 55); a
//! depth such as 100000000 overflows the guest's stack, a trap the host must
//! contain (`max_wasm_stack`) without its own stack suffering.

/// 1 + 2 + ... + depth, computed by recursion `depth` frames deep.
#[wasp::udf]
pub fn recurse(depth: i64) -> i64 {
    sum_to(depth)
}

wasp::export!(recurse);

#[inline(never)]
fn sum_to(n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    let mut frame = [0u8; 256];
    std::hint::black_box(&mut frame);
    n.wrapping_add(sum_to(n - 1)).wrapping_add(i64::from(frame[0]))
}
