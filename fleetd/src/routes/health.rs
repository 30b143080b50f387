//! `/healthz` (the process answers) and `/readyz` (it can produce a snapshot).

use crate::snapshots::SnapshotService;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};

/// Liveness: answers as long as the HTTP server runs; never touches the
/// database (a database outage must not get fleetd restarted).
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("ok")
}

/// Readiness: 200 when a snapshot is available from the cache or can be
/// built now. It goes through the cache like every route, so a snapshot it
/// reports on is never older than `cache.ttl_ms` and polling it adds no
/// database load beyond one build per cache period.
pub async fn readyz(snapshots: web::Data<SnapshotService>) -> Result<HttpResponse, ReadyError> {
    snapshots
        .current()
        .await
        .map_err(|_| ReadyError::NoSnapshot)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("ready"))
}

#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// The cause was logged by the failed build.
    #[error("not ready: no fleet snapshot can be built")]
    NoSnapshot,
}

impl ResponseError for ReadyError {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type(ContentType::plaintext())
            .insert_header((header::RETRY_AFTER, "5"))
            .body(self.to_string())
    }
}
