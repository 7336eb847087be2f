//! Custom attribute definitions on the wire. `type` arrives as a name or a code and is
//! shown as the code; `options` arrive as strings (Python SDK) or `{value, label}`
//! objects (Go and Node SDKs).

use roster_domain::attribute::{AttributeDef, AttributeType, SelectOption};
use roster_domain::error::FieldError;
use roster_domain::names::AttributeName;
use roster_domain::{Error, Setting};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::common::{flag, given, list};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OptionBody {
    Plain(String),
    Labelled {
        #[serde(default)]
        value: Option<String>,
        #[serde(default)]
        label: Option<String>,
    },
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AttributeBody {
    pub name: Setting<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<Value>)]
    pub kind: Setting<Value>,
    pub display_name: Setting<String>,
    pub options: Setting<Vec<OptionBody>>,
    #[schema(value_type = Option<Value>)]
    pub default_value: Setting<Value>,
    pub view_permissions: Setting<Vec<String>>,
    pub edit_permissions: Setting<Vec<String>>,
    pub required: Setting<bool>,
}

impl AttributeBody {
    /// The definition; `i` is the item's index, for error paths.
    pub fn def(&self, i: usize) -> Result<AttributeDef, Error> {
        self.def_or(i, |_| None)
    }

    /// [`def`](Self::def), where a missing `type` is `stored`'s answer for the name
    /// (an update keeps the type it does not name).
    pub fn def_or(
        &self,
        i: usize,
        stored: impl Fn(&AttributeName) -> Option<AttributeType>,
    ) -> Result<AttributeDef, Error> {
        let field = |f: &str| format!("attributes[{i}].{f}");
        let name = given(&self.name).ok_or_else(|| Error::missing(&field("name")))?;
        let name = AttributeName::parse(name).map_err(|r| FieldError::new(field("name"), r))?;
        let kind = match self.kind.set() {
            Some(v) => {
                AttributeType::from_wire(v).map_err(|r| FieldError::new(field("type"), r))?
            }
            None => match stored(&name) {
                Some(kind) => kind,
                None => return Err(Error::missing(&field("type"))),
            },
        };
        let options = match self.options.set() {
            None => Vec::new(),
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(j, o)| match o {
                    OptionBody::Plain(v) => Ok(SelectOption {
                        value: v.clone(),
                        label: v.clone(),
                    }),
                    OptionBody::Labelled { value, label } => {
                        let value = value.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
                            Error::missing(&field(&format!("options[{j}].value")))
                        })?;
                        let label = label.clone().unwrap_or_else(|| value.clone());
                        Ok(SelectOption { value, label })
                    }
                })
                .collect::<Result<Vec<_>, Error>>()?,
        };
        let def = AttributeDef {
            display_name: given(&self.display_name)
                .unwrap_or(name.as_str())
                .to_string(),
            name,
            kind,
            options,
            default_value: self.default_value.set().cloned().unwrap_or(Value::Null),
            view_permissions: list(&self.view_permissions),
            edit_permissions: list(&self.edit_permissions),
            required: flag(&self.required),
        };
        def.check(&format!("attributes[{i}]"))?;
        Ok(def)
    }
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateAttributesBody {
    pub attributes: Setting<Vec<AttributeBody>>,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteAttributesBody {
    pub names: Setting<Vec<String>>,
}

/// A choice of a `singleSelect` or `multiSelect` attribute: `{value, label}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionDto {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDto {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: i64,
    pub display_name: String,
    pub options: Vec<OptionDto>,
    pub default_value: Value,
    pub view_permissions: Vec<String>,
    pub edit_permissions: Vec<String>,
    pub required: bool,
}

impl From<&AttributeDef> for AttributeDto {
    fn from(d: &AttributeDef) -> Self {
        AttributeDto {
            name: d.name.as_str().to_string(),
            kind: d.kind.code(),
            display_name: d.display_name.clone(),
            options: d
                .options
                .iter()
                .map(|o| OptionDto {
                    value: o.value.clone(),
                    label: o.label.clone(),
                })
                .collect(),
            default_value: d.default_value.clone(),
            view_permissions: d.view_permissions.clone(),
            edit_permissions: d.edit_permissions.clone(),
            required: d.required,
        }
    }
}

/// `{data: [...], total}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributesEnvelope {
    pub data: Vec<AttributeDto>,
    pub total: usize,
}
