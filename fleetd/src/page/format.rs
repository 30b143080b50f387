//! Small formatting helpers shared by every part of the page: URLs under the
//! base path, percent-encoding, readable ages, UTC times and status badges.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use fleet_core::Status;
use maud::{html, Markup};

/// The one way every link and asset URL on the pages is built: `base` is ""
/// or a sub-path such as "/ops/fleet" (a trailing slash is tolerated), `path`
/// starts with '/'.
pub fn url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let mut out = String::with_capacity(base.len() + path.len() + 1);
    out.push_str(base);
    if !path.starts_with('/') {
        out.push('/');
    }
    out.push_str(path);
    out
}

/// `{base}/fleet`, with the filter's query string (if any) and an optional
/// fragment such as `"processes"`.
pub fn fleet_url(base: &str, query: &str, fragment: Option<&str>) -> String {
    let mut out = url(base, "/fleet");
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `{base}/fleet/process/{id}` with the id percent-encoded as one path segment.
pub fn process_url(base: &str, process_id: &str) -> String {
    url(
        base,
        &format!("/fleet/process/{}", encode_path_segment(process_id)),
    )
}

/// `{base}/static/{file}`.
pub fn static_url(base: &str, file: &str) -> String {
    url(base, &format!("/static/{file}"))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode_with(value: &str, keep: impl Fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Percent-encodes a query-string key or value: everything but the RFC 3986
/// unreserved characters is encoded (a space becomes `%20`).
pub fn encode_query_value(value: &str) -> String {
    encode_with(value, is_unreserved)
}

/// Percent-encodes one path segment. Besides the unreserved characters, `:`
/// and `@` stay readable (process ids look like `host:monitor`); `/`, `%`,
/// `?`, `#`, `+` and everything else are encoded.
pub fn encode_path_segment(value: &str) -> String {
    encode_with(value, |b| is_unreserved(b) || b == b':' || b == b'@')
}

/// Decodes a `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` a byte; a malformed escape is kept literally. Invalid UTF-8 is
/// replaced rather than rejected.
pub fn decode_query_component(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16).ok()
                });
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A duration in seconds as operators read it: "4 s", "1 min 30 s",
/// "20 min", "3 h 5 min", "2 d 3 h". Seconds are shown below 10 minutes
/// only; every value is truncated, never rounded up.
pub fn readable_age(secs: u64) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    let two = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 {
            format!("{big} {big_unit}")
        } else {
            format!("{big} {big_unit} {small} {small_unit}")
        }
    };
    if secs < MIN {
        format!("{secs} s")
    } else if secs < 10 * MIN {
        two(secs / MIN, "min", secs % MIN, "s")
    } else if secs < HOUR {
        format!("{} min", secs / MIN)
    } else if secs < DAY {
        two(secs / HOUR, "h", (secs % HOUR) / MIN, "min")
    } else {
        two(secs / DAY, "d", (secs % DAY) / HOUR, "h")
    }
}

/// Whole seconds from `ts` to `now`, never negative.
pub fn age_secs(now: DateTime<Utc>, ts: DateTime<Utc>) -> u64 {
    fleet_core::age::age_secs(now, ts)
}

/// "2026-04-30 14:00:00 UTC".
pub fn utc_text(ts: DateTime<Utc>) -> String {
    fixed_time(ts, ' ', " UTC")
}

/// "2026-04-30T14:00:00Z" (the `datetime` attribute and the JSON form).
pub fn iso(ts: DateTime<Utc>) -> String {
    fixed_time(ts, 'T', "Z")
}

