//! The ksqlDB-compatible REST server.
//!
//! Existing ksqlDB clients (the ksql CLI, the Java client, the Python and Go clients,
//! Confluent's tools) talk to wasp unchanged. One port speaks HTTP/1.1 and HTTP/2,
//! including cleartext HTTP/2 with prior knowledge (h2c), which the Java client uses
//! for `/query-stream`.
//!
//! | Endpoint              | Does                                                     |
//! |-----------------------|----------------------------------------------------------|
//! | `POST /ksql`          | runs statements, answers a JSON array of entities        |
//! | `POST /query`         | streams a push query or `PRINT` in the old chunked JSON  |
//! | `POST /query-stream`  | streams a query as delimited JSON (or one JSON array)    |
//! | `POST /close-query`   | stops a query started by `/query-stream`                 |
//! | `POST /inserts-stream`| inserts newline-delimited JSON rows, one ack per row     |
//! | `GET /info`           | server version and ids                                   |
//! | `GET /healthcheck`    | health of the metastore and Kafka (503 when unhealthy)   |
//! | `GET /status`         | the status of every command this server ran              |
//!
//! The server only translates: every request becomes a call on [`KsqlEngine`], and
//! every result is rendered in ksqlDB's JSON shapes ([`entities`], [`json`]).

pub mod entities;
pub mod errors;
mod info;
mod inserts;
pub mod json;
mod ksql;
mod query;
mod query_stream;
pub mod request;
mod status;
mod streaming;

#[cfg(test)]
pub(crate) mod tests;

use std::future::Future;
use std::sync::Arc;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::watch;

use crate::api::KsqlEngine;

pub use errors::ApiError;
pub use json::value_to_json;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub engine: Arc<dyn KsqlEngine>,
    /// The commands run through `/ksql`, for `/status`.
    pub commands: Arc<status::CommandLog>,
    /// Becomes `true` when the server shuts down; open streams then end.
    pub shutdown: Arc<watch::Sender<bool>>,
}

impl AppState {
    fn new(engine: Arc<dyn KsqlEngine>) -> AppState {
        let (shutdown, _) = watch::channel(false);
        AppState { engine, commands: Arc::default(), shutdown: Arc::new(shutdown) }
    }
}

/// The routes of the REST API, for embedding in another server or for tests.
/// Streams opened through it end only when their queries do; [`serve`] also ends them
/// at shutdown.
pub fn router(engine: Arc<dyn KsqlEngine>) -> Router {
    routes(AppState::new(engine))
}

/// The largest `/ksql` request: room for a `CREATE FUNCTION ... FROM BASE64` of a
/// module just over the engine's 100 MiB limit, so such a request is answered with the
/// engine's 400 and its reason rather than a bare 413.
const KSQL_BODY_LIMIT: usize = 160 << 20;

fn routes(state: AppState) -> Router {
    Router::new()
        .route("/ksql", post(ksql::handle).layer(axum::extract::DefaultBodyLimit::max(KSQL_BODY_LIMIT)))
        .route("/query", post(query::handle))
        .route("/query-stream", post(query_stream::handle))
        .route("/close-query", post(query_stream::close))
        .route("/inserts-stream", post(inserts::handle))
        .route("/info", get(info::info))
        .route("/healthcheck", get(info::healthcheck))
        .route("/status", get(status::all))
        .route("/status/{kind}/{entity}/{action}", get(status::one))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    ApiError::generic(StatusCode::NOT_FOUND, errors::ERROR_CODE_NOT_FOUND, format!("No endpoint {method} {uri}"))
        .into_response()
}

/// Serves the REST API on `listener` until `shutdown` resolves.
///
/// HTTP/1.1 and HTTP/2 (TLS-less, with prior knowledge) share the port. At shutdown the
/// server stops accepting connections, ends open query streams, and waits for the
/// responses in flight to finish.
pub async fn serve(
    engine: Arc<dyn KsqlEngine>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::new(engine);
    let stop = state.shutdown.clone();
    let app = routes(state);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "REST server listening");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop.send_replace(true);
        })
        .await?;
    Ok(())
}
