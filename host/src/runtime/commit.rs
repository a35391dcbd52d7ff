//! At-least-once delivery: a batch's input offsets are committed only after every
//! record produced for it was acknowledged, oldest batch first; commits are grouped.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::QueryStats;
use crate::connectors::AckTicket;

/// A batch whose output is not acknowledged yet.
pub(super) struct InFlight {
    pub ticket: Arc<AckTicket>,
    /// Per partition, the next offset to read once this batch is done.
    pub offsets: Vec<(i32, i64)>,
    /// Input records of the batch.
    pub records: u64,
}

/// Offsets whose output is acknowledged, committed in groups: at most every
/// `COMMIT_INTERVAL`, and at once when the query idles or stops. Committing later
/// never loses data (at-least-once); committing every small batch would flood the
/// group coordinator.
#[derive(Default)]
pub(super) struct Committer {
    offsets: Vec<(i32, i64)>,
    records: u64,
    last: Option<Instant>,
}

/// How often acknowledged offsets are committed while records flow (ksqlDB's
/// `commit.interval.ms` default is 2 s).
const COMMIT_INTERVAL: Duration = Duration::from_millis(500);

/// How often offsets are committed while the query has caught up with its input
/// (polls return less than a full batch).
const CAUGHT_UP_INTERVAL: Duration = Duration::from_millis(20);

impl Committer {
    /// Whether acknowledged offsets wait for their commit.
    pub(super) fn pending(&self) -> bool {
        !self.offsets.is_empty()
    }

    fn add(&mut self, batch: InFlight) {
        for (p, o) in batch.offsets {
            match self.offsets.iter_mut().find(|(q, _)| *q == p) {
                Some(slot) => slot.1 = slot.1.max(o),
                None => self.offsets.push((p, o)),
            }
        }
        self.records += batch.records;
    }

    pub(super) fn commit(
        &mut self,
        source: &mut dyn crate::connectors::Source,
        stats: &QueryStats,
        force: bool,
        caught_up: bool,
    ) -> Result<(), String> {
        // Caught up with the input, a commit is cheap to make soon: the output of the
        // last records should not wait a whole interval to count as done.
        let interval = if caught_up { CAUGHT_UP_INTERVAL } else { COMMIT_INTERVAL };
        let due = force || self.last.is_none_or(|t| t.elapsed() >= interval);
        if self.offsets.is_empty() || !due {
            return Ok(());
        }
        source.commit(&self.offsets).map_err(|e| e.to_string())?;
        stats.messages_committed.fetch_add(self.records, Ordering::Relaxed);
        self.offsets.clear();
        self.records = 0;
        self.last = Some(Instant::now());
        Ok(())
    }
}

/// Moves acknowledged batches, oldest first, to the committer and commits when due.
/// With `wait`, waits (up to a bound) for outstanding deliveries; with `wait` or
/// `force`, commits what is acknowledged now.
pub(super) fn complete(
    in_flight: &mut VecDeque<InFlight>,
    committer: &mut Committer,
    source: &mut dyn crate::connectors::Source,
    stats: &QueryStats,
    wait: bool,
    force: bool,
    caught_up: bool,
) -> Result<(), String> {
    drain(in_flight, committer, wait)?;
    committer.commit(source, stats, wait || force, caught_up)
}

/// Moves acknowledged batches, oldest first, to the committer; with `wait`, waits (up
/// to a bound) for every outstanding delivery.
pub(super) fn drain(in_flight: &mut VecDeque<InFlight>, committer: &mut Committer, wait: bool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(InFlight { ticket, .. }) = in_flight.front() {
        if !ticket.done() {
            if wait && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
                continue;
            }
            break;
        }
        if let Some(e) = ticket.error() {
            return Err(format!("delivery failed: {e}"));
        }
        if let Some(done) = in_flight.pop_front() {
            committer.add(done);
        }
    }
    Ok(())
}
