//! The supervisor of a query thread: runs attempts, retries the ones the broker
//! failed (with backoff, from the committed offsets), and stops the query with ERROR,
//! naming the reason, when retrying cannot help: a plan that no longer builds, or a
//! panic (caught, so a query never stays RUNNING with a dead thread).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::run::{run_attempt, Exit};
use super::{Output, RunSpec};
use crate::api::EngineError;

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    /// The broker or network failed: retry from the committed offsets. Otherwise the
    /// query itself is at fault (its plan, its configuration, a bug) and retrying
    /// would fail the same way.
    pub retryable: bool,
}

impl RunError {
    pub fn fatal(message: impl Into<String>) -> RunError {
        RunError { message: message.into(), retryable: false }
    }
}

/// Errors from the broker and the connectors: worth a retry.
impl From<String> for RunError {
    fn from(message: String) -> RunError {
        RunError { message, retryable: true }
    }
}

impl From<EngineError> for RunError {
    fn from(e: EngineError) -> RunError {
        let retryable = matches!(e, EngineError::Kafka(_));
        RunError { message: e.to_string(), retryable }
    }
}

/// The text of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned())
}

pub(super) fn supervise(spec: RunSpec) {
    let mut backoff = Duration::from_millis(250);
    // Rows a LIMIT has counted, across attempts: a restart does not start over.
    let mut emitted: u64 = 0;
    loop {
        if spec.stop.load(Ordering::Acquire) {
            spec.stats.set_state("TERMINATED", None);
            return;
        }
        let attempt = catch_unwind(AssertUnwindSafe(|| {
            let pipeline = (spec.build)()?;
            run_attempt(&spec, pipeline, &mut emitted)
        }));
        let result = attempt.unwrap_or_else(|panic| {
            Err(RunError::fatal(format!("internal error, the query thread panicked: {}", panic_message(&*panic))))
        });
        match result {
            Ok(exit) => {
                tracing::debug!(query = %spec.query_id, ?exit, "query finished");
                spec.stats.set_state(if exit == Exit::Stopped { "TERMINATED" } else { "DONE" }, None);
                return;
            }
            Err(e) if !e.retryable => {
                tracing::error!(query = %spec.query_id, error = %e.message, "query failed and will not be retried");
                spec.stats.set_state("ERROR", Some(e.message.clone()));
                if let Output::Channel(tx) = &spec.output {
                    let _ = tx.blocking_send(Err(EngineError::Internal(e.message)));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(query = %spec.query_id, error = %e.message, retry_in = ?backoff, "query failed; restarting from committed offsets");
                spec.stats.set_state("ERROR", Some(e.message.clone()));
                if let Output::Channel(tx) = &spec.output {
                    if tx.is_closed() {
                        return;
                    }
                }
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    if spec.stop.load(Ordering::Acquire) {
                        spec.stats.set_state("TERMINATED", None);
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_who_is_at_fault() {
        assert!(RunError::from("broker down".to_owned()).retryable);
        assert!(RunError::from(EngineError::Kafka("timed out".into())).retryable);
        assert!(!RunError::from(EngineError::Statement("unknown function FOO".into())).retryable);
        assert!(!RunError::fatal("panic").retryable);
        let caught = catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(&*caught), "boom 1");
    }

    fn spec(build: Box<dyn Fn() -> Result<crate::planner::Pipeline, EngineError> + Send>) -> RunSpec {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;

        use crate::connectors::memory::MemoryBroker;
        use crate::connectors::{OffsetReset, SourceOptions};
        let broker = Arc::new(MemoryBroker::new());
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        RunSpec {
            query_id: "Q".into(),
            build,
            source_options: SourceOptions { group_id: "g".into(), offset_reset: OffsetReset::Earliest, bounded: true },
            output: Output::Channel(tx),
            log: crate::processing_log::ProcessingLog::new(broker.as_ref(), "log"),
            broker,
            stats: Default::default(),
            stop: Arc::new(AtomicBool::new(false)),
            batch_size: 16,
            state_dir: None,
        }
    }

    #[test]
    fn a_panicking_query_stops_with_error_and_the_message() {
        let s = spec(Box::new(|| panic!("planner invariant broken")));
        let stats = s.stats.clone();
        supervise(s);
        assert_eq!(stats.state(), "ERROR");
        assert!(stats.last_error().is_some_and(|e| e.contains("panicked: planner invariant broken")));
    }

    #[test]
    fn a_plan_error_is_not_retried() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = calls.clone();
        let s = spec(Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Err(EngineError::Statement("unknown function FOO".into()))
        }));
        let stats = s.stats.clone();
        supervise(s);
        assert_eq!((stats.state().as_str(), calls.load(Ordering::SeqCst)), ("ERROR", 1));
    }
}
