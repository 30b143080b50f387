//! `/metrics`: Prometheus (OpenMetrics) text; every metric is declared in
//! [`crate::metrics`].

use crate::metrics::{Metrics, MetricsError, Scrape, CONTENT_TYPE};
use crate::snapshots::SnapshotService;
use crate::wire::{self, BodyKind};
use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

/// Answers from what the snapshot service knows, never waiting for a build
/// (an expired snapshot is rebuilt in the background, like every route's,
/// so a warm scrape does no database work): fleetd's own figures always,
/// and the fleet series of the newest good snapshot unless a build has
/// failed since (`fleetd_snapshot_available` says which). The outage is
/// then visible in Prometheus, and a scrape never times out on it.
pub async fn metrics(
    req: HttpRequest,
    snapshots: web::Data<SnapshotService>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, MetricsRouteError> {
    let known = snapshots.known().await;
    let body = metrics
        .render(Scrape {
            current: known.current(),
            last_success: known.last_good.as_ref().map(|good| good.built_at),
        })
        .map_err(MetricsRouteError)?;
    // Rendered per scrape (its counters move between scrapes), so it is
    // gzipped per scrape, at a fast level, when the scraper asks.
    Ok(wire::respond_uncached(
        &req,
        BodyKind::Metrics,
        Bytes::from(body),
        CONTENT_TYPE,
        snapshots.stats(),
    ))
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