/// Both page time formats, written field by field: a 1,000-process page
/// formats thousands of times, and chrono's `format` parses its pattern on
/// every call. Years outside 0..=9999 (never in these tables) fall back to
/// chrono's RFC 3339.
fn fixed_time(ts: DateTime<Utc>, separator: char, zone: &str) -> String {
    let year = ts.year();
    if !(0..=9999).contains(&year) {
        return ts.to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    format!(
        "{year:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}{zone}",
        ts.month(),
        ts.day(),
        ts.hour(),
        ts.minute(),
        ts.second()
    )
}

/// An absolute UTC time, machine-readable in `datetime`.
pub fn time_utc(ts: DateTime<Utc>) -> Markup {
    html! { time datetime=(iso(ts)) { (utc_text(ts)) } }
}

/// "20 min ago" for `ts`, kept current by fleet.js (`data-ago`); the full UTC
/// time is its tooltip.
pub fn time_ago(now: DateTime<Utc>, ts: DateTime<Utc>) -> Markup {
    html! {
        time.ago datetime=(iso(ts)) title=(utc_text(ts)) data-ago {
            (readable_age(age_secs(now, ts))) " ago"
        }
    }
}

/// "2026-04-30 14:00:00 UTC (20 min ago)".
pub fn time_full(now: DateTime<Utc>, ts: DateTime<Utc>) -> Markup {
    html! { (time_utc(ts)) " " span.muted { "(" (time_ago(now, ts)) ")" } }
}

/// The colour family of a status cell. Every badge also carries its word:
/// colour is never the only signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Green,
    Amber,
    Red,
    /// Nothing to judge (e.g. "none", "not checked").
    Neutral,
}

impl Tone {
    /// The page-level class (body), which only sets the accent colour of
    /// the top bar.
    pub fn page_class(self) -> &'static str {
        match self {
            Tone::Green => "page-green",
            Tone::Amber => "page-amber",
            Tone::Red => "page-red",
            Tone::Neutral => "page-neutral",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Tone::Green => "st-green",
            Tone::Amber => "st-amber",
            Tone::Red => "st-red",
            Tone::Neutral => "st-neutral",
        }
    }
}

impl From<Status> for Tone {
    fn from(status: Status) -> Tone {
        match status {
            Status::Green => Tone::Green,
            Status::Amber => Tone::Amber,
            Status::Red => Tone::Red,
        }
    }
}

/// A status badge: the word, in its colour.
pub fn badge(tone: Tone, word: &str) -> Markup {
    html! { span.st.(tone.class()) { (word) } }
}

/// The badge of a fleet-core status.
pub fn status_badge(status: Status) -> Markup {
    badge(status.into(), status.as_str())
}

/// The badge of a recorded history status ("unknown": a failed build, or
/// no record).
pub fn sample_badge(status: crate::history::SampleStatus) -> Markup {
    match status.known() {
        Some(known) => status_badge(known),
        None => badge(Tone::Neutral, status.as_str()),
    }
}

/// A badge for a status a process reported (`health_status`, a
/// `dependency_health` entry): the status fleet-core counts it as, followed
/// by the quoted raw value when that is not the same word.
pub fn reported_badge(counted_as: Status, reported: &str) -> Markup {
    html! {
        (status_badge(counted_as))
        @if reported != counted_as.as_str() {
            " " span.muted.raw { "\u{201c}" (reported) "\u{201d}" }
        }
    }
}

/// A count that is only noteworthy when non-zero: zero is muted, anything
/// else gets the given tone.
pub fn count_cell(value: u64, tone_when_nonzero: Tone) -> Markup {
    if value == 0 {
        html! { span.num.zero { "0" } }
    } else {
        html! { span.num.(tone_when_nonzero.class()).strong { (value) } }
    }
}

/// Longest database text shown in a table cell: a process can report an
/// error of any size (a 1 MB `last_error` would make the page megabytes).
/// The JSON feed always carries the full text.
pub const CELL_MAX_CHARS: usize = 300;
/// Longest text in a tooltip (`title`).
pub const TITLE_MAX_CHARS: usize = 1000;
/// Longest database text on the per-process page.
pub const DETAIL_MAX_CHARS: usize = 8000;

/// Truncates `value` to at most `max` characters, adding an ellipsis.
pub fn truncate(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        Some((cut, _)) => format!("{}\u{2026}", &value[..cut]),
        None => value.to_owned(),
    }
}

/// "1 process", "2 processes".
pub fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}
