//! Error responses in ksqlDB's shape.
//!
//! ksqlDB's error codes are the HTTP status times 100 plus a detail digit: `40000` a bad
//! request, `40001` a bad statement, `40400` not found, `50000` a server error,
//! `50301` a dependency (Kafka) that is not available. A failing statement answers
//! `{"@type":"statement_error","error_code":40001,"message":...,"statementText":...,
//! "entities":[...]}`; anything else `{"@type":"generic_error","error_code":...,
//! "message":...}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as Json};

use crate::api::EngineError;

/// `40000`: the request is malformed.
pub const ERROR_CODE_BAD_REQUEST: u32 = 40000;
/// `40001`: the statement is wrong.
pub const ERROR_CODE_BAD_STATEMENT: u32 = 40001;
/// `40400`: no such query or source.
pub const ERROR_CODE_NOT_FOUND: u32 = 40400;
/// `50000`: a bug in the server.
pub const ERROR_CODE_SERVER_ERROR: u32 = 50000;
/// `50301`: Kafka is not available; the client may retry.
pub const ERROR_CODE_UNAVAILABLE: u32 = 50301;

/// An error answer: an HTTP status and a ksqlDB error body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Json,
}

impl ApiError {
    /// A `generic_error` with the given status and code.
    pub fn generic(status: StatusCode, error_code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: json!({
                "@type": "generic_error",
                "error_code": error_code,
                "message": message.into(),
            }),
        }
    }

    /// A malformed request (bad JSON, missing field): 400 with code 40000.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::generic(StatusCode::BAD_REQUEST, ERROR_CODE_BAD_REQUEST, message)
    }

    /// An engine error outside any statement (for example `/close-query`).
    pub fn from_engine(error: &EngineError) -> ApiError {
        let (status, code) = status_and_code(error);
        ApiError::generic(status, code, error.to_string())
    }

    /// An engine error while running `statement_text`, with the entities of the
    /// statements that ran before it.
    pub fn from_statement(error: &EngineError, statement_text: &str, entities: Vec<Json>) -> ApiError {
        let (status, code) = status_and_code(error);
        match error {
            EngineError::Statement(_) | EngineError::Conflict(_) | EngineError::BadRequest(_) => ApiError {
                status,
                body: json!({
                    "@type": "statement_error",
                    "error_code": code,
                    "message": error.to_string(),
                    "statementText": statement_text,
                    "entities": entities,
                }),
            },
            _ => ApiError::generic(status, code, error.to_string()),
        }
    }
}

/// The HTTP status and ksqlDB error code of an engine error.
pub fn status_and_code(error: &EngineError) -> (StatusCode, u32) {
    match error {
        EngineError::Statement(_) | EngineError::Conflict(_) => (StatusCode::BAD_REQUEST, ERROR_CODE_BAD_STATEMENT),
        EngineError::BadRequest(_) => (StatusCode::BAD_REQUEST, ERROR_CODE_BAD_REQUEST),
        EngineError::NotFound(_) => (StatusCode::NOT_FOUND, ERROR_CODE_NOT_FOUND),
        EngineError::Kafka(_) => (StatusCode::SERVICE_UNAVAILABLE, ERROR_CODE_UNAVAILABLE),
        EngineError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ERROR_CODE_SERVER_ERROR),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body.to_string()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_errors_carry_the_statement() {
        let e = ApiError::from_statement(&EngineError::Statement("no such stream".into()), "SELECT 1;", vec![]);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body,
            json!({"@type":"statement_error","error_code":40001,"message":"no such stream",
                   "statementText":"SELECT 1;","entities":[]})
        );
    }

    #[test]
    fn categories_map_to_status_codes() {
        assert_eq!(status_and_code(&EngineError::NotFound("x".into())), (StatusCode::NOT_FOUND, 40400));
        assert_eq!(status_and_code(&EngineError::Kafka("x".into())), (StatusCode::SERVICE_UNAVAILABLE, 50301));
        assert_eq!(status_and_code(&EngineError::Internal("x".into())), (StatusCode::INTERNAL_SERVER_ERROR, 50000));
        let e = ApiError::from_statement(&EngineError::Internal("boom".into()), "X;", vec![]);
        assert_eq!(e.body["@type"], "generic_error");
        assert_eq!(e.body["message"], "internal error: boom");
    }
}
