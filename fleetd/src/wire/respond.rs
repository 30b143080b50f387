//! The response of a body to a request: content coding, validators,
//! caching headers.

use super::accept::{self, Encoding};
use super::body::{compress_per_response, BodyKind, EncodedBody};
use crate::stats::Stats;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

/// `Cache-Control` of the snapshot-derived responses: a browser (never a
/// shared cache: the proxy may authenticate) may keep one, but must
/// revalidate it on every use, so nothing stale is ever shown and an
/// unchanged snapshot costs a `304`. Errors, health and readiness keep the
/// `no-store` of [`crate::middleware`].
pub const SNAPSHOT_CACHE_CONTROL: &str = "private, no-cache";

/// `body` for `req`: the variant its `Accept-Encoding` prefers (compressed
/// at most once per body, see [`EncodedBody::variant`]), or `304 Not
/// Modified` with no body when its `If-None-Match` names that variant's
/// `ETag`. HEAD gets the same headers (actix drops the body).
pub fn respond(
    req: &HttpRequest,
    body: &EncodedBody,
    content_type: &'static str,
    stats: &Stats,
) -> HttpResponse {
    let wanted = accept::negotiate(header_str(req, header::ACCEPT_ENCODING));
    let etag = body.etag(body.encoding_for(wanted));
    let revalidated = header_str(req, header::IF_NONE_MATCH).is_some_and(|tags| {
        etag.to_str()
            .is_ok_and(|etag| accept::none_match(tags, etag))
    });
    if revalidated {
        let mut response = HttpResponse::NotModified();
        response
            .insert_header((header::ETAG, etag.clone()))
            .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")))
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static(SNAPSHOT_CACHE_CONTROL),
            ));
        return response.finish();
    }
    let (encoding, bytes) = body.variant(wanted, stats);
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::ETAG, body.etag(encoding).clone()))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(SNAPSHOT_CACHE_CONTROL),
        ));
    if encoding != Encoding::Identity {
        response.insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.token()),
        ));
    }
    response.body(bytes)
}

/// A body rendered for this one response (`/metrics`, per scrape): gzip
/// when the client accepts it, at a fast level, since it is compressed per
/// request; no validator, and the caller's `Cache-Control`.
pub fn respond_uncached(
    req: &HttpRequest,
    kind: BodyKind,
    body: Bytes,
    content_type: &'static str,
    stats: &Stats,
) -> HttpResponse {
    let wanted =
        accept::negotiate_among(header_str(req, header::ACCEPT_ENCODING), &[Encoding::Gzip]);
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    match compress_per_response(kind, wanted, &body, stats) {
        Some(compressed) => response
            .insert_header((header::CONTENT_ENCODING, wanted.token()))
            .body(compressed),
        None => response.body(body),
    }
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}
