//! `/healthz` (the process answers) and `/readyz` (it has a recent snapshot).

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

/// Readiness (docs/api.md "Readiness"): 200 while the newest good
/// snapshot was built less than `cache.ttl_ms` + `cache.ready_grace_sec`
/// ago. It answers from what the snapshot service knows and never waits for
/// a build, so a probe gets its answer at once whatever the database does;
/// an expired snapshot is rebuilt in the background. The grace keeps a slow
/// or failed build from flipping every instance at once.
pub async fn readyz(snapshots: web::Data<SnapshotService>) -> Result<HttpResponse, ReadyError> {
    if !snapshots.known().await.ready {
        return Err(ReadyError::NoRecentSnapshot);
    }
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("ready"))
}

#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// The cause, if a build failed, was logged by that build.
    #[error("not ready: no recent fleet snapshot")]
    NoRecentSnapshot,
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
