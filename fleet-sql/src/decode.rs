//! Lenient conversion of database values.
//!
//! Rows are written by other programs (jetmon, migrations, operators with a
//! SQL prompt), and the schema may drift between MySQL and MariaDB (JSON is
//! LONGTEXT on MariaDB, DECIMAL comes back as text, ...). So nothing here
//! uses mysql_async's panicking conversions: every value is taken as a raw
//! [`Value`] and mapped by hand, with NULL and oddities falling back to the
//! spec's meaning instead of failing the read.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mysql_async::{Row, Value};

/// Takes the named column's value out of `row`; NULL when the column is
/// absent or already taken.
pub(crate) fn take(row: &mut Row, column: &str) -> Value {
    match row.take_opt::<Value, _>(column) {
        Some(Ok(value)) => value,
        _ => Value::NULL,
    }
}

/// Text of a value; NULL is the empty string (the schema's `DEFAULT ''`).
pub(crate) fn string(value: Value) -> String {
    opt_string(value).unwrap_or_default()
}

pub(crate) fn opt_string(value: Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Double(x) => Some(x.to_string()),
        Value::Date(..) => opt_naive_datetime(value).map(|t| t.to_string()),
        Value::Time(..) => None,
    }
}

/// An integer that fits `i128` (every integer MySQL can return), from any
/// numeric or numeric-text value. Fractions are truncated.
fn opt_integer(value: &Value) -> Option<i128> {
    match value {
        Value::Int(n) => Some(i128::from(*n)),
        Value::UInt(n) => Some(i128::from(*n)),
        Value::Float(x) => float_to_int(f64::from(*x)),
        Value::Double(x) => float_to_int(*x),
        Value::Bytes(bytes) => {
            let text = std::str::from_utf8(bytes).ok()?.trim();
            text.parse::<i128>()
                .ok()
                .or_else(|| text.parse::<f64>().ok().and_then(float_to_int))
        }
        Value::NULL | Value::Date(..) | Value::Time(..) => None,
    }
}

fn float_to_int(x: f64) -> Option<i128> {
    // `as` saturates and maps NaN to 0; reject NaN and infinities instead.
    x.is_finite().then_some(x.trunc() as i128)
}

/// An integer clamped into `T`'s range; `None` for NULL or non-numbers.
pub(crate) fn opt_clamped<T>(value: Value) -> Option<T>
where
    T: TryFrom<i128> + Bounded,
{
    let n = opt_integer(&value)?;
    Some(T::try_from(n).unwrap_or(if n < 0 { T::MIN } else { T::MAX }))
}

/// Like [`opt_clamped`], with NULL and non-numbers as 0 (the schema's
/// `DEFAULT 0`).
pub(crate) fn clamped<T>(value: Value) -> T
where
    T: TryFrom<i128> + Bounded + Default,
{
    opt_clamped(value).unwrap_or_default()
}

/// A TINYINT flag: any nonzero number is true; NULL and garbage are false.
pub(crate) fn flag(value: Value) -> bool {
    opt_integer(&value).is_some_and(|n| n != 0)
}

/// A TIMESTAMP/DATETIME read in a `+00:00` session, as UTC. Zero dates and
/// unparsable values are `None`.
pub(crate) fn opt_utc(value: Value) -> Option<DateTime<Utc>> {
    opt_naive_datetime(value).map(|t| t.and_utc())
}

fn opt_naive_datetime(value: Value) -> Option<NaiveDateTime> {
    match value {
        Value::Date(y, mo, d, h, mi, s, us) => NaiveDate::from_ymd_opt(
            i32::from(y),
            u32::from(mo),
            u32::from(d),
        )?
        .and_hms_micro_opt(u32::from(h), u32::from(mi), u32::from(s), us),
        Value::Bytes(bytes) => {
            let text = std::str::from_utf8(&bytes).ok()?.trim();
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                })
        }
        _ => None,
    }
}

/// A count: a non-negative integer. `None` when the value is not one, which
/// the callers treat as a malformed result (a count must never be guessed).
pub(crate) fn count(value: Value) -> Option<u64> {
    match value {
        Value::NULL => Some(0), // SUM() over no rows
        other => opt_integer(&other).and_then(|n| u64::try_from(n).ok()),
    }
}

/// The integer types the adapter clamps into.
pub(crate) trait Bounded: Sized {
    const MIN: Self;
    const MAX: Self;
}

macro_rules! bounded {
    ($($t:ty),*) => {$(
        impl Bounded for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
        }
    )*};
}
bounded!(u16, u32, u64, i64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_clamped_not_wrapped_or_panicking() {
        assert_eq!(clamped::<u32>(Value::Int(-5)), 0);
        assert_eq!(clamped::<u32>(Value::UInt(u64::MAX)), u32::MAX);
        assert_eq!(clamped::<u16>(Value::Int(70_000)), u16::MAX);
        assert_eq!(clamped::<u32>(Value::Bytes(b" 42 ".to_vec())), 42);
        assert_eq!(clamped::<u32>(Value::Bytes(b"12.9".to_vec())), 12);
        assert_eq!(clamped::<u32>(Value::Bytes(b"nope".to_vec())), 0);
        assert_eq!(clamped::<u32>(Value::Double(f64::NAN)), 0);
        assert_eq!(clamped::<u32>(Value::NULL), 0);
        assert_eq!(opt_clamped::<u16>(Value::NULL), None);
        assert_eq!(opt_clamped::<u16>(Value::UInt(7)), Some(7));
    }

    #[test]
    fn flags_are_true_for_any_nonzero_value() {
        assert!(flag(Value::Int(1)));
        assert!(flag(Value::UInt(255)));
        assert!(flag(Value::Bytes(b"2".to_vec())));
        assert!(!flag(Value::Int(0)));
        assert!(!flag(Value::NULL));
        assert!(!flag(Value::Bytes(b"yes".to_vec())));
    }

    #[test]
    fn timestamps_decode_from_binary_and_text_and_reject_zero_dates() {
        let t = opt_utc(Value::Date(2026, 4, 30, 14, 0, 5, 250_000)).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2026-04-30T14:00:05.250+00:00"));
        let t = opt_utc(Value::Bytes(b"2026-04-30 14:00:05".to_vec())).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2026-04-30T14:00:05+00:00"));
        assert_eq!(opt_utc(Value::Date(0, 0, 0, 0, 0, 0, 0)), None);
        assert_eq!(opt_utc(Value::Bytes(b"0000-00-00 00:00:00".to_vec())), None);
        assert_eq!(opt_utc(Value::NULL), None);
        assert_eq!(opt_utc(Value::Int(3)), None);
    }

    #[test]
    fn strings_survive_invalid_utf8_and_null() {
        assert_eq!(string(Value::NULL), "");
        assert_eq!(string(Value::Bytes(vec![b'a', 0xff, b'b'])), "a\u{fffd}b");
        assert_eq!(string(Value::Int(-3)), "-3");
        assert_eq!(opt_string(Value::NULL), None);
    }

    #[test]
    fn counts_accept_decimal_text_and_reject_negatives() {
        assert_eq!(count(Value::Bytes(b"12".to_vec())), Some(12));
        assert_eq!(count(Value::Int(3)), Some(3));
        assert_eq!(count(Value::NULL), Some(0));
        assert_eq!(count(Value::Int(-1)), None);
        assert_eq!(count(Value::Bytes(b"x".to_vec())), None);
    }
}
