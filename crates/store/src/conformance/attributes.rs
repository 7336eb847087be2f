//! Custom attribute definitions: created in order, unique by name, replaced with their
//! type kept and their options only as users' values allow, and deleted with every
//! user's value.

use roster_domain::audit::AuditQuery;

use super::*;

pub async fn attributes(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let defs = store.all_attributes(&p).await.unwrap();
    assert_eq!(
        defs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["age", "nick", "plan"],
        "creation order"
    );
    assert_eq!(defs[2].options.len(), 2);
    let e = store
        .create_attributes(&p, &[attr("age", AttributeType::String, &[])], &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    create(
        store,
        &p,
        "u",
        RawUserPatch {
            custom_attributes: obj(json!({"age": 3, "nick": "n"})),
            ..Default::default()
        },
    )
    .await;
    store
        .delete_attributes(&p, &["age".into(), "never-defined".into()], &origin())
        .await
        .unwrap();
    let u = must_load(store, &p, "u").await;
    assert_eq!(
        Value::Object(u.custom_attributes),
        json!({"nick": "n"}),
        "values of a deleted attribute go too"
    );
    let catalog = store.catalog(&p).await.unwrap();
    assert!(catalog.attribute("age").is_none());
}

pub async fn attribute_updates(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    // The fixture's `plan` is a single select of gold and silver; `u` holds gold, `w`
    // holds silver, `v` none.
    for (login, plan) in [("u", Some("gold")), ("w", Some("silver")), ("v", None)] {
        let attrs = plan.map_or(Setting::NotSet, |v| obj(json!({ "plan": v })));
        create(
            store,
            &p,
            login,
            RawUserPatch {
                custom_attributes: attrs,
                ..Default::default()
            },
        )
        .await;
    }
    let before: Vec<User> = [
        must_load(store, &p, "u").await,
        must_load(store, &p, "w").await,
    ]
    .into();
    let stored = store.all_attributes(&p).await.unwrap();
    let plan = stored
        .iter()
        .find(|d| d.name.as_str() == "plan")
        .unwrap()
        .clone();

    // Options widened and relabelled, the display name changed: allowed.
    let mut wider = attr(
        "plan",
        AttributeType::SingleSelect,
        &["gold", "silver", "bronze"],
    );
    wider.display_name = "Plan tier".into();
    store
        .update_attributes(&p, &[wider.clone()], &origin())
        .await
        .unwrap();
    let after = store.all_attributes(&p).await.unwrap();
    assert_eq!(
        after.iter().find(|d| d.name.as_str() == "plan"),
        Some(&wider)
    );
    assert_eq!(
        after.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        stored.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        "the order stays"
    );
    assert!(
        store
            .catalog(&p)
            .await
            .unwrap()
            .attribute("plan")
            .unwrap()
            .check_value(&json!("bronze"))
            .is_ok()
    );

    // Taking out an option a user holds: refused, naming it, and nothing changes (the
    // other item of the request either).
    let narrow = attr("plan", AttributeType::SingleSelect, &["gold", "bronze"]);
    let mut nick = attr("nick", AttributeType::String, &[]);
    nick.display_name = "Nickname".into();
    let e = store
        .update_attributes(&p, &[nick.clone(), narrow], &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValueInUse, "{e}");
    assert!(
        e.message
            .starts_with("attributes[1].options: 1 user of this project holds \"silver\""),
        "{e}"
    );
    assert_eq!(
        store.all_attributes(&p).await.unwrap(),
        after,
        "all or none"
    );

    // An option nobody holds may go.
    let without_bronze = attr("plan", AttributeType::SingleSelect, &["gold", "silver"]);
    store
        .update_attributes(&p, &[without_bronze], &origin())
        .await
        .unwrap();

    // The type stays; an unknown name is not found.
    let retyped = attr("plan", AttributeType::String, &[]);
    let e = store
        .update_attributes(&p, &[retyped], &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailure, "{e}");
    assert!(e.message.starts_with("attributes[0].type:"), "{e}");
    let e = store
        .update_attributes(&p, &[attr("never", AttributeType::String, &[])], &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AttributeNotFound, "{e}");
    assert!(e.message.starts_with("attributes[0].name:"), "{e}");

    // A multiselect counts by its elements.
    store
        .create_attributes(
            &p,
            &[attr("tags", AttributeType::MultiSelect, &["a", "b", "c"])],
            &origin(),
        )
        .await
        .unwrap();
    create(
        store,
        &p,
        "t",
        RawUserPatch {
            custom_attributes: obj(json!({"tags": ["a", "c"]})),
            ..Default::default()
        },
    )
    .await;
    let e = store
        .update_attributes(
            &p,
            &[attr("tags", AttributeType::MultiSelect, &["a", "b"])],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValueInUse, "{e}");
    assert!(e.message.contains("holds \"c\" of \"tags\""), "{e}");
    store
        .update_attributes(
            &p,
            &[attr("tags", AttributeType::MultiSelect, &["a", "c"])],
            &origin(),
        )
        .await
        .unwrap();

    // No user changed; the trail holds one record per replaced definition, with what
    // changed.
    let now: Vec<User> = [
        must_load(store, &p, "u").await,
        must_load(store, &p, "w").await,
    ]
    .into();
    assert_eq!(now, before, "a definition's change changes no user");
    let (records, _) = store
        .search_audit(
            &p,
            &AuditQuery {
                actions: vec!["CustomAttributeModified".into()],
                ..AuditQuery::default()
            }
            .check()
            .unwrap(),
            SEARCH_TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(records.len(), 3, "widened, narrowed, tags: {records:?}");
    let first = records.last().unwrap();
    assert_eq!(first.data.get("name"), json!("plan"));
    assert_eq!(
        first.data.get("changes")["displayName"],
        json!({"old": plan.display_name, "new": "Plan tier"})
    );
}
