//! Links to each process's own dashboard: the `[links] host_dashboard`
//! template (`links.host_dashboard`), checked when the configuration is
//! loaded and filled in per process when a page is drawn.
//!
//! The operator fixes the scheme (`http` or `https`, written out) and the
//! shape of the URL; a process only supplies values, and a value can never
//! add markup, a `javascript:` URL or another host:
//!
//! - in the path, query or fragment a value is percent-encoded as one path
//!   segment (`/`, `?`, `#`, quotes, `<`, `>` … are encoded; `:` and `@`
//!   stay readable, harmless there);
//! - in the authority (`http://{host}:{dashboard_port}/`) a value may only
//!   be a plain host name (RFC 3986 unreserved characters): anything else —
//!   `@`, `:`, `/`, `%` — would change which host the link goes to, so that
//!   process gets no link.
//!
//! A process whose value for a placeholder the template uses is missing (a
//! NULL port, an empty id) gets no link either.

use crate::page::format::encode_path_segment;
use fleet_core::snapshot::ProcessEntry;
use std::fmt;

/// The configuration key, for error messages.
pub const KEY: &str = "links.host_dashboard";

/// One `{name}` of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Host,
    ProcessId,
    DashboardPort,
    ApiPort,
}

impl Placeholder {
    pub const ALL: [Placeholder; 4] = [
        Placeholder::Host,
        Placeholder::ProcessId,
        Placeholder::DashboardPort,
        Placeholder::ApiPort,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Host => "host",
            Placeholder::ProcessId => "process_id",
            Placeholder::DashboardPort => "dashboard_port",
            Placeholder::ApiPort => "api_port",
        }
    }

    fn parse(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The raw (not yet encoded) value of a process; `None` when it has none.
    fn value(self, host_id: &str, process: Option<&ProcessEntry>) -> Option<String> {
        let value = match self {
            Placeholder::Host => host_id.to_owned(),
            Placeholder::ProcessId => process?.process_id.clone(),
            Placeholder::DashboardPort => process?.dashboard_port?.to_string(),
            Placeholder::ApiPort => process?.api_port?.to_string(),
        };
        (!value.is_empty()).then_some(value)
    }
}

/// Why a template is refused. Display is the reason; the settings add the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "{template:?} is not an absolute http:// or https:// URL (the scheme must be written out)"
    )]
    NotHttp { template: String },
    #[error("{template:?} has no host after the scheme")]
    NoHost { template: String },
    #[error("{template:?} contains whitespace or a control character")]
    Whitespace { template: String },
    #[error(
        "{template:?} has an unknown placeholder {{{name}}} (known: {{host}}, {{process_id}}, \
         {{dashboard_port}}, {{api_port}})"
    )]
    UnknownPlaceholder { template: String, name: String },
    #[error("{template:?} has an unbalanced {brace:?} at character {at}")]
    Unbalanced {
        template: String,
        brace: char,
        at: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Value {
        placeholder: Placeholder,
        /// Between `://` and the first `/`, `?` or `#`.
        in_authority: bool,
    },
}

/// A checked `links.host_dashboard` template.
#[derive(Clone, PartialEq, Eq)]
pub struct HostDashboard {
    template: String,
    parts: Vec<Part>,
}

impl fmt::Debug for HostDashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HostDashboard")
            .field(&self.template)
            .finish()
    }
}

