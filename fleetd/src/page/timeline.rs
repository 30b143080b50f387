//! The 24-hour timeline strip: the fleet status over a period as one
//! server-rendered SVG, a rectangle per segment (green, amber, red, or grey
//! for unknown: a failed build, or no record), each with a `<title>` giving
//! its status and times (the browser's tooltip; no JavaScript).

use super::format::{readable_age, utc_text};
use crate::history::summary::Segment;
use chrono::{DateTime, Utc};
use maud::{html, Markup};

/// The SVG's user units across the strip (one per minute of a day).
pub const WIDTH: i64 = 1440;
/// The strip's height in user units.
pub const HEIGHT: i64 = 24;

/// The strip for `segments` (which cover `[from, to)`, in order).
pub fn strip(segments: &[Segment], from: DateTime<Utc>, to: DateTime<Utc>, label: &str) -> Markup {
    let span = (to - from).num_milliseconds().max(1);
    let x = |at: DateTime<Utc>| -> f64 {
        let offset = (at - from).num_milliseconds().clamp(0, span);
        // Three decimals are plenty for 1440 units.
        (offset as f64 * WIDTH as f64 / span as f64 * 1000.0).round() / 1000.0
    };
    html! {
        figure.timeline {
            svg.timeline-strip viewBox={ "0 0 " (WIDTH) " " (HEIGHT) }
                preserveAspectRatio="none" role="img" aria-label=(label)
                xmlns="http://www.w3.org/2000/svg" {
                title { (label) }
                @for segment in segments {
                    rect class={ "tl tl-" (segment.status.as_str()) }
                        x=(x(segment.start)) y="0"
                        width=((x(segment.end) - x(segment.start)).max(0.0)) height=(HEIGHT) {
                        title {
                            (segment.status.as_str()) ": " (utc_text(segment.start))
                            " \u{2013} " (utc_text(segment.end))
                            " (" (readable_age(segment.duration().num_seconds().max(0).unsigned_abs())) ")"
                        }
                    }
                }
            }
            figcaption.muted.small {
                span { (utc_text(from)) }
                " \u{2013} "
                span { (utc_text(to)) }
                " \u{b7} "
                span.tl-key.tl-green { "green" } " "
                span.tl-key.tl-amber { "amber" } " "
                span.tl-key.tl-red { "red" } " "
                span.tl-key.tl-unknown { "unknown" }
            }
        }
    }
}
