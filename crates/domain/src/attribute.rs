//! Custom attribute definitions and the rule for what value fits which type.
//!
//! A user's `customAttributes` may only hold keys the project has defined, each with a
//! value of its definition's type. Types arrive as a name (the Python SDK sends
//! `"string"`) or as Descope's numeric code (the Go SDK sends `1`..`7`) and are always
//! shown as the code, which is what the SDK types declare.
//!
//! | code | name | a value is |
//! |---|---|---|
//! | 1 | `string` (`text`) | a JSON string |
//! | 2 | `number` | a JSON number |
//! | 3 | `boolean` | `true` or `false` |
//! | 4 | `singleselect` | a string, one of the options when options are defined |
//! | 5 | `multiselect` | a list of strings, each one of the options when defined |
//! | 6 | `date` | Unix milliseconds (an integer) or an ISO-8601 date string (`2026-11-26`, `2026-11-26T10:00:00Z`) |
//! | 7 | `monthday` | a `MM-DD` string |

use serde::Serialize;
use serde_json::Value;

use crate::caps;
use crate::error::FieldError;
use crate::names::AttributeName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeType {
    String,
    Number,
    Boolean,
    SingleSelect,
    MultiSelect,
    Date,
    MonthDay,
}

impl AttributeType {
    pub const ALL: [AttributeType; 7] = [
        AttributeType::String,
        AttributeType::Number,
        AttributeType::Boolean,
        AttributeType::SingleSelect,
        AttributeType::MultiSelect,
        AttributeType::Date,
        AttributeType::MonthDay,
    ];

    pub fn code(self) -> i64 {
        match self {
            AttributeType::String => 1,
            AttributeType::Number => 2,
            AttributeType::Boolean => 3,
            AttributeType::SingleSelect => 4,
            AttributeType::MultiSelect => 5,
            AttributeType::Date => 6,
            AttributeType::MonthDay => 7,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Number => "number",
            AttributeType::Boolean => "boolean",
            AttributeType::SingleSelect => "singleselect",
            AttributeType::MultiSelect => "multiselect",
            AttributeType::Date => "date",
            AttributeType::MonthDay => "monthday",
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// A type name, case-insensitively, with the synonyms the SDKs and Terraform use.
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "text" | "str" => Some(AttributeType::String),
            "bool" => Some(AttributeType::Boolean),
            "singleselect" | "single_select" | "select" => Some(AttributeType::SingleSelect),
            "multiselect" | "multi_select" => Some(AttributeType::MultiSelect),
            "month_day" => Some(AttributeType::MonthDay),
            other => Self::ALL.into_iter().find(|t| t.name() == other),
        }
    }