impl HostDashboard {
    /// Checks a template: an absolute `http://` or `https://` URL with a
    /// host, no whitespace, braces only around a known placeholder.
    pub fn parse(template: &str) -> Result<HostDashboard, TemplateError> {
        let owned = || template.to_owned();
        if template
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(TemplateError::Whitespace { template: owned() });
        }
        let scheme_len = ["http://", "https://"]
            .into_iter()
            .find(|scheme| {
                template
                    .get(..scheme.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
            })
            .map(str::len)
            .ok_or_else(|| TemplateError::NotHttp { template: owned() })?;

        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut in_authority = true;
        let mut authority_len = 0usize;
        let mut chars = template.char_indices().skip(scheme_len);
        literal.push_str(&template[..scheme_len]);
        while let Some((at, c)) = chars.next() {
            match c {
                '{' => {
                    let start = at + 1;
                    let end = template[start..]
                        .find(['{', '}'])
                        .map(|i| start + i)
                        .filter(|&i| template[i..].starts_with('}'))
                        .ok_or(TemplateError::Unbalanced {
                            template: owned(),
                            brace: '{',
                            at,
                        })?;
                    let name = &template[start..end];
                    let placeholder = Placeholder::parse(name).ok_or_else(|| {
                        TemplateError::UnknownPlaceholder {
                            template: owned(),
                            name: name.to_owned(),
                        }
                    })?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Value {
                        placeholder,
                        in_authority,
                    });
                    if in_authority {
                        authority_len += 1;
                    }
                    // Skip the name and its closing brace.
                    for _ in template[start..=end].chars() {
                        chars.next();
                    }
                }
                '}' => {
                    return Err(TemplateError::Unbalanced {
                        template: owned(),
                        brace: '}',
                        at,
                    })
                }
                _ => {
                    if matches!(c, '/' | '?' | '#') {
                        in_authority = false;
                    } else if in_authority {
                        authority_len += 1;
                    }
                    literal.push(c);
                }
            }
        }
        if authority_len == 0 {
            return Err(TemplateError::NoHost { template: owned() });
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(HostDashboard {
            template: template.to_owned(),
            parts,
        })
    }

    /// The template as configured.
    pub fn as_str(&self) -> &str {
        &self.template
    }

    /// Whether the template needs a process (its id or a port), not only
    /// the host.
    pub fn needs_process(&self) -> bool {
        self.parts.iter().any(|part| {
            matches!(part, Part::Value { placeholder, .. } if *placeholder != Placeholder::Host)
        })
    }

    /// The dashboard of `process`, or `None` when one of the values the
    /// template uses is missing or cannot be a host name.
    pub fn for_process(&self, process: &ProcessEntry) -> Option<String> {
        self.fill(&process.host_id, Some(process))
    }

    /// The dashboard of a host by its id alone: only when the template
    /// uses nothing but `{host}`.
    pub fn for_host(&self, host_id: &str) -> Option<String> {
        self.fill(host_id, None)
    }

