//! Small wire helpers shared by the resource modules.

use std::borrow::Cow;
use std::fmt;

use roster_domain::Setting;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::__dev::ComposeSchema;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

/// An integer that arrives as a JSON number or as a numeric string: protojson writes
/// int64 fields as strings, and the SDKs send numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FlexInt(pub i64);

/// The schema of a number that may come as a numeric string: `integer` (int64) or
/// `number`, or a string of digits.
pub fn number_or_numeric_string(integer: bool) -> RefOr<Schema> {
    let (kind, pattern) = if integer {
        (Type::Integer, r"^\s*[+-]?[0-9]+\s*$")
    } else {
        (Type::Number, r"^\s*[+-]?[0-9]+(\.[0-9]*)?\s*$")
    };
    let number = ObjectBuilder::new().schema_type(kind);
    let number = if integer {
        number.format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
    } else {
        number
    };
    OneOfBuilder::new()
        .item(number)
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern)),
        )
        .into()
}

impl ComposeSchema for FlexInt {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        number_or_numeric_string(true)
    }
}

impl ToSchema for FlexInt {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Int64")
    }
}

impl<'de> Deserialize<'de> for FlexInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FlexInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string holding one")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexInt, E> {
                Ok(FlexInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexInt, E> {
                i64::try_from(v)
                    .map(FlexInt)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FlexInt, E> {
                #[allow(clippy::cast_possible_truncation)]
                let i = v as i64;
                #[allow(clippy::cast_precision_loss)]
                if v.fract() == 0.0 && (i as f64) == v {
                    Ok(FlexInt(i))
                } else {
                    Err(E::custom(format!("{v} is not an integer")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexInt, E> {
                v.trim()
                    .parse::<i64>()
                    .map(FlexInt)
                    .map_err(|_| E::custom(format!("{v:?} is not an integer")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A text field's value when it was sent and is not empty.
pub fn given(s: &Setting<String>) -> Option<&str> {
    s.set().map(String::as_str).filter(|v| !v.is_empty())
}

/// A list field's value, `[]` when absent or `null`.
pub fn list<T: Clone>(s: &Setting<Vec<T>>) -> Vec<T> {
    s.set().cloned().unwrap_or_default()
}

/// A flag, `false` when absent or `null`.
pub fn flag(s: &Setting<bool>) -> bool {
    s.set().copied().unwrap_or(false)
}

/// An empty JSON object: the body of every "void" answer (the Node SDK parses every
/// response as JSON, so an empty body would make the call fail).
#[derive(Debug, Serialize, Default, ToSchema)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_ints_take_numbers_and_numeric_strings() {
        let read = |s: &str| serde_json::from_str::<FlexInt>(s).map(|f| f.0).ok();
        assert_eq!(read("12"), Some(12));
        assert_eq!(read("\"1764000000000\""), Some(1_764_000_000_000));
        assert_eq!(read("-3"), Some(-3));
        assert_eq!(read("5.0"), Some(5));
        assert_eq!(read("5.5"), None);
        assert_eq!(read("\"x\""), None);
        assert_eq!(read("true"), None);
        assert_eq!(read("18446744073709551615"), None);
    }
}
