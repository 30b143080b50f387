//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3) and `If-None-Match`
//! matching (§13.1.2).

/// A content coding fleetd can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The coding's token in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }

    /// What the variant adds to its body's entity tag.
    pub(super) fn tag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gzip",
            Encoding::Brotli => "-br",
        }
    }
}

/// The coding to send for a request's `Accept-Encoding` (`None`: the header
/// is absent). The highest q-value wins; on a tie `br` before `gzip` before
/// `identity` (smallest first). A coding is acceptable when listed with
/// q > 0, or covered by `*` with q > 0; `identity` is acceptable unless
/// excluded (`identity;q=0`, or `*;q=0` without an `identity` entry). When
/// nothing fleetd has is acceptable it sends identity anyway (§12.5.3
/// allows that rather than a 406). No header: identity.
pub fn negotiate(header: Option<&str>) -> Encoding {
    negotiate_among(header, &[Encoding::Gzip, Encoding::Brotli])
}

/// [`negotiate`] among `offered` (and identity) only.
pub fn negotiate_among(header: Option<&str>, offered: &[Encoding]) -> Encoding {
    let Some(header) = header else {
        return Encoding::Identity;
    };
    let mut br = None;
    let mut gzip = None;
    let mut identity = None;
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        if coding.is_empty() {
            continue;
        }
        let mut q = Some(1000);
        for param in parts {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            if name.trim().eq_ignore_ascii_case("q") {
                q = qvalue(value.trim());
            }
        }
        // An unreadable q-value: the item is ignored.
        let Some(q) = q else { continue };
        let slot = if coding.eq_ignore_ascii_case("br") {
            &mut br
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if coding == "*" {
            &mut star
        } else {
            continue;
        };
        // The first entry of a coding counts (duplicates are malformed).
        slot.get_or_insert(q);
    }
    let br = br.or(star).unwrap_or(0);
    let gzip = gzip.or(star).unwrap_or(0);
    // Unlisted, identity is acceptable but the last choice: a client that
    // names a coding (at any q above 0) prefers it to the bare bytes.
    let identity = identity.or(star).unwrap_or(1);
    let mut best = (Encoding::Identity, identity);
    for candidate in [(Encoding::Gzip, gzip), (Encoding::Brotli, br)] {
        if offered.contains(&candidate.0) && candidate.1 > 0 && candidate.1 >= best.1 {
            best = candidate;
        }
    }
    best.0
}

/// A qvalue (`0`, `0.5`, `1.000`) in thousandths; `None` if malformed.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether an `If-None-Match` header names `etag` (weak comparison, as
/// §13.1.2 requires for this header; `*` matches any current
/// representation). `etag` is quoted, as sent in `ETag`.
pub fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').any(|tag| {
        let tag = tag.trim();
        tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Brotli, Gzip, Identity};

    #[test]
    fn what_clients_send() {
        let cases = [
            (None, Identity),
            (Some(""), Identity),
            (Some("gzip, deflate, br, zstd"), Brotli), // Chromium, Firefox
            (Some("gzip, deflate, br"), Brotli),       // older browsers
            (Some("deflate, gzip"), Gzip),             // curl --compressed
            (Some("gzip"), Gzip),                      // Prometheus
            (Some("identity"), Identity),
            (Some("zstd"), Identity),
            (Some("*"), Brotli),
        ];
        for (header, expected) in cases {
            assert_eq!(negotiate(header), expected, "{header:?}");
        }
    }

    #[test]
    fn q_values_are_honoured() {
        let cases = [
            ("br;q=0, gzip", Gzip),
            ("gzip;q=0, br;q=0", Identity),
            ("gzip;q=0.5, br;q=0.4", Gzip),
            ("gzip;q=0.5, identity", Identity),
            ("gzip;q=1.0, identity;q=0.999", Gzip),
            ("GZIP ; Q=0.8 , BR ; q=0.9", Brotli),
            ("*;q=0", Identity),
            ("*;q=0, gzip", Gzip),
            ("*;q=0.3, gzip;q=0", Brotli),
            ("identity;q=0, gzip;q=0", Identity),
            ("gzip;q=2", Identity),
            ("gzip;q=0.1234", Identity),
            ("gzip;q=abc, br;q=0.1", Brotli),
            ("x-gzip", Gzip),
            ("gzip;q=0.000", Identity),
            ("br;q=0.001", Brotli),
        ];
        for (header, expected) in cases {
            assert_eq!(negotiate(Some(header)), expected, "{header:?}");
        }
    }

    #[test]
    fn only_offered_codings_are_chosen() {
        let gzip_only = [Gzip];
        assert_eq!(
            negotiate_among(Some("gzip, deflate, br, zstd"), &gzip_only),
            Gzip
        );
        assert_eq!(negotiate_among(Some("br"), &gzip_only), Identity);
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let etag = "\"abc-br\"";
        assert!(none_match("\"abc-br\"", etag));
        assert!(none_match("W/\"abc-br\"", etag));
        assert!(none_match("\"x\", \"abc-br\"", etag));
        assert!(none_match("*", etag));
        assert!(!none_match("\"abc\"", etag));
        assert!(!none_match("\"abc-gzip\"", etag));
        assert!(!none_match("", etag));
    }
}
