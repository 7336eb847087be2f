//! [`Setting`]: a field that can be left alone, reset, or set.
//!
//! JSON has three ways to speak of a field: leave it out, send `null`, send a value.
//! `Setting` keeps the three apart (as meilisearch's `Setting<T>` does) so that each rule
//! can say what they mean in one place: in a user patch, an absent or `null` top-level
//! field leaves the attribute unchanged, while a `null` custom-attribute value removes
//! that key. Deserialize a `Setting` field with `#[serde(default)]` so that "absent"
//! becomes [`Setting::NotSet`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Setting<T> {
    /// The field was absent: leave the attribute as it is.
    #[default]
    NotSet,
    /// The field was `null` on the wire, or a rule turned it into "clear".
    Reset,
    /// The field carries a value.
    Set(T),
}

impl<T> Setting<T> {
    /// The value, if one was given.
    pub fn set(&self) -> Option<&T> {
        match self {
            Setting::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_set(self) -> Option<T> {
        match self {
            Setting::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_not_set(&self) -> bool {
        matches!(self, Setting::NotSet)
    }

    /// Treat `null` as absent: the reading of a top-level field in every Descope request.
    pub fn null_as_not_set(self) -> Self {
        match self {
            Setting::Reset => Setting::NotSet,
            other => other,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        match self {
            Setting::NotSet => Setting::NotSet,
            Setting::Reset => Setting::Reset,
            Setting::Set(v) => Setting::Set(f(v)),
        }
    }

    /// Like [`Setting::map`] for a fallible conversion.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Setting<U>, E> {
        Ok(match self {
            Setting::NotSet => Setting::NotSet,
            Setting::Reset => Setting::Reset,
            Setting::Set(v) => Setting::Set(f(v)?),
        })
    }

    /// The first of `self` and `other` that is set; `self` wins when both are. This is
    /// how an alias pair (`name`/`displayName`) collapses to one field.
    pub fn or(self, other: Setting<T>) -> Setting<T> {
        match (&self, &other) {
            (Setting::Set(_), _) => self,
            (_, Setting::Set(_)) => other,
            (Setting::Reset, _) => self,
            _ => other,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(v) => Setting::Set(v),
            None => Setting::Reset,
        })
    }
}

/// Written as the value, or `null` when not set or reset. A schema generator needs this
/// to show a field's default (`null`: absent and `null` both leave the attribute alone);
/// a type that must keep "absent" apart skips its `NotSet` fields.
impl<T: Serialize> Serialize for Setting<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Setting::Set(v) => v.serialize(serializer),
            Setting::NotSet | Setting::Reset => serializer.serialize_none(),
        }
    }
}

/// The JSON Schema of a `Setting<T>`: `T`'s, or `null`. utoipa's derive composes
/// generic fields through `ComposeSchema` (as it does `Option<T>`), and names the
/// component after `name()` and `T`: `Nullable_String`, `Nullable_Vec_String`.
#[cfg(feature = "openapi")]
mod schema {
    use std::borrow::Cow;

    use utoipa::__dev::ComposeSchema;
    use utoipa::ToSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

    use super::Setting;

    impl<T: ComposeSchema> ComposeSchema for Setting<T> {
        fn compose(generics: Vec<RefOr<Schema>>) -> RefOr<Schema> {
            let value = generics
                .into_iter()
                .next()
                .unwrap_or_else(|| T::compose(Vec::new()));
            OneOfBuilder::new()
                .item(value)
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .into()
        }
    }

    impl<T: ToSchema + ComposeSchema> ToSchema for Setting<T> {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("Nullable")
        }

        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            T::schemas(schemas);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        a: Setting<String>,
    }

    fn probe(json: &str) -> Setting<String> {
        serde_json::from_str::<Probe>(json)
            .map(|p| p.a)
            .unwrap_or(Setting::NotSet)
    }

    #[test]
    fn written_as_the_value_or_null() {
        let write = |s: Setting<u8>| serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(write(Setting::Set(7)), "7");
        assert_eq!(write(Setting::Reset), "null");
        assert_eq!(write(Setting::NotSet), "null");
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn its_schema_is_the_value_or_null() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Setting::<Vec<String>>::schema()).unwrap_or_default();
        assert_eq!(
            schema,
            serde_json::json!({"oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "null"}
            ]})
        );
    }

    #[test]
    fn absent_null_and_value_stay_apart() {
        assert_eq!(probe("{}"), Setting::NotSet);
        assert_eq!(probe(r#"{"a":null}"#), Setting::Reset);
        assert_eq!(probe(r#"{"a":"x"}"#), Setting::Set("x".to_string()));
    }

    #[test]
    fn or_prefers_a_set_value_then_the_first() {
        let set = |s: &str| Setting::Set(s.to_string());
        assert_eq!(set("a").or(set("b")), set("a"));
        assert_eq!(Setting::NotSet.or(set("b")), set("b"));
        assert_eq!(Setting::Reset.or(set("b")), set("b"));
        assert_eq!(Setting::<String>::Reset.or(Setting::NotSet), Setting::Reset);
        assert_eq!(Setting::<String>::NotSet.or(Setting::Reset), Setting::Reset);
    }

    #[test]
    fn null_reads_as_not_set_when_asked() {
        assert_eq!(Setting::<u8>::Reset.null_as_not_set(), Setting::NotSet);
        assert_eq!(Setting::Set(1).null_as_not_set(), Setting::Set(1));
    }
}
