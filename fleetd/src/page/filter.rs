//! Filters of the processes table, carried in the query string so that a
//! filtered view is a shareable URL: `?status=red&type=monitor&host=mon-a`.
//!
//! Parameters: `status` (red, amber, green or stale), `type` (a process
//! type) and `host` (a host id). Empty values mean "no filter"; unknown
//! parameters, repeated parameters and bad status values are errors that
//! name the parameter and the value (the server answers them with 400).

use super::format::{decode_query_component, encode_query_value, truncate};
use fleet_core::snapshot::ProcessEntry;
use fleet_core::Status;
use std::fmt;

/// The query parameter names.
pub const PARAM_STATUS: &str = "status";
pub const PARAM_TYPE: &str = "type";
pub const PARAM_HOST: &str = "host";

/// How many characters of an offending value an error repeats.
const ERROR_VALUE_MAX_CHARS: usize = 80;

/// The status a process row is filtered by. Consistent with the summary
/// counts: a stale process counts as stale *and* red; amber includes unknown
/// health values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    Red,
    Amber,
    Green,
    Stale,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 4] = [
        StatusFilter::Red,
        StatusFilter::Amber,
        StatusFilter::Green,
        StatusFilter::Stale,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Red => "red",
            StatusFilter::Amber => "amber",
            StatusFilter::Green => "green",
            StatusFilter::Stale => "stale",
        }
    }

    pub fn parse(value: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether a process row has this status.
    pub fn matches(self, process: &ProcessEntry) -> bool {
        match self {
            StatusFilter::Stale => process.stale,
            StatusFilter::Red => process.status == Status::Red,
            StatusFilter::Amber => process.status == Status::Amber,
            StatusFilter::Green => process.status == Status::Green,
        }
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query string that does not describe a valid filter. Each variant names
/// the parameter and the offending value (truncated to 80 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error(
        "unknown query parameter \"{parameter}\" (value \"{value}\"); the processes table filters by status, type and host"
    )]
    UnknownParameter { parameter: String, value: String },
    #[error(
        "invalid value \"{value}\" for parameter \"{parameter}\": expected red, amber, green or stale"
    )]
    InvalidValue {
        parameter: &'static str,
        value: String,
    },
    #[error("parameter \"{parameter}\" is given more than once (again with value \"{value}\")")]
    Repeated {
        parameter: &'static str,
        value: String,
    },
}

impl FilterError {
    /// The parameter at fault.
    pub fn parameter(&self) -> &str {
        match self {
            FilterError::UnknownParameter { parameter, .. } => parameter,
            FilterError::InvalidValue { parameter, .. }
            | FilterError::Repeated { parameter, .. } => parameter,
        }
    }

    /// The offending value (truncated).
    pub fn value(&self) -> &str {
        match self {
            FilterError::UnknownParameter { value, .. }
            | FilterError::InvalidValue { value, .. }
            | FilterError::Repeated { value, .. } => value,
        }
    }
}

/// The filters of the processes table. The default filters nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessFilter {
    pub status: Option<StatusFilter>,
    pub process_type: Option<String>,
    pub host: Option<String>,
}

impl ProcessFilter {
    /// No filter; usable as `&ProcessFilter::NONE` where a `'static` reference
    /// is handy.
    pub const NONE: ProcessFilter = ProcessFilter {
        status: None,
        process_type: None,
        host: None,
    };

    /// Parses a raw query string (without the leading `?`; percent-encoded,
    /// `+` as space). `""` is no filter.
    pub fn from_query(query: &str) -> Result<ProcessFilter, FilterError> {
        let mut filter = ProcessFilter::default();
        let mut seen = [false; 3];
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode_query_component(raw_key);
            let value = decode_query_component(raw_value);
            let (slot, parameter) = match key.as_str() {
                PARAM_STATUS => (0, PARAM_STATUS),
                PARAM_TYPE => (1, PARAM_TYPE),
                PARAM_HOST => (2, PARAM_HOST),
                _ => {
                    return Err(FilterError::UnknownParameter {
                        parameter: truncate(&key, ERROR_VALUE_MAX_CHARS),
                        value: truncate(&value, ERROR_VALUE_MAX_CHARS),
                    })
                }
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(FilterError::Repeated {
                    parameter,
                    value: truncate(&value, ERROR_VALUE_MAX_CHARS),
                });
            }
            if value.is_empty() {
                continue;
            }
            match slot {
                0 => {
                    let status =
                        StatusFilter::parse(&value).ok_or_else(|| FilterError::InvalidValue {
                            parameter,
                            value: truncate(&value, ERROR_VALUE_MAX_CHARS),
                        })?;
                    filter.status = Some(status);
                }
                1 => filter.process_type = Some(value),
                _ => filter.host = Some(value),
            }
        }
        Ok(filter)
    }

    /// The query string of this filter (without `?`; `""` when nothing is
    /// filtered), parameters in the order status, type, host, values
    /// percent-encoded. `from_query(to_query())` gives the filter back.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::with_capacity(3);
        if let Some(status) = self.status {
            parts.push(format!("{PARAM_STATUS}={}", status.as_str()));
        }
        if let Some(process_type) = &self.process_type {
            parts.push(format!("{PARAM_TYPE}={}", encode_query_value(process_type)));
        }
        if let Some(host) = &self.host {
            parts.push(format!("{PARAM_HOST}={}", encode_query_value(host)));
        }
        parts.join("&")
    }

    /// Whether anything is filtered.
    pub fn is_active(&self) -> bool {
        self.status.is_some() || self.process_type.is_some() || self.host.is_some()
    }

    /// Whether a process row passes every filter that is set (type and host
    /// compare exactly).
    pub fn matches(&self, process: &ProcessEntry) -> bool {
        self.status.is_none_or(|s| s.matches(process))
            && self
                .process_type
                .as_deref()
                .is_none_or(|t| t == process.process_type)
            && self.host.as_deref().is_none_or(|h| h == process.host_id)
    }

    /// This filter with another status.
    pub fn with_status(&self, status: Option<StatusFilter>) -> ProcessFilter {
        ProcessFilter {
            status,
            ..self.clone()
        }
    }

    /// This filter with another process type.
    pub fn with_type(&self, process_type: Option<&str>) -> ProcessFilter {
        ProcessFilter {
            process_type: process_type.map(str::to_owned),
            ..self.clone()
        }
    }

    /// This filter with another host.
    pub fn with_host(&self, host: Option<&str>) -> ProcessFilter {
        ProcessFilter {
            host: host.map(str::to_owned),
            ..self.clone()
        }
    }
}
