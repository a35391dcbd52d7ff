//! The counters of one query.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Counters of one query.
#[derive(Debug)]
pub struct QueryStats {
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub failures: AtomicU64,
    /// Input records whose offsets were committed: their output is acknowledged.
    pub messages_committed: AtomicU64,
    /// Epoch ms of the last record read, or -1.
    pub last_message_ms: AtomicI64,
    state: Mutex<(String, Option<String>)>,
    rate: Mutex<RateMeter>,
}

#[derive(Debug)]
struct RateMeter {
    window_start: Instant,
    window_count: u64,
    rate: f64,
}

impl Default for QueryStats {
    fn default() -> Self {
        QueryStats {
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            messages_committed: AtomicU64::new(0),
            last_message_ms: AtomicI64::new(-1),
            state: Mutex::new(("RUNNING".into(), None)),
            rate: Mutex::new(RateMeter { window_start: Instant::now(), window_count: 0, rate: 0.0 }),
        }
    }
}

impl QueryStats {
    /// RUNNING, ERROR, DONE...
    pub fn state(&self) -> String {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    /// The last error that made the query restart, if any.
    pub fn last_error(&self) -> Option<String> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1.clone()
    }

    pub(super) fn set_state(&self, state: &str, error: Option<String>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = state.to_owned();
        if error.is_some() {
            s.1 = error;
        }
    }

    /// Messages per second, measured over the last few seconds.
    pub fn rate(&self) -> f64 {
        let r = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        if r.window_start.elapsed() > Duration::from_secs(10) {
            0.0
        } else {
            r.rate
        }
    }

    pub(super) fn record(&self, n: usize) {
        self.messages_in.fetch_add(n as u64, Ordering::Relaxed);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        self.last_message_ms.store(now, Ordering::Relaxed);
        let mut r = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        r.window_count += n as u64;
        let elapsed = r.window_start.elapsed();
        if elapsed >= Duration::from_secs(1) {
            r.rate = r.window_count as f64 / elapsed.as_secs_f64();
            r.window_count = 0;
            r.window_start = Instant::now();
        }
    }
}
