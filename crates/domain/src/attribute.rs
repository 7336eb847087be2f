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
use crate::{Error, ErrorCode};

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
    /// The rule for replacing this definition with `new` (the item at `field` of a
    /// request): the name and the type stay, since users' values were checked against
    /// the type; the display name, options, default, permissions and `required` may
    /// change. Values users hold must still fit the new options: see
    /// [`limits_values`](Self::limits_values) and [`options_in_use`].
    pub fn revise(&self, new: &AttributeDef, field: &str) -> Result<(), Error> {
        if self.name != new.name {
            return Err(Error::internal());
        }
        if self.kind != new.kind {
            return Err(FieldError::new(
                format!("{field}.type"),
                format!(
                    "{:?} is a {} attribute, and a type cannot change: delete the attribute and define it again",
                    self.name.as_str(),
                    self.kind.name()
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Whether this definition limits its values to its options (a select type with
    /// options): then every value users hold must be one of them.
    pub fn limits_values(&self) -> bool {
        matches!(
            self.kind,
            AttributeType::SingleSelect | AttributeType::MultiSelect
        ) && !self.options.is_empty()
    }

    /// The values of [`options`](Self::options), for a store to compare users' values
    /// with.
    pub fn option_values(&self) -> Vec<String> {
        self.options.iter().map(|o| o.value.clone()).collect()
    }

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

/// The refusal of a new definition at `field` whose options leave out `values` (some
/// of them), which `users` users hold. Nothing is changed: those users change first.
pub fn options_in_use(field: &str, name: &str, values: &[String], users: u64) -> Error {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    Error::new(
        ErrorCode::ValueInUse,
        format!(
            "{field}.options: {users} user{} of this project hold{} {} of {name:?}, which the new options leave out; change those users first",
            if users == 1 { "" } else { "s" },
            if users == 1 { "s" } else { "" },
            shown.join(", ")
        ),
    )
}

/// The refusal of a change to an attribute the project does not define.
pub fn not_found(field: &str, name: &str) -> Error {
    Error::new(
        ErrorCode::AttributeNotFound,
        format!("{field}: this project defines no custom attribute {name:?}"),
    )
}

/// The rule for replacing `stored` definitions with `defs`: for each new definition,
/// in order, the stored one it replaces, each revision checked by
/// [`AttributeDef::revise`]; the first unknown name or refused revision fails them all.
/// The item's field in errors is `attributes[i]`.
pub fn revisions<'a>(
    stored: &'a [AttributeDef],
    defs: &[AttributeDef],
) -> Result<Vec<&'a AttributeDef>, Error> {
    defs.iter()
        .enumerate()
        .map(|(i, d)| {
            let field = format!("attributes[{i}]");
            let old = stored
                .iter()
                .find(|s| s.name == d.name)
                .ok_or_else(|| not_found(&format!("{field}.name"), d.name.as_str()))?;
            old.revise(d, &field)?;
            Ok(old)
        })
        .collect()
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
mod tests;
