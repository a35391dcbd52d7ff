//! `POST /query-stream` and `POST /close-query`: the streaming API of ksqlDB's clients.
//!
//! Request: `{"sql":"SELECT ... EMIT CHANGES;","properties":{..},"sessionVariables":{..}}`.
//! With `Accept: application/vnd.ksqlapi.delimited.v1` (the default) the answer is one
//! JSON document per line:
//!
//! ```text
//! {"queryId":"transient_S_1","columnNames":["A","B"],"columnTypes":["STRING","INTEGER"]}
//! ["x",1]
//! ["y",2]
//! ```
//!
//! With `Accept: application/json` the same documents form one array,
//! `[{metadata},["x",1],["y",2]]`. A failing query ends with
//! `{"@type":"generic_error","error_code":..,"message":..}` in place of a row. Closing
//! the connection closes the query, as does `POST /close-query {"queryId":".."}`.
//! `PRINT` answers one line of text per record (a JSON array of strings in JSON mode).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::api::{PrintStream, PushQuery, QueryStart};

use super::errors::ApiError;
use super::query::{error_message, row_json};
use super::request::{parse_body, properties, substitute_variables, StreamFormat};
use super::streaming::{CloseOnDrop, Event, Feed};
use super::AppState;

/// ksqlDB's `QueryStreamArgs`.
#[derive(Debug, Deserialize)]
struct QueryStreamArgs {
    sql: String,
    #[serde(default)]
    properties: Option<Map<String, Json>>,
    #[serde(default, rename = "sessionVariables")]
    session_variables: Option<Map<String, Json>>,
}

pub(super) async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let args: QueryStreamArgs = match parse_body(&body) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let format = StreamFormat::from_headers(&headers);
    let sql = substitute_variables(&args.sql, args.session_variables.as_ref());
    let props = properties(args.properties.as_ref());
    let started = state.engine.query(&sql, &props).await;
    let body = match started {
        Err(e) => return ApiError::from_statement(&e, &sql, Vec::new()).into_response(),
        Ok(QueryStart::Rows(q)) => Body::from_stream(rows_body(&state, q, format)),
        Ok(QueryStart::Print(p)) => Body::from_stream(print_body(&state, p, format)),
    };
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    response
}

/// Frames the documents of a stream in either format.
#[derive(Debug, Clone, Copy)]
struct Framing {
    format: StreamFormat,
}

impl Framing {
    fn first(self, doc: &str) -> Bytes {
        match self.format {
            StreamFormat::Delimited => Bytes::from(format!("{doc}\n")),
            StreamFormat::JsonArray => Bytes::from(format!("[{doc}")),
        }
    }

    fn next(self, doc: &str) -> Bytes {
        match self.format {
            StreamFormat::Delimited => Bytes::from(format!("{doc}\n")),
            StreamFormat::JsonArray => Bytes::from(format!(",{doc}")),
        }
    }

    /// The bytes that end the stream, if any.
    fn end(self, wrote_first: bool) -> Option<Bytes> {
        match (self.format, wrote_first) {
            (StreamFormat::Delimited, _) => None,
            (StreamFormat::JsonArray, true) => Some(Bytes::from_static(b"]")),
            (StreamFormat::JsonArray, false) => Some(Bytes::from_static(b"[]")),
        }
    }
}

struct RowsState {
    feed: Feed<Vec<wasp_sql::Value>>,
    metadata: Option<String>,
    done: bool,
}

fn rows_body(
    state: &AppState,
    q: PushQuery,
    format: StreamFormat,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let framing = Framing { format };
    let metadata = json!({
        "queryId": q.id,
        "columnNames": q.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        "columnTypes": q.columns.iter().map(|c| c.data_type.to_string()).collect::<Vec<_>>(),
    })
    .to_string();
    let guard = CloseOnDrop::new(state.engine.clone(), q.id.clone());
    let columns = q.columns;
    let feed = Feed::new(q.rows, None, state.shutdown.subscribe(), Some(guard));
    let init = RowsState { feed, metadata: Some(metadata), done: false };
    stream::unfold(init, move |mut st| {
        let columns = columns.clone();
        async move {
            if st.done {
                return None;
            }
            if let Some(metadata) = st.metadata.take() {
                return Some((Ok(framing.first(&metadata)), st));
            }
            loop {
                match st.feed.next().await {
                    Event::Item(row) => {
                        let chunk = framing.next(&row_json(&columns, &row));
                        return Some((Ok(chunk), st));
                    }
                    Event::Idle => continue,
                    Event::Error(e) => {
                        let mut chunk = framing.next(&error_message(&e).to_string()).to_vec();
                        chunk.extend_from_slice(&framing.end(true).unwrap_or_default());
                        st.done = true;
                        return Some((Ok(Bytes::from(chunk)), st));
                    }
                    Event::End | Event::Shutdown => {
                        st.done = true;
                        return framing.end(true).map(|b| (Ok(b), st));
                    }
                }
            }
        }
    })
}

struct PrintState {
    feed: Feed<String>,
    wrote_first: bool,
    done: bool,
}

fn print_body(
    state: &AppState,
    p: PrintStream,
    format: StreamFormat,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let framing = Framing { format };
    let feed = Feed::new(p.lines, None, state.shutdown.subscribe(), None);
    let init = PrintState { feed, wrote_first: false, done: false };
    stream::unfold(init, move |mut st| async move {
        if st.done {
            return None;
        }
        let encode = |st: &mut PrintState, line: String| -> Bytes {
            let doc = match framing.format {
                StreamFormat::Delimited => line,
                StreamFormat::JsonArray => Json::String(line).to_string(),
            };
            if std::mem::replace(&mut st.wrote_first, true) {
                framing.next(&doc)
            } else {
                framing.first(&doc)
            }
        };
        loop {
            match st.feed.next().await {
                Event::Item(line) => {
                    let chunk = encode(&mut st, line);
                    return Some((Ok(chunk), st));
                }
                Event::Idle => continue,
                Event::Error(e) => {
                    let mut chunk = encode(&mut st, e.to_string()).to_vec();
                    chunk.extend_from_slice(&framing.end(true).unwrap_or_default());
                    st.done = true;
                    return Some((Ok(Bytes::from(chunk)), st));
                }
                Event::End | Event::Shutdown => {
                    st.done = true;
                    let wrote = st.wrote_first;
                    return framing.end(wrote).map(|b| (Ok(b), st));
                }
            }
        }
    })
}

/// ksqlDB's `CloseQueryArgs`.
#[derive(Debug, Deserialize)]
struct CloseQueryArgs {
    #[serde(rename = "queryId")]
    query_id: String,
}

/// `POST /close-query {"queryId":".."}`: 200 with an empty body, or 404 for an unknown id.
pub(super) async fn close(State(state): State<AppState>, body: Bytes) -> Response {
    let args: CloseQueryArgs = match parse_body(&body) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.engine.close_query(&args.query_id) {
        Ok(()) => ().into_response(),
        Err(e) => ApiError::from_engine(&e).into_response(),
    }
}
