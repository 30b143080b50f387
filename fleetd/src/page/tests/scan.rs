//! Finding things in the rendered HTML. maud writes every attribute in
//! double quotes, classes in the order the template names them and no
//! whitespace between tags, so plain string search is exact enough.

use fleet_core::Status;

/// The text from the first `start` to the next `end` after it.
pub fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    try_between(html, start, end).unwrap_or_else(|| panic!("no {start:?} … {end:?} in the page"))
}

pub fn try_between<'h>(html: &'h str, start: &str, end: &str) -> Option<&'h str> {
    let from = html.find(start)?;
    let rest = &html[from..];
    let to = rest.find(end)?;
    Some(&rest[..to])
}

/// The `<section … id="{id}" …>` element's content, up to its `</section>`
/// (sections do not nest on these pages).
pub fn section<'h>(html: &'h str, id: &str) -> &'h str {
    between(html, &format!("id=\"{id}\""), "</section>")
}

/// Every value of `attr="..."` in the HTML.
pub fn attr_values<'h>(html: &'h str, attr: &str) -> Vec<&'h str> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').expect("closing quote");
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// One status badge: `<span class="st st-{tone}">{word}</span>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// The colour: "red", "amber", "green" or "neutral".
    pub tone: String,
    pub word: String,
}

impl Badge {
    /// The badge of a status: its colour and its word.
    pub fn of(status: Status) -> Badge {
        Badge::said(status, status.as_str())
    }

    /// A badge in the colour of `status` with another word (e.g. "stale").
    pub fn said(status: Status, word: &str) -> Badge {
        Badge {
            tone: status.as_str().to_owned(),
            word: word.to_owned(),
        }
    }

    pub fn neutral(word: &str) -> Badge {
        Badge {
            tone: "neutral".to_owned(),
            word: word.to_owned(),
        }
    }
}

/// Every status badge in `html`, in order (the verdict word is not one:
/// its class starts with `verdict-word`).
pub fn badges(html: &str) -> Vec<Badge> {
    const OPEN: &str = "<span class=\"st st-";
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(OPEN) {
        rest = &rest[i + OPEN.len()..];
        let tone_end = rest.find('"').expect("class end");
        let tone = rest[..tone_end].to_owned();
        let text_start = rest.find('>').expect("tag end") + 1;
        let text_end = rest.find("</span>").expect("span end");
        out.push(Badge {
            tone,
            word: rest[text_start..text_end].to_owned(),
        });
        rest = &rest[text_end..];
    }
    out
}

/// The first status badge in `html`, if any.
pub fn first_badge(html: &str) -> Option<Badge> {
    badges(html).into_iter().next()
}

/// The verdict word (`<span class="verdict-word st st-{tone}">{WORD}</span>`).
pub fn verdict_word(html: &str) -> Badge {
    const OPEN: &str = "<span class=\"verdict-word st st-";
    let rest = &html[html.find(OPEN).expect("a verdict word") + OPEN.len()..];
    let tone = &rest[..rest.find('"').expect("class end")];
    let text = &rest[rest.find('>').expect("tag end") + 1..rest.find("</span>").expect("end")];
    Badge {
        tone: tone.to_owned(),
        word: text.to_owned(),
    }
}

/// The rows of the body of the first `<table class="{class}">` in `html`.
pub fn table_rows<'h>(html: &'h str, class: &str) -> Vec<&'h str> {
    let table = between(html, &format!("<table class=\"{class}\">"), "</table>");
    let body = between(table, "<tbody>", "</tbody>");
    body.split("<tr").skip(1).collect()
}

/// The rows of the processes table.
pub fn process_rows(html: &str) -> Vec<&str> {
    table_rows(html, "grid procs")
}

/// The tone classes (`st-…`) of every `<{tag} class="{class} st-…">` in order.
pub fn tones_of<'h>(html: &'h str, class: &str) -> Vec<&'h str> {
    let open = format!(" class=\"{class} st-");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        // Keep the `st-` of the tone class.
        rest = &rest[i + open.len() - "st-".len()..];
        let end = rest.find(['"', ' ']).expect("class end");
        out.push(&rest[..end]);
    }
    out
}

/// `text` as the page writes it (HTML-escaped by maud).
pub fn esc(text: &str) -> String {
    maud::html! { (text) }.into_string()
}
