//! The rules of attribute types and definitions, on the pure functions alone.

use super::*;
use serde_json::json;

#[test]
fn a_revision_keeps_the_type_and_says_when_options_limit_values() {
    let old = def(AttributeType::SingleSelect, &["gold", "silver"]);
    let mut new = old.clone();
    new.display_name = "Plan".into();
    new.options.pop();
    assert!(old.revise(&new, "attributes[0]").is_ok());
    assert!(new.limits_values());
    assert_eq!(new.option_values(), ["gold"]);
    let mut retyped = old.clone();
    retyped.kind = AttributeType::String;
    let e = old.revise(&retyped, "attributes[0]").unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailure);
    assert!(
        e.message
            .starts_with("attributes[0].type: \"a\" is a singleselect attribute"),
        "{}",
        e.message
    );
    assert!(!def(AttributeType::SingleSelect, &[]).limits_values());
    assert!(def(AttributeType::MultiSelect, &["x"]).limits_values());
    assert!(!def(AttributeType::String, &[]).limits_values());
    let e = options_in_use("attributes[0]", "plan", &["gold".into()], 2);
    assert_eq!(e.code, ErrorCode::ValueInUse);
    assert_eq!(
        e.message,
        "attributes[0].options: 2 users of this project hold \"gold\" of \"plan\", which the new options leave out; change those users first"
    );
    assert!(
        options_in_use("f", "p", &["a".into()], 1)
            .message
            .contains("1 user of this project holds")
    );
    assert_eq!(
        not_found("attributes[1].name", "zz").code,
        ErrorCode::AttributeNotFound
    );
}

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
