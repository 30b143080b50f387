//! Bytes on the wire: what a snapshot-derived response looks like once it
//! leaves fleetd.
//!
//! - [`accept`]: which content coding a request accepts (`Accept-Encoding`
//!   with q-values, `identity` and `q=0` honoured) and whether its
//!   `If-None-Match` names the representation it would get.
//! - [`body`]: [`EncodedBody`], one body with its strong validator and its
//!   compressed variants, each compressed at most once, on the first
//!   request that wants it, and shared by every later one.
//! - [`respond`]: the response of a body to a request: the variant the
//!   client accepts, `Content-Encoding`, `Vary: Accept-Encoding`, `ETag`,
//!   `Cache-Control: private, no-cache`, or a `304` with no body.
//!
//! Codings: `br` and `gzip`. Browsers send `gzip, deflate, br, zstd`;
//! curl `--compressed`, Prometheus and most HTTP libraries send `gzip`.
//! Brotli makes the page and the JSON about a quarter smaller than gzip, so
//! browsers get it; gzip serves every tool. zstd would add a third copy per
//! snapshot for clients that all accept br as well, so it is not offered.

pub mod accept;
pub mod body;
pub mod respond;

pub use accept::Encoding;
pub use body::{BodyKind, EncodedBody, MIN_COMPRESSED_LEN};
pub use respond::{respond, respond_uncached, SNAPSHOT_CACHE_CONTROL};
