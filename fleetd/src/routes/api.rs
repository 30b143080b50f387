//! `/api/fleet`: the complete snapshot as JSON (rollup.md §8). (The
//! history's JSON is in [`super::history`].)

use crate::snapshots::SnapshotService;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};

/// Seconds a client should wait before asking again after a 503.
pub const RETRY_AFTER_SECS: &str = "5";

/// Serves the JSON serialised when the snapshot was built: a warm request
/// copies a reference to the shared buffer and nothing else.
pub async fn fleet(snapshots: web::Data<SnapshotService>) -> Result<HttpResponse, ApiError> {
    let prepared = snapshots
        .current()
        .await
        .map_err(|_| ApiError::SnapshotUnavailable)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(prepared.json.clone()))
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The process-health read failed. The cause (database text) was logged
    /// by the build and is never sent.
    #[error("fleet snapshot unavailable")]
    SnapshotUnavailable,
    /// Serialising a response failed (logged; never expected).
    #[error("internal error")]
    Serialize(#[source] serde_json::Error),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::SnapshotUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Serialize(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Serialize(err) = self {
            log::error!("serialising an API response failed: {err}");
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::SnapshotUnavailable) {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        response
            .content_type(ContentType::json())
            .body(serde_json::json!({ "error": self.to_string() }).to_string())
    }
}
