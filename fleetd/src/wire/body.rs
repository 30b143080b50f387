//! [`EncodedBody`]: one response body, its validator and its compressed
//! variants, each made at most once.

use super::accept::Encoding;
use crate::stats::Stats;
use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use std::fmt;
use std::hash::{DefaultHasher, Hasher};
use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

/// Bodies shorter than this are always sent as they are: compressing a few
/// hundred bytes saves less than the coding's own overhead is worth.
pub const MIN_COMPRESSED_LEN: usize = 1024;

/// gzip level 9 and brotli quality 9 (window 2^22): a snapshot body is
/// compressed once per cache period, so the smaller output is worth the
/// milliseconds (docs/performance.md has the cost per snapshot).
const GZIP_LEVEL: u32 = 9;
const BROTLI_QUALITY: i32 = 9;
const BROTLI_WINDOW: i32 = 22;
/// Bodies compressed per response (`/metrics`, rendered per scrape) use a
/// fast level instead.
const GZIP_LEVEL_PER_RESPONSE: u32 = 5;

/// Which body it is: the `body` label of the compression metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// `/api/fleet`
    ApiFleet,
    /// The default `/fleet` page.
    FleetPage,
    /// `/api/fleet/history`
    History,
    /// `/metrics` (rendered, and so compressed, per scrape).
    Metrics,
}

impl BodyKind {
    pub const ALL: [BodyKind; 4] = [
        BodyKind::ApiFleet,
        BodyKind::FleetPage,
        BodyKind::History,
        BodyKind::Metrics,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BodyKind::ApiFleet => "api_fleet",
            BodyKind::FleetPage => "fleet_page",
            BodyKind::History => "history",
            BodyKind::Metrics => "metrics",
        }
    }
}

/// A body served many times: the bytes as rendered, a strong entity tag
/// derived from them, and a slot per compressed variant that the first
/// request wanting that coding fills. Concurrent first requests wait for
/// one compression rather than each doing its own.
pub struct EncodedBody {
    kind: BodyKind,
    identity: Bytes,
    /// `<length>-<hash>` of `identity`, in hex.
    tag: String,
    /// The quoted `ETag` of each variant (identity, gzip, br), made once:
    /// a warm request clones a shared header value.
    etags: [HeaderValue; 3],
    /// `None` in a slot: compressing failed or did not make it smaller, the
    /// identity bytes are sent instead.
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

impl EncodedBody {
    pub fn new(kind: BodyKind, identity: Bytes) -> Self {
        let mut hasher = DefaultHasher::new();
        hasher.write(&identity);
        let tag = format!("{:x}-{:016x}", identity.len(), hasher.finish());
        let etags = [Encoding::Identity, Encoding::Gzip, Encoding::Brotli].map(|encoding| {
            // Hex digits, '-' and letters: always a valid header value.
            HeaderValue::from_maybe_shared(Bytes::from(format!(
                "\"{tag}{}\"",
                encoding.tag_suffix()
            )))
            .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
        });
        EncodedBody {
            kind,
            identity,
            tag,
            etags,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The bytes as rendered.
    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The coding a client wanting `wanted` gets, without compressing
    /// anything: identity for a small body or a variant that turned out no
    /// smaller.
    pub fn encoding_for(&self, wanted: Encoding) -> Encoding {
        if wanted == Encoding::Identity || self.identity.len() < MIN_COMPRESSED_LEN {
            return Encoding::Identity;
        }
        match self.slot(wanted).get() {
            Some(None) => Encoding::Identity,
            _ => wanted,
        }
    }

    /// The variant for a client wanting `wanted`: compressed now if this is
    /// the first request that wants it (counted in `stats`), shared after.
    pub fn variant(&self, wanted: Encoding, stats: &Stats) -> (Encoding, Bytes) {
        let encoding = self.encoding_for(wanted);
        if encoding == Encoding::Identity {
            return (Encoding::Identity, self.identity.clone());
        }
        let compressed = self
            .slot(encoding)
            .get_or_init(|| compress_counted(self.kind, encoding, &self.identity, stats, false));
        match compressed {
            Some(bytes) => (encoding, bytes.clone()),
            None => (Encoding::Identity, self.identity.clone()),
        }
    }

    /// The strong entity tag of the `encoding` variant, quoted.
    pub fn etag(&self, encoding: Encoding) -> &HeaderValue {
        match encoding {
            Encoding::Identity => &self.etags[0],
            Encoding::Gzip => &self.etags[1],
            Encoding::Brotli => &self.etags[2],
        }
    }

    fn slot(&self, encoding: Encoding) -> &OnceLock<Option<Bytes>> {
        match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip | Encoding::Identity => &self.gzip,
        }
    }
}

impl fmt::Debug for EncodedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = |slot: &OnceLock<Option<Bytes>>| slot.get().map(|v| v.as_ref().map(Bytes::len));
        f.debug_struct("EncodedBody")
            .field("kind", &self.kind)
            .field("tag", &self.tag)
            .field("identity_bytes", &self.identity.len())
            .field("gzip_bytes", &len(&self.gzip))
            .field("brotli_bytes", &len(&self.brotli))
            .finish()
    }
}

