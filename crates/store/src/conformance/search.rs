//! User search: every filter, paging and sorting, alike on every backend.

use super::*;

pub async fn search_filters(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let t0 = Millis(NOW.0 - 10_000);
    let mk = |login: &'static str, f: RawUserPatch| new_user(login, f);
    create_users(
        store,
        &p,
        &[
            mk(
                "alice",
                RawUserPatch {
                    email: s("alice@acme.com"),
                    name: s("Alice Liddell"),
                    status: s("enabled"),
                    role_names: list(&["admin"]),
                    custom_attributes: obj(json!({"plan": "gold", "age": 30})),
                    verified_email: Setting::Set(true),
                    sso_app_ids: list(&["app-a"]),
                    ..Default::default()
                },
            ),
            mk(
                "bob",
                RawUserPatch {
                    phone: s("+44 20 7946 0018"),
                    status: s("disabled"),
                    user_tenants: Setting::Set(vec![RawTenantAssignment {
                        tenant_id: s("t1"),
                        role_names: list(&["editor"]),
                    }]),
                    custom_attributes: obj(json!({"plan": "silver", "nick": "bobby"})),
                    ..Default::default()
                },
            ),
            mk(
                "carol",
                RawUserPatch {
                    user_tenants: Setting::Set(vec![
                        RawTenantAssignment {
                            tenant_id: s("t1"),
                            role_names: list(&["editor", "viewer"]),
                        },
                        RawTenantAssignment {
                            tenant_id: s("t2"),
                            role_names: Setting::NotSet,
                        },
                    ]),
                    ..Default::default()
                },
            ),
        ],
        &at(t0),
    )
    .await
    .unwrap();
    let test_item = CreateItem::Ready {
        id: UserId::generate(&ids()),
        user: NewUser::parse(RawNewUser {
            login_id: s("tester"),
            test: true,
            ..Default::default()
        })
        .unwrap(),
    };
    create_users(store, &p, &[test_item], &origin())
        .await
        .unwrap();
    patch(
        store,
        &p,
        vec![ready(
            "carol",
            RawUserPatch {
                name: s("Carol 100% Real"),
                ..Default::default()
            },
        )],
        Millis(NOW.0 + 1_000),
    )
    .await;

    let q = |f: &dyn Fn(&mut UserQuery)| {
        let mut q = UserQuery::new();
        f(&mut q);
        q
    };
    let all = search(store, &p, UserQuery::new()).await;
    assert_eq!(
        all,
        (vec!["alice".into(), "bob".into(), "carol".into()], 3),
        "test users are hidden by default"
    );
    let cases: Vec<(UserQuery, Vec<&str>)> = vec![
        (
            q(&|q| q.test_users = TestUsers::Include),
            vec!["alice", "bob", "carol", "tester"],
        ),
        (q(&|q| q.test_users = TestUsers::Only), vec!["tester"]),
        (
            q(&|q| q.login_ids = vec!["bob".into(), "zed".into()]),
            vec!["bob"],
        ),
        (
            q(&|q| q.emails = vec!["alice@acme.com".into()]),
            vec!["alice"],
        ),
        (q(&|q| q.phones = vec!["+442079460018".into()]), vec!["bob"]),
        (
            q(&|q| q.statuses = vec![UserStatus::Enabled, UserStatus::Disabled]),
            vec!["alice", "bob"],
        ),
        (
            q(&|q| q.statuses = vec![UserStatus::Invited]),
            vec!["carol"],
        ),
        (q(&|q| q.tenant_ids = vec!["t2".into()]), vec!["carol"]),
        (
            q(&|q| q.tenant_ids = vec!["t1".into(), "t2".into()]),
            vec!["bob", "carol"],
        ),
        (q(&|q| q.role_names = vec!["admin".into()]), vec!["alice"]),
        (
            q(&|q| q.role_names = vec!["editor".into()]),
            vec!["bob", "carol"],
        ),
        (
            q(&|q| {
                q.tenant_roles = vec![TenantRoleFilter {
                    tenant_id: "t1".into(),
                    role_names: vec!["editor".into(), "viewer".into()],
                    all: true,
                }]
            }),
            vec!["carol"],
        ),
        (
            q(&|q| {
                q.tenant_roles = vec![TenantRoleFilter {
                    tenant_id: "t1".into(),
                    role_names: vec!["editor".into(), "viewer".into()],
                    all: false,
                }]
            }),
            vec!["bob", "carol"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("plan".into(), json!("gold"))]),
            vec!["alice"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("plan".into(), json!(["gold", "silver"]))]),
            vec!["alice", "bob"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("age".into(), json!(30))]),
            vec!["alice"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("age".into(), json!("30"))]),
            vec![],
        ),
        (
            q(&|q| {
                q.custom_attributes = vec![
                    ("plan".into(), json!("gold")),
                    ("nick".into(), json!("bobby")),
                ]
            }),
            vec![],
        ),
        (
            q(&|q| q.custom_attributes = vec![("no such key!".into(), json!(1))]),
            vec![],
        ),
        (q(&|q| q.sso_app_ids = vec!["app-a".into()]), vec!["alice"]),
        (q(&|q| q.text = "LIDDELL".into()), vec!["alice"]),
        (q(&|q| q.text = "+4420".into()), vec!["bob"]),
        (q(&|q| q.text = "acme.com".into()), vec!["alice"]),
        (q(&|q| q.text = "100%".into()), vec!["carol"]),
        (q(&|q| q.text = "%".into()), vec!["carol"]),
        (q(&|q| q.verified_email = Some(true)), vec!["alice"]),
        (q(&|q| q.verified_email = Some(false)), vec!["bob", "carol"]),
        (q(&|q| q.from_created = Some(NOW)), vec![]),
        (
            q(&|q| q.to_created = Some(t0)),
            vec!["alice", "bob", "carol"],
        ),
        (
            q(&|q| q.from_modified = Some(Millis(NOW.0 + 1))),
            vec!["carol"],
        ),
        (q(&|q| q.to_modified = Some(NOW)), vec!["alice", "bob"]),
    ];
    for (i, (query, want)) in cases.into_iter().enumerate() {
        let (got, total) = search(store, &p, query.clone()).await;
        assert_eq!(got, want, "case {i}: {query:?}");
        assert_eq!(total, want.len() as u64, "case {i}: total");
    }
}

