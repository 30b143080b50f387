//! Middleware applied to every request.
//!
//! - [`read_only`] answers any method other than GET and HEAD with 405
//!   before routing: fleetd has no resource that accepts anything else.
//! - [`security_headers`] sets the spec's headers on every response,
//!   including errors and the 405s above (it wraps everything).

use crate::routes::errors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;

/// The Content-Security-Policy: nothing inline, everything from fleetd itself.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// Headers every response carries. `Cache-Control: no-store` unless the
/// handler set its own (the snapshot-derived responses:
/// [`crate::wire::SNAPSHOT_CACHE_CONTROL`]): errors, health and readiness
/// must never be kept.
pub const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
];

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Handler and extractor errors arrive here as responses (actix renders
    // them through `ResponseError` inside the route), so they get the
    // headers too; no layer inside this one returns `Err`. (Cloning the
    // request to cover that case is not possible: routing needs it unshared.)
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        if name == header::CACHE_CONTROL && headers.contains_key(&name) {
            continue;
        }
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}

pub async fn read_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let response = errors::method_not_allowed(req.request());
    Ok(req.into_response(response).map_into_right_body())
}
