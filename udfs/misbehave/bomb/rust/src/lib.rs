//! Misbehaving guest: `bomb(s VARCHAR) RETURNS VARCHAR` returns `s`, except that on
//! a row whose value is `bomb` it allocates (and touches) 1 MiB after 1 MiB until
//! the allocator fails, which aborts: a trap. The host's memory cap
//! (MEMORY_LIMIT) must refuse the growth, the instance is discarded, only that
//! row goes to the processing log, and the host's own memory stays bounded.

/// Returns its argument; allocates without end on the value 'bomb'.
#[wasp::udf]
pub fn bomb(s: &str) -> String {
    if s == "bomb" {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![0xA5; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
    s.to_string()
}

wasp::export!(bomb);
