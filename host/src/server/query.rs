//! `POST /query`: ksqlDB's original streaming endpoint.
//!
//! Request: `{"ksql":"SELECT ... EMIT CHANGES;","streamsProperties":{..}}`. The answer is
//! a chunked `application/json` array written one element per line as rows arrive:
//!
//! ```text
//! [{"header":{"queryId":"transient_S_1","schema":"`A` STRING, `B` INTEGER"}},
//! {"row":{"columns":["x",1]}},
//! {"finalMessage":"Limit Reached"}]
//! ```
//!
//! A lone newline is written while no row arrives, which is how a disconnected client
//! is noticed. A failing query ends with `{"errorMessage":{"@type":"generic_error",...}}]`.
//! `PRINT` answers lines of text instead.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::api::{ColumnInfo, EngineError, PrintStream, PushQuery, QueryStart};

use super::errors::{status_and_code, ApiError};
use super::json::write_client_value;
use super::request::{parse_body, properties, substitute_variables};
use super::streaming::{CloseOnDrop, Event, Feed};
use super::AppState;

/// How long a silent query waits before writing a keep-alive newline.
pub(super) const HEARTBEAT: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize)]
struct QueryRequest {
    ksql: String,
    #[serde(default, rename = "streamsProperties")]
    streams_properties: Option<Map<String, Json>>,
    #[serde(default, rename = "sessionVariables")]
    session_variables: Option<Map<String, Json>>,
}

pub(super) async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    let request: QueryRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let sql = substitute_variables(&request.ksql, request.session_variables.as_ref());
    let props = properties(request.streams_properties.as_ref());
    let started = state.engine.query(&sql, &props).await;
    let body = match started {
        Err(e) => return ApiError::from_statement(&e, &sql, Vec::new()).into_response(),
        Ok(QueryStart::Rows(q)) => Body::from_stream(rows_body(&state, q)),
        Ok(QueryStart::Print(p)) => Body::from_stream(print_body(&state, p)),
    };
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The schema of a query's output as ksqlDB's header writes it: "`A` STRING, `B` INTEGER".
pub(super) fn schema_string(columns: &[ColumnInfo]) -> String {
    columns.iter().map(|c| format!("`{}` {}", c.name, c.data_type)).collect::<Vec<_>>().join(", ")
}

/// A row's values as a JSON array, each with its column's type, written by the
/// engine's one JSON writer in its client style (DECIMAL with its scale and digits,
/// never through a double; temporal values as ISO text).
pub(super) fn row_json(columns: &[ColumnInfo], row: &[wasp_sql::Value]) -> String {
    let mut buf = Vec::with_capacity(16 * row.len() + 2);
    buf.push(b'[');
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let t = columns.get(i).map_or_else(|| v.natural_type(), |c| c.data_type.clone());
        write_client_value(&mut buf, v, &t);
    }
    buf.push(b']');
    String::from_utf8_lossy(&buf).into_owned()
}

/// The `KsqlErrorMessage` of a failed query.
pub(super) fn error_message(e: &EngineError) -> Json {
    let (_, code) = status_and_code(e);
    json!({"@type": "generic_error", "error_code": code, "message": e.to_string()})
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    Rows,
    Done,
}

fn rows_body(state: &AppState, q: PushQuery) -> BoxStream<'static, Result<Bytes, Infallible>> {
    if q.pull {
        return pull_body(q).boxed();
    }
    let guard = CloseOnDrop::new(state.engine.clone(), q.id.clone());
    let header = json!({"header": {"queryId": q.id, "schema": schema_string(&q.columns)}});
    let columns = q.columns;
    let feed = Feed::new(q.rows, Some(HEARTBEAT), state.shutdown.subscribe(), Some(guard));
    stream::unfold((feed, Phase::Header), move |(mut feed, phase)| {
        let columns = columns.clone();
        let header = header.clone();
        async move {
            let chunk = match phase {
                Phase::Done => return None,
                Phase::Header => return Some((Ok(Bytes::from(format!("[{header},\n"))), (feed, Phase::Rows))),
                Phase::Rows => match feed.next().await {
                    Event::Item(row) => {
                        let row = row_json(&columns, &row);
                        return Some((
                            Ok(Bytes::from(format!("{{\"row\":{{\"columns\":{row}}}}},\n"))),
                            (feed, Phase::Rows),
                        ));
                    }
                    Event::Idle => return Some((Ok(Bytes::from_static(b"\n")), (feed, Phase::Rows))),
                    Event::Error(e) => json!({"errorMessage": error_message(&e)}),
                    Event::End => json!({"finalMessage": "Limit Reached"}),
                    Event::Shutdown => json!({"finalMessage": "Server shutting down"}),
                },
            };
            Some((Ok(Bytes::from(format!("{chunk}]\n"))), (feed, Phase::Done)))
        }
    })
    .boxed()
}

/// A pull query's answer: `[{"header":..},\n{"row":..},\n{"row":..}]`, no final
/// message (clients count the elements: a header and one row for a key lookup).
fn pull_body(q: PushQuery) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let header = json!({"header": {"queryId": q.id, "schema": schema_string(&q.columns)}});
    let columns = q.columns;
    let rows = q.rows.map(move |row| {
        Ok(Bytes::from(match row {
            Ok(row) => format!(",\n{{\"row\":{{\"columns\":{}}}}}", row_json(&columns, &row)),
            Err(e) => format!(",\n{}", json!({"errorMessage": error_message(&e)})),
        }))
    });
    stream::once(async move { Ok(Bytes::from(format!("[{header}"))) })
        .chain(rows)
        .chain(stream::once(async { Ok(Bytes::from_static(b"]\n")) }))
}

fn print_body(state: &AppState, p: PrintStream) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let feed = Feed::new(p.lines, Some(HEARTBEAT), state.shutdown.subscribe(), None);
    stream::unfold(feed, |mut feed| async move {
        match feed.next().await {
            Event::Item(line) => Some((Ok(Bytes::from(format!("{line}\n"))), feed)),
            Event::Idle => Some((Ok(Bytes::from_static(b"\n")), feed)),
            Event::Error(e) => Some((Ok(Bytes::from(format!("{e}\n"))), feed)),
            Event::End | Event::Shutdown => None,
        }
    })
}
