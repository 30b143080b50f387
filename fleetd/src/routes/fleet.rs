//! `/fleet` (the operator page) and `/fleet/process/{process_id}`: the
//! snapshot service hands out a snapshot, the page module draws it.

use super::Paths;
use crate::history::History;
use crate::links::HostDashboard;
use crate::page::{self, FilterError, PageContext, ProcessFilter, ProcessPageContext, StaleNotice};
use crate::snapshots::{PageSnapshot, PreparedSnapshot, SnapshotService};
use crate::wire::{self, SNAPSHOT_CACHE_CONTROL};
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use fleet_core::FleetSnapshot;
use std::sync::Arc;

/// The page of the current snapshot; the unfiltered view is rendered once
/// per snapshot, a filtered one (`?status=&type=&host=`) per request. When
/// the database cannot be read: the last good snapshot under a stale-data
/// notice; with no snapshot at all, a 503 error page.
pub async fn page(
    req: HttpRequest,
    snapshots: web::Data<SnapshotService>,
    paths: web::Data<Paths>,
) -> Result<HttpResponse, PageError> {
    let base_path = paths.base();
    let filter =
        ProcessFilter::from_query(req.query_string()).map_err(|error| PageError::BadFilter {
            base_path: base_path.to_owned(),
            error,
        })?;
    let history = snapshots.history();
    let shown = snapshots.for_page().await;
    // Read after the snapshot was taken: see `LiveConfig::host_dashboard`.
    let dashboard = snapshots.host_dashboard();
    let render = |snapshot: &FleetSnapshot, stale, filter: &ProcessFilter| {
        fleet_page(
            snapshot,
            history,
            base_path,
            stale,
            filter,
            dashboard.as_deref(),
        )
    };
    match shown {
        PageSnapshot::Fresh(prepared) if !filter.is_active() => {
            let body = prepared
                .default_page(|snapshot| Bytes::from(render(snapshot, None, &ProcessFilter::NONE)));
            Ok(wire::respond(&req, body, HTML, snapshots.stats()))
        }
        PageSnapshot::Fresh(prepared) => Ok(html(render(&prepared.snapshot, None, &filter))),
        PageSnapshot::Stale { snapshot, notice } => {
            Ok(html(render(&snapshot.snapshot, Some(notice), &filter)))
        }
        PageSnapshot::Unavailable => Err(PageError::Unavailable {
            base_path: base_path.to_owned(),
        }),
    }
}

/// Renders the fleet page of `snapshot`. The history is read at render
/// time: a snapshot is recorded before any page shows it, and the history
/// only changes when a newer snapshot is built, so the default page a
/// snapshot keeps stays true for as long as that snapshot is served.
fn fleet_page(
    snapshot: &FleetSnapshot,
    history: &History,
    base_path: &str,
    stale: Option<StaleNotice>,
    filter: &ProcessFilter,
    host_dashboard: Option<&HostDashboard>,
) -> String {
    let now = Utc::now();
    let transitions = history.transitions();
    // "Since" belongs to the status shown: not to an "unknown" recorded
    // by a failed build after it (the stale page).
    let since = if history.status() == Some(snapshot.summary.status.into()) {
        history.status_since()
    } else {
        crate::history::StatusSince {
            at: None,
            exact: false,
        }
    };
    let timeline = history.timeline(now);
    let store = history.store_state();
    page::fleet_page(&PageContext {
        snapshot,
        base_path,
        now,
        stale,
        filter,
        history: &transitions,
        status_since: since.at,
        status_since_exact: since.exact,
        timeline: &timeline,
        history_store: &store,
        host_dashboard,
    })
    .into_string()
}

/// Every field of one process and its dependency entries.
pub async fn process(
    process_id: web::Path<String>,
    snapshots: web::Data<SnapshotService>,
    paths: web::Data<Paths>,
) -> Result<HttpResponse, PageError> {
    let base_path = paths.base();
    let (prepared, stale): (Arc<PreparedSnapshot>, _) = match snapshots.for_page().await {
        PageSnapshot::Fresh(prepared) => (prepared, None),
        PageSnapshot::Stale { snapshot, notice } => (snapshot, Some(notice)),
        PageSnapshot::Unavailable => {
            return Err(PageError::Unavailable {
                base_path: base_path.to_owned(),
            })
        }
    };
    let dashboard = snapshots.host_dashboard();
    let snapshot = &prepared.snapshot;
    let process =
        page::find_process(snapshot, &process_id).ok_or_else(|| PageError::UnknownProcess {
            base_path: base_path.to_owned(),
        })?;
    Ok(html(
        page::process_page(&ProcessPageContext {
            snapshot,
            process,
            base_path,
            now: Utc::now(),
            stale,
            host_dashboard: dashboard.as_deref(),
        })
        .into_string(),
    ))
}

/// The Content-Type of the pages.
const HTML: &str = "text/html; charset=utf-8";

/// A page rendered for this request (filtered, stale, a process, the
/// cutover checklist): snapshot-derived, so revalidated like the others,
/// but without a validator of its own.
pub(super) fn html(body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, SNAPSHOT_CACHE_CONTROL))
        .body(body)
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No snapshot was ever built; the cause was logged by the build.
    #[error("no fleet snapshot is available")]
    Unavailable { base_path: String },
    #[error("bad filter: {error}")]
    BadFilter {
        base_path: String,
        error: FilterError,
    },
    #[error("no such process")]
    UnknownProcess { base_path: String },
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            PageError::BadFilter { .. } => StatusCode::BAD_REQUEST,
            PageError::UnknownProcess { .. } => StatusCode::NOT_FOUND,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(ContentType::html());
        let markup = match self {
            PageError::Unavailable { base_path } => {
                response.insert_header((header::RETRY_AFTER, super::api::RETRY_AFTER_SECS));
                page::error_page(
                    base_path,
                    StatusCode::SERVICE_UNAVAILABLE.as_u16(),
                    "Fleet data unavailable",
                    "fleetd cannot read the jetmon database right now and has no earlier \
                     snapshot to show. The cause is in fleetd's log. Try again in a few seconds.",
                )
            }
            PageError::BadFilter { base_path, error } => page::filter_error_page(base_path, error),
            PageError::UnknownProcess { base_path } => page::error_page(
                base_path,
                StatusCode::NOT_FOUND.as_u16(),
                "Unknown process",
                "The current fleet snapshot has no process with this id.",
            ),
        };
        response.body(markup.into_string())
    }
}
