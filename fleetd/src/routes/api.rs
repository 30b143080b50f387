//! `/api/fleet`: the complete snapshot as JSON (rollup.md §8), and
//! `/api/fleet/history`: the status history fleetd keeps in memory.

use crate::snapshots::SnapshotService;
use crate::wire::{self, SNAPSHOT_CACHE_CONTROL};
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
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

/// The status history ([`HistoryView`](crate::history::HistoryView)). It
/// first asks for the current snapshot (through the cache, like every
/// route) so that the history includes it; when the database cannot be
/// read the history recorded so far is served all the same.
///
/// With a current snapshot the body is serialised once per snapshot and
/// served like `/api/fleet` (compressed once, `ETag`, 304); without one it
/// is serialised for this response only.
pub async fn history(
    req: HttpRequest,
    snapshots: web::Data<SnapshotService>,
) -> Result<HttpResponse, ApiError> {
    let render = || serde_json::to_vec(&snapshots.history().view()).map(Bytes::from);
    match snapshots.current().await {
        Ok(prepared) => {
            let body = prepared.history(render).map_err(ApiError::Serialize)?;
            Ok(wire::respond(&req, body, JSON, snapshots.stats()))
        }
        Err(_) => Ok(HttpResponse::Ok()
            .content_type(ContentType::json())
            .insert_header((header::CACHE_CONTROL, SNAPSHOT_CACHE_CONTROL))
            .body(render().map_err(ApiError::Serialize)?)),
    }
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
