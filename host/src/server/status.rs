//! `GET /status` and `GET /status/{type}/{entity}/{action}`: the status of the commands
//! this server ran, as ksqlDB's `CommandStatuses` and `CommandStatus`.

use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value as Json_};

use crate::api::CommandStatus;

use super::entities::command_status;
use super::errors::{ApiError, ERROR_CODE_NOT_FOUND};
use super::AppState;

/// The commands run through `/ksql`, in order, the latest status of each id.
#[derive(Debug, Default)]
pub struct CommandLog {
    entries: Mutex<Vec<(String, Json_)>>,
}

impl CommandLog {
    /// Records (or replaces) the status of a command.
    pub fn record(&self, status: &CommandStatus) {
        let json = command_status(status);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.iter_mut().find(|(id, _)| *id == status.command_id) {
            Some(entry) => entry.1 = json,
            None => entries.push((status.command_id.clone(), json)),
        }
    }

    fn snapshot(&self) -> Vec<(String, Json_)> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// `{"commandStatuses":{"stream/`S`/create":"SUCCESS",...}}`.
pub(super) async fn all(State(state): State<AppState>) -> Json<Json_> {
    let mut statuses = Map::new();
    for (id, status) in state.commands.snapshot() {
        statuses.insert(id, status["status"].clone());
    }
    let mut body = Map::new();
    body.insert("commandStatuses".into(), Json_::Object(statuses));
    Json(Json_::Object(body))
}

/// `{"status":"SUCCESS","message":...,"queryId":...}` of one command.
pub(super) async fn one(
    State(state): State<AppState>,
    Path((kind, entity, action)): Path<(String, String, String)>,
) -> Response {
    let id = format!("{kind}/{entity}/{action}");
    match state.commands.snapshot().into_iter().find(|(i, _)| *i == id) {
        Some((_, status)) => Json(status).into_response(),
        None => ApiError::generic(StatusCode::NOT_FOUND, ERROR_CODE_NOT_FOUND, format!("Command {id} not found"))
            .into_response(),
    }
}
