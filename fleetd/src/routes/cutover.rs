//! `/fleet/cutover`: the dynamic-ownership cutover checklist of the current
//! snapshot, with the fleet page's handling of a stale or missing snapshot.

use super::fleet::{html, PageError};
use super::Paths;
use crate::page::{self, CutoverPageContext};
use crate::snapshots::{PageSnapshot, SnapshotService};
use actix_web::{web, HttpResponse};
use chrono::Utc;

pub async fn page(
    snapshots: web::Data<SnapshotService>,
    paths: web::Data<Paths>,
) -> Result<HttpResponse, PageError> {
    let base_path = paths.base();
    let (prepared, stale) = match snapshots.for_page().await {
        PageSnapshot::Fresh(prepared) => (prepared, None),
        PageSnapshot::Stale { snapshot, notice } => (snapshot, Some(notice)),
        PageSnapshot::Unavailable => {
            return Err(PageError::Unavailable {
                base_path: base_path.to_owned(),
            })
        }
    };
    Ok(html(
        page::cutover_page(&CutoverPageContext {
            snapshot: &prepared.snapshot,
            base_path,
            now: Utc::now(),
            stale,
        })
        .into_string(),
    ))
}
