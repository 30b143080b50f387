//! `/api/fleet`: the complete snapshot as JSON (rollup.md §8). (The
//! history's JSON is in [`super::history`].)

use crate::snapshots::SnapshotService;
use crate::wire;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

/// The Content-Type of the JSON routes.
const JSON: &str = "application/json";

/// Seconds a client should wait before asking again after a 503.
pub const RETRY_AFTER_SECS: &str = "5";

/// Serves the JSON serialised when the snapshot was built: a warm request
/// copies a reference to a shared buffer (the variant its Accept-Encoding
/// wants, compressed once per snapshot) and nothing else, or answers 304.
pub async fn fleet(
    req: HttpRequest,
    snapshots: web::Data<SnapshotService>,
) -> Result<HttpResponse, ApiError> {
    let prepared = snapshots
        .current()
        .await
        .map_err(|_| ApiError::SnapshotUnavailable)?;
    Ok(wire::respond(
        &req,
        prepared.api_body(),
        JSON,
        snapshots.stats(),
    ))
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The process-health read failed. The cause (database text) was logged
    /// by the build and is never sent.
    #[error("fleet snapshot unavailable")]
    SnapshotUnavailable,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::SnapshotUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS))
            .content_type(ContentType::json())
            .body(serde_json::json!({ "error": self.to_string() }).to_string())
    }
}