/// Compresses `body` once for this response (a body rendered per request).
/// `None`: send it as it is.
pub(super) fn compress_per_response(
    kind: BodyKind,
    encoding: Encoding,
    body: &[u8],
    stats: &Stats,
) -> Option<Bytes> {
    if encoding == Encoding::Identity || body.len() < MIN_COMPRESSED_LEN {
        return None;
    }
    compress_counted(kind, encoding, body, stats, true)
}

fn compress_counted(
    kind: BodyKind,
    encoding: Encoding,
    body: &[u8],
    stats: &Stats,
    fast: bool,
) -> Option<Bytes> {
    let started = Instant::now();
    let result = compress(encoding, body, fast);
    stats.compressed(kind, encoding, started.elapsed());
    match result {
        Ok(bytes) if bytes.len() < body.len() => Some(Bytes::from(bytes)),
        Ok(_) => None,
        Err(err) => {
            log::error!(
                "compressing a {} body with {} failed (sent uncompressed): {err}",
                kind.label(),
                encoding.token()
            );
            None
        }
    }
}

fn compress(encoding: Encoding, body: &[u8], fast: bool) -> std::io::Result<Vec<u8>> {
    let out = Vec::with_capacity(body.len() / 8);
    match encoding {
        Encoding::Identity => Ok(body.to_vec()),
        Encoding::Gzip => {
            let level = if fast {
                GZIP_LEVEL_PER_RESPONSE
            } else {
                GZIP_LEVEL
            };
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
            encoder.write_all(body)?;
            encoder.finish()
        }
        Encoding::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: if fast { 4 } else { BROTLI_QUALITY },
                lgwin: BROTLI_WINDOW,
                size_hint: body.len(),
                ..Default::default()
            };
            let mut out = out;
            brotli::BrotliCompress(&mut &body[..], &mut out, &params)?;
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn big() -> Bytes {
        Bytes::from(
            (0..5000)
                .map(|i| format!("{{\"process\":\"p{i}\",\"status\":\"green\"}}"))
                .collect::<String>(),
        )
    }

    #[test]
    fn each_variant_is_compressed_once_and_decodes_to_the_body() {
        let stats = Stats::default();
        let body = EncodedBody::new(BodyKind::ApiFleet, big());
        for _ in 0..5 {
            let (encoding, gz) = body.variant(Encoding::Gzip, &stats);
            assert_eq!(encoding, Encoding::Gzip);
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut plain)
                .expect("gunzip");
            assert_eq!(plain, body.identity().as_ref());
            let (encoding, br) = body.variant(Encoding::Brotli, &stats);
            assert_eq!(encoding, Encoding::Brotli);
            let mut plain = Vec::new();
            brotli::Decompressor::new(&br[..], 4096)
                .read_to_end(&mut plain)
                .expect("unbrotli");
            assert_eq!(plain, body.identity().as_ref());
            assert!(br.len() < body.identity().len() / 10);
        }
        assert_eq!(stats.compressions(BodyKind::ApiFleet, Encoding::Gzip), 1);
        assert_eq!(stats.compressions(BodyKind::ApiFleet, Encoding::Brotli), 1);
    }

    #[test]
    fn small_bodies_stay_uncompressed() {
        let stats = Stats::default();
        let body = EncodedBody::new(BodyKind::History, Bytes::from_static(b"{\"x\":1}"));
        assert_eq!(body.variant(Encoding::Brotli, &stats).0, Encoding::Identity);
        assert_eq!(stats.compressions(BodyKind::History, Encoding::Brotli), 0);
    }

    #[test]
    fn each_variant_has_its_own_strong_tag() {
        let body = EncodedBody::new(BodyKind::ApiFleet, big());
        let tags = [Encoding::Identity, Encoding::Gzip, Encoding::Brotli]
            .map(|e| body.etag(e).to_str().expect("ascii").to_owned());
        assert!(tags.iter().all(|t| t.starts_with('"') && t.ends_with('"')));
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[2]);
        let same = EncodedBody::new(BodyKind::ApiFleet, big());
        assert_eq!(
            same.etag(Encoding::Gzip),
            tags[1].as_str(),
            "same bytes, same tag"
        );
        let other = EncodedBody::new(
            BodyKind::ApiFleet,
            Bytes::from(format!("{}x", "y".repeat(2000))),
        );
        assert_ne!(other.etag(Encoding::Identity), tags[0].as_str());
    }
}
