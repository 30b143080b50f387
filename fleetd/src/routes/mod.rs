//! Routes. Handlers are thin: take what they need from the request, ask the
//! [`SnapshotService`](crate::snapshots::SnapshotService), render.
//!
//! To add a route: write the handler in a module here and register its path
//! in [`routes`] (with a [`Paths`] method if other code links to it) and
//! document it in `docs/api.md` (a deploy test holds the two to each other). The
//! method filter and the security headers apply to it automatically.

pub mod api;
pub mod assets;
pub mod cutover;
pub mod errors;
pub mod fleet;
pub mod health;
pub mod history;
pub mod metrics;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Every URL fleetd serves, under the configured base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    base: String,
}

impl Paths {
    /// `base` is "" or a validated path like "/ops/fleet" (no trailing '/').
    pub fn new(base: &str) -> Self {
        Paths {
            base: base.to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn fleet(&self) -> String {
        format!("{}/fleet", self.base)
    }

    /// The dynamic-ownership cutover checklist.
    pub fn cutover(&self) -> String {
        format!("{}/fleet/cutover", self.base)
    }

    /// The page of one process; `process_id` must already be URL-encoded.
    pub fn process(&self, process_id: &str) -> String {
        format!("{}/fleet/process/{process_id}", self.base)
    }

    pub fn api(&self) -> String {
        format!("{}/api", self.base)
    }

    pub fn api_fleet(&self) -> String {
        format!("{}/api/fleet", self.base)
    }

    /// The page of the recorded status history.
    pub fn fleet_history(&self) -> String {
        format!("{}/fleet/history", self.base)
    }

    pub fn api_fleet_history(&self) -> String {
        format!("{}/api/fleet/history", self.base)
    }

    pub fn metrics(&self) -> String {
        format!("{}/metrics", self.base)
    }

    pub fn healthz(&self) -> String {
        format!("{}/healthz", self.base)
    }

    pub fn readyz(&self) -> String {
        format!("{}/readyz", self.base)
    }

    pub fn static_file(&self, name: &str) -> String {
        format!("{}/static/{name}", self.base)
    }

    /// Paths whose errors are answered in JSON: the API is for scripts.
    pub fn is_api(&self, path: &str) -> bool {
        let api = self.api();
        path == api
            || path
                .strip_prefix(&api)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Every route: its path (under the base path of `paths`) and its handler.
/// The one list [`configure`] registers and `docs/api.md`'s route table is
/// held to (see [`templates`]). Routes take any method: the
/// [`read_only`](crate::middleware::read_only) middleware has already turned
/// everything but GET and HEAD into a 405, and HEAD is answered like GET
/// (actix drops the body).
fn routes(paths: &Paths) -> Vec<(Vec<String>, actix_web::Route)> {
    let mut root = vec!["/".to_owned()];
    if !paths.base().is_empty() {
        root.push(paths.base().to_owned());
        root.push(format!("{}/", paths.base()));
    }
    vec![
        (root, web::to(redirect_to_fleet)),
        (vec![paths.fleet()], web::to(fleet::page)),
        (vec![paths.cutover()], web::to(cutover::page)),
        (vec![paths.fleet_history()], web::to(history::page)),
        (vec![paths.process("{process_id}")], web::to(fleet::process)),
        (vec![paths.api_fleet()], web::to(api::fleet)),
        (vec![paths.api_fleet_history()], web::to(history::api)),
        (vec![paths.metrics()], web::to(metrics::metrics)),
        (vec![paths.healthz()], web::to(health::healthz)),
        (vec![paths.readyz()], web::to(health::readyz)),
        (vec![paths.static_file("{file}")], web::to(assets::serve)),
    ]
}

/// The path template of every route without a base path (`/`,
/// `/fleet/process/{process_id}`, …), in registration order.
pub fn templates() -> Vec<String> {
    routes(&Paths::new(""))
        .into_iter()
        .flat_map(|(paths, _)| paths)
        .collect()
}

/// Registers every route of [`routes`].
pub fn configure(cfg: &mut web::ServiceConfig, paths: &Paths) {
    for (paths, route) in routes(paths) {
        cfg.service(web::resource(paths).route(route));
    }
}

async fn redirect_to_fleet(paths: web::Data<Paths>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, paths.fleet()))
        .finish()
}
