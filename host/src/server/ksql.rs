//! `POST /ksql`: runs statements and answers one entity per statement.
//!
//! Request: `{"ksql":"...;","streamsProperties":{..},"sessionVariables":{..}}`.
//! Answer: 200 with `[entity, ...]`, or the error of the first failing statement with
//! the entities of the statements before it (see [`super::errors`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::api::{Outcome, StatementResult};

use super::entities::entity;
use super::errors::ApiError;
use super::request::{ksql_content_type, parse_body, properties, substitute_variables};
use super::AppState;

/// ksqlDB's `KsqlRequest`.
#[derive(Debug, Deserialize)]
struct KsqlRequest {
    ksql: String,
    #[serde(default, rename = "streamsProperties")]
    streams_properties: Option<Map<String, Json>>,
    #[serde(default, rename = "sessionVariables")]
    session_variables: Option<Map<String, Json>>,
}

pub(super) async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request: KsqlRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let sql = substitute_variables(&request.ksql, request.session_variables.as_ref());
    let props = properties(request.streams_properties.as_ref());
    let content_type = ksql_content_type(&headers);
    if sql.trim().is_empty() {
        return json_response(Json::Array(Vec::new()), content_type);
    }
    match state.engine.execute(&sql, &props).await {
        Ok(results) => {
            record(&state, &results);
            json_response(Json::Array(results.iter().map(entity).collect()), content_type)
        }
        Err(failure) => {
            record(&state, &failure.completed);
            let entities = failure.completed.iter().map(entity).collect();
            ApiError::from_statement(&failure.error, &failure.statement_text, entities).into_response()
        }
    }
}

fn record(state: &AppState, results: &[StatementResult]) {
    for r in results {
        if let Outcome::Status(status) = &r.outcome {
            state.commands.record(status);
        }
    }
}

fn json_response(body: Json, content_type: &'static str) -> Response {
    let mut response = body.to_string().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
