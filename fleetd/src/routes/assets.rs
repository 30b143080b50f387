//! `/static/{file}`: the CSS and the optional script, embedded at build time
//! (see build.rs: only an allow-list of names can exist).

use super::errors;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/static_assets.rs"));
}

/// (Content-Type, bytes) of an embedded asset.
pub fn find(name: &str) -> Option<(&'static str, &'static [u8])> {
    embedded::ASSETS
        .iter()
        .find(|(file, _, _)| *file == name)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}

/// Names of the embedded assets (those present at build time).
pub fn names() -> impl Iterator<Item = &'static str> {
    embedded::ASSETS.iter().map(|(name, _, _)| *name)
}

pub async fn serve(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    match find(&file) {
        Some((content_type, bytes)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
            .body(Bytes::from_static(bytes)),
        None => errors::not_found(req).await,
    }
}