    fn fill(&self, host_id: &str, process: Option<&ProcessEntry>) -> Option<String> {
        let mut out = String::with_capacity(self.template.len() + 32);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Value {
                    placeholder,
                    in_authority,
                } => {
                    let value = placeholder.value(host_id, process)?;
                    if *in_authority {
                        if !value.bytes().all(is_unreserved) {
                            return None;
                        }
                        out.push_str(&value);
                    } else {
                        out.push_str(&encode_path_segment(&value));
                    }
                }
            }
        }
        Some(out)
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_core::test_support::{monitor, Fleet};
    use reqwest::Url;

    fn process(host: &str, dashboard_port: Option<u32>, api_port: Option<u32>) -> ProcessEntry {
        let mut row = monitor(host);
        row.dashboard_port = dashboard_port;
        row.api_port = api_port;
        let snap = Fleet::empty().proc(row).build();
        snap.processes.into_iter().next().expect("one process")
    }

    fn template(text: &str) -> HostDashboard {
        HostDashboard::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_placeholder_is_filled_in() {
        let t =
            template("https://dash.example/{host}/{process_id}?d={dashboard_port}&a={api_port}");
        assert_eq!(
            t.for_process(&process("mon-a", Some(8081), Some(8090)))
                .as_deref(),
            Some("https://dash.example/mon-a/mon-a:monitor?d=8081&a=8090")
        );
        let t = template("HTTP://{host}:{dashboard_port}/");
        assert_eq!(
            t.for_process(&process("mon-a.dc1", Some(8081), None))
                .as_deref(),
            Some("HTTP://mon-a.dc1:8081/")
        );
    }

    #[test]
    fn a_null_port_the_template_uses_gives_no_link() {
        let p = process("mon-a", None, Some(8090));
        assert_eq!(
            template("http://{host}:{dashboard_port}/").for_process(&p),
            None
        );
        assert_eq!(
            template("http://{host}:{api_port}/")
                .for_process(&p)
                .as_deref(),
            Some("http://mon-a:8090/"),
            "a port the template does not use does not matter"
        );
    }

    #[test]
    fn a_host_alone_is_linked_only_when_the_template_needs_nothing_else() {
        let host_only = template("https://grafana.example/d/jetmon?var-host={host}");
        assert!(!host_only.needs_process());
        assert_eq!(
            host_only.for_host("mon a").as_deref(),
            Some("https://grafana.example/d/jetmon?var-host=mon%20a")
        );
        let with_port = template("http://{host}:{dashboard_port}/");
        assert!(with_port.needs_process());
        assert_eq!(with_port.for_host("mon-a"), None);
        assert_eq!(host_only.for_host(""), None, "an empty host id");
    }

    #[test]
    fn templates_that_are_not_absolute_http_urls_are_refused() {
        for bad in [
            "",
            "/fleet/{host}",
            "dash.example/{host}",
            "ftp://dash.example/{host}",
            "javascript:alert(1)//{host}",
            "{host}://dash.example/",
            "http:/dash.example/",
            "https:///path/{host}",
            "http://",
        ] {
            let err = HostDashboard::parse(bad).expect_err(bad);
            assert!(
                matches!(
                    err,
                    TemplateError::NotHttp { .. } | TemplateError::NoHost { .. }
                ),
                "{bad:?}: {err}"
            );
        }
        assert!(matches!(
            HostDashboard::parse("https://dash.example/ {host}"),
            Err(TemplateError::Whitespace { .. })
        ));
    }

    #[test]
    fn unknown_placeholders_and_unbalanced_braces_are_refused_naming_them() {
        let err = HostDashboard::parse("https://d.example/{hostname}").expect_err("unknown");
        assert_eq!(
            err,
            TemplateError::UnknownPlaceholder {
                template: "https://d.example/{hostname}".into(),
                name: "hostname".into()
            }
        );
        assert!(err.to_string().contains("{hostname}"), "{err}");
        for (bad, brace) in [
            ("https://d.example/{host", '{'),
            ("https://d.example/host}", '}'),
            ("https://d.example/{{host}}", '{'),
            ("https://d.example/{ho{st}", '{'),
            ("https://d.example/{host}}", '}'),
        ] {
            match HostDashboard::parse(bad) {
                Err(TemplateError::Unbalanced { brace: b, .. }) => assert_eq!(b, brace, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            HostDashboard::parse("https://d.example/{}"),
            Err(TemplateError::UnknownPlaceholder { .. })
        ));
    }

    const HOSTILE: [&str; 7] = [
        "\"><script>alert(1)</script>",
        "javascript:alert(1)",
        "//evil.example",
        "evil.example/",
        "x@evil.example",
        "evil.example:443",
        "mon-a%2F..%2F",
    ];

    #[test]
    fn a_hostile_host_id_in_the_path_is_one_encoded_segment() {
        let t = template("https://dash.example/hosts/{host}/view");
        for host in HOSTILE {
            let link = t.for_host(host).expect("a path value is always encoded");
            for c in ['<', '>', '"', '\'', ' ', '#', '?'] {
                assert!(!link.contains(c), "{host:?}: {link}");
            }
            let url = Url::parse(&link).unwrap_or_else(|e| panic!("{link}: {e}"));
            assert_eq!(url.scheme(), "https", "{link}");
            assert_eq!(url.host_str(), Some("dash.example"), "{link}");
            let segments: Vec<&str> = url.path_segments().expect("a path").collect();
            assert_eq!(segments.len(), 3, "{host:?} stays one segment: {link}");
            assert_eq!(segments[0], "hosts");
            assert_eq!(segments[2], "view");
        }
    }

    #[test]
    fn a_hostile_host_id_in_the_authority_gets_no_link() {
        let t = template("http://{host}:{dashboard_port}/");
        for host in HOSTILE {
            assert_eq!(
                t.for_process(&process(host, Some(8081), None)),
                None,
                "{host:?} cannot name another host"
            );
        }
        let link = t
            .for_process(&process("mon-a.dc1", Some(8081), None))
            .expect("a plain host name");
        let url = Url::parse(&link).expect("valid");
        assert_eq!(
            (url.scheme(), url.host_str(), url.port()),
            ("http", Some("mon-a.dc1"), Some(8081))
        );
    }
}
