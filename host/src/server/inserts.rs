//! `POST /inserts-stream`: rows streamed in, one acknowledgement streamed out per row,
//! in row order, as the broker confirms them (rows are pipelined, not sent one by one).
//!
//! The request body is newline-delimited JSON: first the arguments
//! `{"target":"S","properties":{..}}`, then one JSON object per row. The answer streams
//! `{"status":"ok","seq":0}` for each row the broker acknowledged, or
//! `{"status":"error","seq":1,"error_code":40001,"message":".."}` for a row that failed;
//! delimited by newlines, or as one JSON array with `Accept: application/json`.
//! A line that is not a JSON object ends the stream with an error for that row.

use std::convert::Infallible;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use tokio::sync::mpsc;

use crate::api::{EngineError, InsertAck};

use super::errors::{status_and_code, ApiError, ERROR_CODE_BAD_REQUEST};
use super::request::{parse_body, StreamFormat};
use super::AppState;

/// The longest line (one row) accepted.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// ksqlDB's `InsertsStreamArgs`.
#[derive(Debug, Deserialize)]
struct InsertsStreamArgs {
    target: String,
    #[serde(default)]
    #[allow(dead_code)] // reason: accepted for compatibility; inserts take no properties yet
    properties: Option<Map<String, Json>>,
}

pub(super) async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let format = StreamFormat::from_headers(&headers);
    let mut lines = Lines::new(body.into_data_stream());
    let first = match lines.next().await {
        Ok(Some(line)) => line,
        Ok(None) => return ApiError::bad_request("No insert arguments in the request body").into_response(),
        Err(e) => return ApiError::bad_request(e).into_response(),
    };
    let args: InsertsStreamArgs = match parse_body(&first) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(insert_rows(state, args.target, lines, tx, format));
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok::<_, Infallible>);
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    response
}

/// A row's acknowledgement in the making: decided already (an error), or waiting for
/// the broker.
enum Pending {
    Ready(Json),
    Waiting(u64, InsertAck),
}

/// How many rows may wait for the broker at once before reading the body pauses.
const MAX_IN_FLIGHT: usize = 1024;

/// Reads rows in order until the body ends, the client goes away, or the server shuts
/// down. Each row is queued on the producer as soon as it is read; a second task sends
/// the acknowledgements in row order as the broker confirms them, so rows are
/// pipelined instead of waiting a round trip each.
async fn insert_rows(state: AppState, target: String, mut lines: Lines, tx: mpsc::Sender<Bytes>, format: StreamFormat) {
    let (pending_tx, mut pending_rx) = mpsc::channel::<Pending>(MAX_IN_FLIGHT);
    let acks = tokio::spawn(async move {
        let mut seq: u64 = 0;
        while let Some(p) = pending_rx.recv().await {
            let ack = match p {
                Pending::Ready(ack) => ack,
                Pending::Waiting(s, done) => match done.await {
                    Ok(()) => json!({"status": "ok", "seq": s}),
                    Err(e) => engine_error_ack(s, &e),
                },
            };
            if tx.send(frame(format, seq, &ack)).await.is_err() {
                return; // the client went away
            }
            seq += 1;
        }
        if format == StreamFormat::JsonArray {
            let end = if seq == 0 { "[]" } else { "]" };
            let _ = tx.send(Bytes::from_static(end.as_bytes())).await;
        }
    });
    let mut shutdown = state.shutdown.subscribe();
    let mut seq: u64 = 0;
    loop {
        let line = tokio::select! {
            line = lines.next() => line,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(message) => {
                let _ = pending_tx.send(Pending::Ready(error_ack(seq, ERROR_CODE_BAD_REQUEST, &message))).await;
                break;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (pending, fatal) = match serde_json::from_slice::<Json>(&line) {
            Ok(Json::Object(row)) => match state.engine.insert_json(&target, row) {
                Ok(done) => (Pending::Waiting(seq, done), false),
                Err(e) => (Pending::Ready(engine_error_ack(seq, &e)), false),
            },
            _ => (Pending::Ready(error_ack(seq, ERROR_CODE_BAD_REQUEST, "Invalid JSON in inserts stream")), true),
        };
        if pending_tx.send(pending).await.is_err() {
            break; // the client went away
        }
        seq += 1;
        if fatal {
            break;
        }
    }
    drop(pending_tx);
    let _ = acks.await;
}

fn frame(format: StreamFormat, seq: u64, ack: &Json) -> Bytes {
    match format {
        StreamFormat::Delimited => Bytes::from(format!("{ack}\n")),
        StreamFormat::JsonArray if seq == 0 => Bytes::from(format!("[{ack}")),
        StreamFormat::JsonArray => Bytes::from(format!(",{ack}")),
    }
}

fn error_ack(seq: u64, code: u32, message: &str) -> Json {
    json!({"status": "error", "seq": seq, "error_code": code, "message": message})
}

fn engine_error_ack(seq: u64, e: &EngineError) -> Json {
    let (_, code) = status_and_code(e);
    error_ack(seq, code, &e.to_string())
}

/// Splits a streaming request body into lines.
struct Lines {
    body: BodyDataStream,
    buffer: Vec<u8>,
    eof: bool,
}

impl Lines {
    fn new(body: BodyDataStream) -> Lines {
        Lines { body, buffer: Vec::new(), eof: false }
    }

    /// The next line without its newline; the unterminated rest at the end of the body.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes read are kept in the buffer.
    async fn next(&mut self) -> Result<Option<Vec<u8>>, String> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
            if self.eof {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.buffer)));
            }
            if self.buffer.len() > MAX_LINE {
                return Err(format!("A line of the inserts stream is longer than {MAX_LINE} bytes"));
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => return Err(format!("Failed to read the request body: {e}")),
                None => self.eof = true,
            }
        }
    }
}
