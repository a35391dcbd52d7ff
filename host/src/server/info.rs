//! `GET /info` and `GET /healthcheck`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::AppState;

/// `{"KsqlServerInfo":{"version":..,"kafkaClusterId":..,"ksqlServiceId":..,"serverStatus":..}}`.
pub(super) async fn info(State(state): State<AppState>) -> Response {
    let i = state.engine.info();
    Json(json!({
        "KsqlServerInfo": {
            "version": i.version,
            "kafkaClusterId": i.kafka_cluster_id,
            "ksqlServiceId": i.service_id,
            "serverStatus": i.status,
        }
    }))
    .into_response()
}

/// `{"isHealthy":..,"details":{"metastore":{"isHealthy":..},"kafka":{"isHealthy":..}}}`,
/// with status 503 when anything is unhealthy.
pub(super) async fn healthcheck(State(state): State<AppState>) -> Response {
    let h = state.engine.health().await;
    let healthy = h.metastore && h.kafka;
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "isHealthy": healthy,
        "details": {
            "metastore": {"isHealthy": h.metastore},
            "kafka": {"isHealthy": h.kafka},
        }
    });
    (status, Json(body)).into_response()
}
