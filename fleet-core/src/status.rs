//! The red/amber/green status and its severity order.

use serde::Serialize;
use std::fmt;

/// A status. The derived order is the severity order: `Green < Amber < Red`,
/// so the worst of several is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Green,
    Amber,
    Red,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Amber => "amber",
            Status::Red => "red",
        }
    }

    /// Parses a status word exactly as jetmon writes it; anything else is
    /// not a known status.
    pub fn parse(value: &str) -> Option<Status> {
        match value {
            "green" => Some(Status::Green),
            "amber" => Some(Status::Amber),
            "red" => Some(Status::Red),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