    /// A type as it arrives on the wire: a name, a code, or a code in a string.
    pub fn from_wire(v: &Value) -> Result<Self, String> {
        let unknown = || {
            format!(
                "{v} is not a custom attribute type (use a name: string, number, boolean, \
                 singleselect, multiselect, date, monthday; or a code 1 to 7)"
            )
        };
        match v {
            Value::Number(n) => n.as_i64().and_then(Self::from_code).ok_or_else(unknown),
            Value::String(s) => s
                .parse::<i64>()
                .ok()
                .and_then(Self::from_code)
                .or_else(|| Self::from_name(s))
                .ok_or_else(unknown),
            _ => Err(unknown()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

/// A custom attribute definition of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    pub name: AttributeName,
    pub kind: AttributeType,
    pub display_name: String,
    pub options: Vec<SelectOption>,
    pub default_value: Value,
    pub view_permissions: Vec<String>,
    pub edit_permissions: Vec<String>,
    pub required: bool,
}

impl AttributeDef {
    /// Whether `value` fits this definition; the error says what was expected.
    pub fn check_value(&self, value: &Value) -> Result<(), String> {
        self.check_value_with(value, |s| self.options.iter().any(|o| o.value == s))
    }

    /// [`check_value`](Self::check_value), with `is_option` telling whether a text is one
    /// of the options (the catalog answers from a set, so a long multiselect costs one
    /// lookup per value, not a scan of the options).
    pub fn check_value_with(
        &self,
        value: &Value,
        is_option: impl Fn(&str) -> bool,
    ) -> Result<(), String> {
        let option_ok = |s: &str| self.options.is_empty() || is_option(s);
        let options_list = || {
            let shown: Vec<String> = self
                .options
                .iter()
                .take(10)
                .map(|o| format!("{:?}", o.value))
                .collect();
            let more = self.options.len().saturating_sub(shown.len());
            if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        let text_cap =
            |s: &str| caps::chars("", s, caps::ATTRIBUTE_TEXT_CHARS).map_err(|e| e.reason);
        match (self.kind, value) {
            (AttributeType::String, Value::String(s)) => text_cap(s),
            (AttributeType::Number, Value::Number(_)) => Ok(()),
            (AttributeType::Boolean, Value::Bool(_)) => Ok(()),
            (AttributeType::SingleSelect, Value::String(s)) => {
                text_cap(s)?;
                if option_ok(s) {
                    Ok(())
                } else {
                    Err(format!(
                        "{s:?} is not one of the options ({})",
                        options_list()
                    ))
                }
            }
            (AttributeType::MultiSelect, Value::Array(items)) => {
                caps::items("", items.len(), caps::MULTISELECT_VALUES).map_err(|e| e.reason)?;
                for item in items {
                    match item {
                        Value::String(s) => {
                            text_cap(s)?;
                            if !option_ok(s) {
                                return Err(format!(
                                    "{s:?} is not one of the options ({})",
                                    options_list()
                                ));
                            }
                        }
                        other => {
                            return Err(format!(
                                "expected a list of strings (multiselect), found {}",
                                describe(other)
                            ));
                        }
                    }
                }
                Ok(())
            }
            (AttributeType::Date, Value::Number(n)) if n.is_i64() => Ok(()),
            (AttributeType::Date, Value::String(s)) if s.len() <= DATE_CHARS && is_iso_date(s) => {
                Ok(())
            }
            (AttributeType::MonthDay, Value::String(s)) if is_month_day(s) => Ok(()),
            (kind, other) => Err(format!(
                "expected {}, found {}",
                expected(kind),
                describe(other)
            )),
        }
    }

    /// The definition's own caps: display name, options, permission lists, and a
    /// default value that fits. `field` is the definition's path (`attributes[0]`).
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        caps::chars(
            &format!("{field}.displayName"),
            &self.display_name,
            caps::DESCRIPTION_CHARS,
        )?;
        caps::items(
            &format!("{field}.options"),
            self.options.len(),
            caps::SELECT_OPTIONS,
        )?;
        for (j, o) in self.options.iter().enumerate() {
            caps::chars(
                &format!("{field}.options[{j}].value"),
                &o.value,
                caps::ITEM_CHARS,
            )?;
            caps::chars(
                &format!("{field}.options[{j}].label"),
                &o.label,
                caps::ITEM_CHARS,
            )?;
        }
        for (name, list) in [
            ("viewPermissions", &self.view_permissions),
            ("editPermissions", &self.edit_permissions),
        ] {
            caps::text_list(
                &format!("{field}.{name}"),
                list,
                caps::ROLE_PERMISSIONS,
                caps::ITEM_CHARS,
            )?;
        }
        if !self.default_value.is_null() {
            let options: std::collections::HashSet<&str> =
                self.options.iter().map(|o| o.value.as_str()).collect();
            self.check_value_with(&self.default_value, |s| options.contains(s))
                .map_err(|reason| FieldError::new(format!("{field}.defaultValue"), reason))?;
        }
        Ok(())
    }
}

/// The longest date string a date attribute takes (`2026-11-26T10:00:00.000000+14:00`
/// and a little room).
const DATE_CHARS: usize = 64;

fn expected(kind: AttributeType) -> &'static str {
    match kind {
        AttributeType::String => "a string",
        AttributeType::Number => "a number",
        AttributeType::Boolean => "a boolean",
        AttributeType::SingleSelect => "a string (singleselect)",
        AttributeType::MultiSelect => "a list of strings (multiselect)",
        AttributeType::Date => "a date (Unix milliseconds or an ISO-8601 date string)",
        AttributeType::MonthDay => "a month and day as \"MM-DD\"",
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn two_digits(s: &str) -> Option<u32> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in_month(month: u32, leap: bool) -> u32 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn is_month_day(s: &str) -> bool {
    let Some((m, d)) = s.split_once('-') else {
        return false;
    };
    matches!((two_digits(m), two_digits(d)), (Some(m), Some(d)) if (1..=12).contains(&m) && d >= 1 && d <= days_in_month(m, true))
}

fn is_iso_date(s: &str) -> bool {
    let date = s.get(..10).unwrap_or("");
    let rest = s.get(10..).unwrap_or("");
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return false;
    }
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let year: u32 = y.parse().unwrap_or(0);
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    matches!((two_digits(m), two_digits(d)), (Some(m), Some(d)) if (1..=12).contains(&m) && d >= 1 && d <= days_in_month(m, leap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: AttributeType, options: &[&str]) -> AttributeDef {
        AttributeDef {
            name: AttributeName::from_stored("a".into()),
            kind,
            display_name: String::new(),
            options: options
                .iter()
                .map(|o| SelectOption {
                    value: (*o).into(),
                    label: (*o).into(),
                })
                .collect(),
            default_value: Value::Null,
            view_permissions: vec![],
            edit_permissions: vec![],
            required: false,
        }
    }

    #[test]
    fn types_read_from_names_and_codes() {
        for t in AttributeType::ALL {
            assert_eq!(AttributeType::from_wire(&json!(t.code())), Ok(t));
            assert_eq!(AttributeType::from_wire(&json!(t.name())), Ok(t));
            assert_eq!(
                AttributeType::from_wire(&json!(t.code().to_string())),
                Ok(t)
            );
        }
        assert_eq!(
            AttributeType::from_wire(&json!("Text")),
            Ok(AttributeType::String)
        );
        assert!(AttributeType::from_wire(&json!(0)).is_err());
        assert!(AttributeType::from_wire(&json!(8)).is_err());
        assert!(AttributeType::from_wire(&json!("colour")).is_err());
        assert!(AttributeType::from_wire(&json!(true)).is_err());
    }

    #[test]
    fn values_must_fit_their_type() {
        assert!(
            def(AttributeType::String, &[])
                .check_value(&json!("x"))
                .is_ok()
        );
        assert!(
            def(AttributeType::String, &[])
                .check_value(&json!(1))
                .is_err()
        );
        assert!(
            def(AttributeType::Number, &[])
                .check_value(&json!(1.5))
                .is_ok()
        );
        assert!(
            def(AttributeType::Number, &[])
                .check_value(&json!("1"))
                .is_err()
        );
        assert!(
            def(AttributeType::Boolean, &[])
                .check_value(&json!(false))
                .is_ok()
        );
        assert!(
            def(AttributeType::Boolean, &[])
                .check_value(&json!("true"))
                .is_err()
        );
        let single = def(AttributeType::SingleSelect, &["red", "blue"]);
        assert!(single.check_value(&json!("red")).is_ok());
        assert!(single.check_value(&json!("green")).is_err());
        let multi = def(AttributeType::MultiSelect, &["a", "b"]);
        assert!(multi.check_value(&json!(["a", "b"])).is_ok());
        assert!(multi.check_value(&json!([])).is_ok());
        assert!(multi.check_value(&json!(["c"])).is_err());
        assert!(multi.check_value(&json!("a")).is_err());
        assert!(
            def(AttributeType::MultiSelect, &[])
                .check_value(&json!(["any"]))
                .is_ok()
        );
        let date = def(AttributeType::Date, &[]);
        assert!(date.check_value(&json!(1_764_000_000_000_i64)).is_ok());
        assert!(date.check_value(&json!("2024-02-29")).is_ok());
        assert!(date.check_value(&json!("2023-02-29")).is_err());
        assert!(date.check_value(&json!("2026-11-26T10:00:00Z")).is_ok());
        assert!(date.check_value(&json!("26/11/2026")).is_err());
        assert!(date.check_value(&json!(1.5)).is_err());
        let md = def(AttributeType::MonthDay, &[]);
        assert!(md.check_value(&json!("02-29")).is_ok());
        assert!(md.check_value(&json!("13-01")).is_err());
        assert!(md.check_value(&json!("4-1")).is_err());
    }

    #[test]
    fn the_error_names_what_was_expected() {
        let e = def(AttributeType::Number, &[]).check_value(&json!("ten"));
        assert_eq!(e, Err("expected a number, found the string \"ten\"".into()));
    }
}
