//! 404 and 405 responses: JSON under the API, an HTML page elsewhere.

use super::Paths;
use crate::page;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// The methods fleetd answers (its `Allow` header).
pub const ALLOW: &str = "GET, HEAD";

/// The app's default service: no route matched.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_response(
        &req,
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address.",
    )
}

/// Any method other than GET or HEAD, on any path.
pub fn method_not_allowed(req: &HttpRequest) -> HttpResponse {
    let mut response = error_response(
        req,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "fleetd is read-only: it answers GET and HEAD only.",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(ALLOW));
    response
}

fn error_response(
    req: &HttpRequest,
    status: StatusCode,
    title: &str,
    detail: &str,
) -> HttpResponse {
    let paths = req
        .app_data::<web::Data<Paths>>()
        .map_or_else(|| Paths::new(""), |p| p.get_ref().clone());
    let mut response = HttpResponse::build(status);
    if paths.is_api(req.path()) {
        let error = title.to_lowercase();
        response
            .content_type(ContentType::json())
            .body(serde_json::json!({ "error": error }).to_string())
    } else {
        response
            .content_type(ContentType::html())
            .body(page::error_page(paths.base(), status.as_u16(), title, detail).into_string())
    }
}
