//! Live statistics of a WebAssembly function, shared by every query that calls it:
//! relaxed atomic counters and a log-linear histogram of nanoseconds per batch, so
//! recording takes no lock.

use std::sync::atomic::{AtomicU64, Ordering};

/// Sub-buckets per power of two.
const SUB: usize = 4;
const BUCKETS: usize = 64 * SUB;

/// Counters of one function.
#[derive(Debug)]
pub struct FunctionStats {
    pub calls: AtomicU64,
    pub rows: AtomicU64,
    /// Rows that failed: per-row errors, rows of failed calls, rows that trapped.
    pub errors: AtomicU64,
    pub traps: AtomicU64,
    pub timeouts: AtomicU64,
    nanos: Box<[AtomicU64]>,
}

impl Default for FunctionStats {
    fn default() -> Self {
        FunctionStats {
            calls: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            traps: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            nanos: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub calls: u64,
    pub rows: u64,
    pub errors: u64,
    pub traps: u64,
    pub timeouts: u64,
    /// Median and 99th percentile nanoseconds per batch (upper bounds of their
    /// histogram buckets, within 19%); 0 before the first call.
    pub p50_ns: u64,
    pub p99_ns: u64,
}

fn bucket(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let log = 63 - ns.leading_zeros() as usize; // >= 2
    let sub = ((ns >> (log - 2)) & 0b11) as usize;
    (log * SUB + sub).min(BUCKETS - 1)
}

/// The largest value of bucket `b`.
fn upper(b: usize) -> u64 {
    if b < SUB {
        return b as u64;
    }
    let log = b / SUB;
    if log < 2 {
        // Unused buckets: values below SUB sit in the first ones.
        return SUB as u64 - 1;
    }
    let sub = (b % SUB) as u64;
    ((SUB as u64 + sub + 1) << (log - 2)).saturating_sub(1)
}

impl FunctionStats {
    /// One batch of `rows` rows that took `ns` nanoseconds.
    pub fn record_batch(&self, rows: usize, ns: u64) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows as u64, Ordering::Relaxed);
        self.nanos[bucket(ns)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let counts: Vec<u64> = self.nanos.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let quantile = |q: f64| -> u64 {
            if total == 0 {
                return 0;
            }
            let rank = ((total as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (b, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return upper(b);
                }
            }
            upper(BUCKETS - 1)
        };
        StatsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            traps: self.traps.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            p50_ns: quantile(0.5),
            p99_ns: quantile(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_bound_their_values() {
        for ns in [0u64, 1, 3, 4, 5, 7, 8, 100, 1_000, 123_456, 1 << 40] {
            let b = bucket(ns);
            assert!(upper(b) >= ns, "{ns} in bucket {b} with upper {}", upper(b));
            assert!(b == 0 || upper(b - 1) < ns, "{ns}");
        }
    }

    #[test]
    fn percentiles() {
        let s = FunctionStats::default();
        for i in 1..=100u64 {
            s.record_batch(10, i * 1000);
        }
        let snap = s.snapshot();
        assert_eq!((snap.calls, snap.rows), (100, 1000));
        assert!((50_000..=60_000).contains(&snap.p50_ns), "{}", snap.p50_ns);
        assert!((99_000..=118_000).contains(&snap.p99_ns), "{}", snap.p99_ns);
    }
}
