//! `/metrics`: Prometheus (OpenMetrics) text; every metric is declared in
//! [`crate::metrics`].

use crate::metrics::{Metrics, MetricsError, Scrape, CONTENT_TYPE};
use crate::snapshots::SnapshotService;
use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};

/// Goes through the cache like every route: a warm scrape does no database
/// work. When no snapshot can be built it still answers 200 with fleetd's
/// own figures (failure counters, `fleetd_snapshot_available 0`), so the
/// outage is visible in Prometheus.
pub async fn metrics(
    snapshots: web::Data<SnapshotService>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, MetricsRouteError> {
    let current = snapshots.current().await.ok();
    let body = metrics
        .render(Scrape {
            current,
            last_success: snapshots.last_good().map(|good| good.built_at),
        })
        .map_err(MetricsRouteError)?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(body))
}

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct MetricsRouteError(MetricsError);

impl ResponseError for MetricsRouteError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        log::error!("/metrics: {self}");
        HttpResponse::build(self.status_code())
            .content_type(ContentType::plaintext())
            .body("metrics unavailable")
    }
}
