//! The machinery shared by the streaming endpoints: waiting for the next row, a
//! heartbeat while none comes, ending at server shutdown, and closing the query when
//! the client goes away.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{BoxStream, StreamExt};
use tokio::sync::watch;

use crate::api::{EngineError, KsqlEngine};

/// What happened next on a query's output.
#[derive(Debug)]
pub enum Event<T> {
    Item(T),
    /// The query failed; nothing follows.
    Error(EngineError),
    /// The query ended (LIMIT reached, closed, or input exhausted).
    End,
    /// Nothing arrived for a heartbeat interval.
    Idle,
    /// The server is shutting down.
    Shutdown,
}

/// Closes a transient query when dropped while still armed: the response body that owns
/// it was dropped because the client disconnected.
pub struct CloseOnDrop {
    engine: Arc<dyn KsqlEngine>,
    query_id: String,
    armed: bool,
}

impl CloseOnDrop {
    pub fn new(engine: Arc<dyn KsqlEngine>, query_id: String) -> CloseOnDrop {
        CloseOnDrop { engine, query_id, armed: true }
    }

    /// The query ended by itself; nothing to close.
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        if self.armed && !self.query_id.is_empty() {
            tracing::debug!(query_id = %self.query_id, "client went away; closing the query");
            if let Err(e) = self.engine.close_query(&self.query_id) {
                tracing::debug!(query_id = %self.query_id, error = %e, "closing a finished query");
            }
        }
    }
}

/// The output of a running query, as a response body reads it.
pub struct Feed<T> {
    items: BoxStream<'static, Result<T, EngineError>>,
    heartbeat: Option<Duration>,
    shutdown: watch::Receiver<bool>,
    guard: Option<CloseOnDrop>,
    done: bool,
}

impl<T> Feed<T> {
    pub fn new(
        items: BoxStream<'static, Result<T, EngineError>>,
        heartbeat: Option<Duration>,
        shutdown: watch::Receiver<bool>,
        guard: Option<CloseOnDrop>,
    ) -> Feed<T> {
        Feed { items, heartbeat, shutdown, guard, done: false }
    }

    /// Waits for the next event. After `Error`, `End` or `Shutdown` it answers `End`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an item is never lost when the future is dropped.
    pub async fn next(&mut self) -> Event<T> {
        if self.done {
            return Event::End;
        }
        let interval = self.heartbeat;
        let heartbeat = async move {
            match interval {
                Some(d) => tokio::time::sleep(d).await,
                None => futures::future::pending().await,
            }
        };
        let event = tokio::select! {
            item = self.items.next() => match item {
                Some(Ok(v)) => Event::Item(v),
                Some(Err(e)) => Event::Error(e),
                None => Event::End,
            },
            _ = heartbeat => Event::Idle,
            _ = self.shutdown.wait_for(|stop| *stop) => Event::Shutdown,
        };
        match &event {
            Event::Error(_) | Event::End => {
                self.done = true;
                if let Some(g) = self.guard.as_mut() {
                    g.disarm();
                }
            }
            // The guard stays armed: the query is still running and must be closed.
            Event::Shutdown => self.done = true,
            Event::Item(_) | Event::Idle => {}
        }
        event
    }
}
