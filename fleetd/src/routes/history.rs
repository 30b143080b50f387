//! The status history: `/api/fleet/history` (JSON, optionally a window
//! `?since=&until=`, RFC 3339) and `/fleet/history` (the page of the last
//! `history.retention_days`). Reads of the store run on the blocking pool.

use super::fleet::html;
use super::Paths;
use crate::page;
use crate::page::format::decode_query_component;
use crate::snapshots::SnapshotService;
use crate::wire::{self, SNAPSHOT_CACHE_CONTROL};
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};

/// The Content-Type of the history's JSON.
const JSON: &str = "application/json";

/// The status history ([`HistoryView`](crate::history::HistoryView)). It
/// first asks for the current snapshot (through the cache, like every
/// route) so that the history includes it; when the database cannot be
/// read the history recorded so far is served all the same.
///
/// Without a window and with a current snapshot, the body is serialised
/// once per snapshot and served like `/api/fleet` (compressed once, `ETag`,
/// 304): the history changes when a build is recorded, and every build is
/// recorded before its snapshot is served. With `since` or `until`, the
/// transitions and samples of that window (read from the store when there
/// is one), serialised for this response only.
pub async fn api(
    req: HttpRequest,
    snapshots: web::Data<SnapshotService>,
) -> Result<HttpResponse, HistoryError> {
    let window = Window::from_query(req.query_string())?;
    let current = snapshots.current().await;
    if window.since.is_none() && window.until.is_none() {
        let render = || serialise(&snapshots.history().view()).map(Bytes::from);
        return match current {
            Ok(prepared) => {
                let body = prepared.history(render)?;
                Ok(wire::respond(&req, body, JSON, snapshots.stats()))
            }
            Err(_) => Ok(HttpResponse::Ok()
                .content_type(ContentType::json())
                .insert_header((header::CACHE_CONTROL, SNAPSHOT_CACHE_CONTROL))
                .body(render()?)),
        };
    }
    let service = SnapshotService::clone(&snapshots);
    let view = web::block(move || service.history().window(window.since, window.until))
        .await
        .map_err(|_| HistoryError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(serialise(&view)?))
}

fn serialise(view: &crate::history::HistoryView) -> Result<Vec<u8>, HistoryError> {
    serde_json::to_vec(view).map_err(|err| {
        log::error!("serialising the history failed: {err}");
        HistoryError::Internal
    })
}

/// `/fleet/history`: the report of the retention period.
pub async fn page(
    snapshots: web::Data<SnapshotService>,
    paths: web::Data<Paths>,
) -> Result<HttpResponse, HistoryError> {
    let now = Utc::now();
    let service = SnapshotService::clone(&snapshots);
    let report = web::block(move || service.history().report(now))
        .await
        .map_err(|_| HistoryError::Internal)?;
    Ok(html(
        page::history_page(paths.base(), now, &report).into_string(),
    ))
}

/// The `since` and `until` of a query string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    /// Other parameters are ignored; a `since` or `until` that is not an
    /// RFC 3339 time, or a `since` after `until`, is an error naming it.
    pub fn from_query(query: &str) -> Result<Window, HistoryError> {
        let mut window = Window::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode_query_component(name);
            let slot = match name.as_str() {
                "since" => &mut window.since,
                "until" => &mut window.until,
                _ => continue,
            };
            let value = decode_query_component(value);
            *slot = Some(
                parse_time(&value).ok_or_else(|| HistoryError::BadParameter {
                    name: if name == "since" { "since" } else { "until" },
                    reason: format!(
                        "{value:?} is not an RFC 3339 time (e.g. 2026-04-30T14:02:00Z)"
                    ),
                })?,
            );
        }
        if let (Some(since), Some(until)) = (window.since, window.until) {
            if since > until {
                return Err(HistoryError::BadParameter {
                    name: "until",
                    reason: "is before `since`".to_owned(),
                });
            }
        }
        Ok(window)
    }
}

/// RFC 3339; an unencoded `+` of an offset arrives as a space and is taken
/// back.
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let parse = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    parse(value).or_else(|| parse(&value.replace(' ', "+")))
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("bad `{name}`: {reason}")]
    BadParameter { name: &'static str, reason: String },
    /// A blocking read failed or the body could not be serialised (logged).
    #[error("internal error")]
    Internal,
}

impl ResponseError for HistoryError {
    fn status_code(&self) -> StatusCode {
        match self {
            HistoryError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            HistoryError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let HistoryError::BadParameter { name, .. } = self {
            body["parameter"] = serde_json::Value::from(*name);
        }
        HttpResponse::build(self.status_code())
            .content_type(ContentType::json())
            .body(body.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_table() {
        let t = |s: &str| Some(parse_time(s).expect("time"));
        let cases: Vec<(&str, Result<Window, &str>)> = vec![
            ("", Ok(Window::default())),
            ("other=1", Ok(Window::default())),
            (
                "since=2026-04-30T14:00:00Z",
                Ok(Window {
                    since: t("2026-04-30T14:00:00Z"),
                    until: None,
                }),
            ),
            (
                "since=2026-04-30T16:00:00%2B02:00&until=2026-04-30T15:00:00Z",
                Ok(Window {
                    since: t("2026-04-30T14:00:00Z"),
                    until: t("2026-04-30T15:00:00Z"),
                }),
            ),
            (
                "until=2026-04-30T16:00:00+02:00",
                Ok(Window {
                    since: None,
                    until: t("2026-04-30T14:00:00Z"),
                }),
            ),
            ("since=yesterday", Err("since")),
            ("until=2026-13-01T00:00:00Z", Err("until")),
            ("since=", Err("since")),
            (
                "since=2026-04-30T15:00:00Z&until=2026-04-30T14:00:00Z",
                Err("until"),
            ),
        ];
        for (query, expected) in cases {
            match (Window::from_query(query), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{query}"),
                (Err(HistoryError::BadParameter { name, .. }), Err(want)) => {
                    assert_eq!(name, want, "{query}")
                }
                (got, want) => panic!("{query}: got {got:?}, want {want:?}"),
            }
        }
    }
}