pub async fn search_pages_and_sorts(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let items: Vec<CreateItem> = (0..25)
        .map(|i| {
            new_user(
                Box::leak(format!("user{i:02}").into_boxed_str()),
                RawUserPatch {
                    name: s(&format!("{}", 24 - i)),
                    ..Default::default()
                },
            )
        })
        .collect();
    create_users(store, &p, &items, &origin()).await.unwrap();
    let mut seen = BTreeSet::new();
    for page in 0..3 {
        let mut q = UserQuery::new();
        q.paginate(10, page, 0);
        let (users, total) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
        assert_eq!(total, 25, "total counts every match, not the page");
        assert_eq!(users.len(), if page < 2 { 10 } else { 5 });
        for u in users {
            assert!(seen.insert(u.id.clone()), "pages do not overlap");
        }
    }
    assert_eq!(seen.len(), 25);
    // A page with no user on it still counts every match: past the end, by page or by
    // offset, and with no room at all.
    for (page, offset, limit) in [(3, 0, 10), (0, 25, 10), (0, 1_000, 5), (0, 0, 0)] {
        let mut q = UserQuery::new();
        q.paginate(10, page, offset);
        q.limit = limit;
        let (users, total) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
        assert!(
            users.is_empty(),
            "page {page}, offset {offset}, limit {limit}: no user"
        );
        assert_eq!(
            total, 25,
            "page {page}, offset {offset}, limit {limit}: total"
        );
    }
    // A search that matches nothing counts none.
    let mut q = UserQuery::new();
    q.emails = vec!["nobody@example.com".to_string()];
    let (users, total) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
    assert!(users.is_empty());
    assert_eq!(total, 0);
    let mut q = UserQuery::new();
    q.sort = vec![(roster_domain::search::SortField::LoginId, true)];
    q.paginate(3, 0, 0);
    let (users, _) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
    assert_eq!(
        users.iter().map(|u| logins(u)[0]).collect::<Vec<_>>(),
        ["user24", "user23", "user22"]
    );
    let mut q = UserQuery::new();
    q.paginate(2, 0, 4);
    q.sort = vec![(roster_domain::search::SortField::LoginId, false)];
    let (users, _) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
    assert_eq!(
        users.iter().map(|u| logins(u)[0]).collect::<Vec<_>>(),
        ["user04", "user05"],
        "offset wins over page"
    );
}

/// What could differ between engines does not: ASCII letters match either case in
/// `text` and nothing else is folded, text sorts by bytes, users without a value sort
/// first going up and last going down, and a number equals itself written either way.
pub async fn search_reads_alike_everywhere(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    for (login, name, email, age) in [
        ("a1", "AN NA", Some("zed@example.com"), json!(3)),
        ("a2", "an na", None, json!(4.5)),
        ("a3", "ÅN NA", Some("Bob@example.com"), json!(3.0)),
        ("a4", "bob", Some("amy@example.com"), json!(7)),
    ] {
        create(
            store,
            &p,
            login,
            RawUserPatch {
                name: s(name),
                email: email.map_or(Setting::NotSet, s),
                custom_attributes: obj(json!({"age": age})),
                ..Default::default()
            },
        )
        .await;
    }
    let by_text = |text: &str| {
        let mut q = UserQuery::new();
        q.text = text.to_string();
        q
    };
    // (A space keeps the text from matching user IDs, which are alphanumeric.)
    assert_eq!(
        search(store, &p, by_text("n N")).await.0,
        ["a1", "a2", "a3"]
    );
    assert_eq!(
        search(store, &p, by_text("åN NA")).await.0,
        Vec::<String>::new()
    );
    assert_eq!(search(store, &p, by_text("Ån na")).await.0, ["a3"]);
    let sorted = async |field, desc| {
        let mut q = UserQuery::new();
        q.sort = vec![(field, desc)];
        let (users, _) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
        users
            .iter()
            .map(|u| logins(u)[0].to_string())
            .collect::<Vec<_>>()
    };
    use roster_domain::search::SortField;
    assert_eq!(
        sorted(SortField::Email, false).await,
        ["a2", "a3", "a4", "a1"]
    );
    assert_eq!(
        sorted(SortField::Email, true).await,
        ["a1", "a4", "a3", "a2"]
    );
    assert_eq!(
        sorted(SortField::Name, false).await,
        ["a1", "a2", "a4", "a3"]
    );
    let mut q = UserQuery::new();
    q.custom_attributes = vec![("age".into(), json!(3))];
    assert_eq!(search(store, &p, q).await.0, ["a1", "a3"]);
    let mut q = UserQuery::new();
    q.custom_attributes = vec![("age".into(), json!([7.0, 4.5]))];
    assert_eq!(search(store, &p, q).await.0, ["a2", "a4"]);
}
