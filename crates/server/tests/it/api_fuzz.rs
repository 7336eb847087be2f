//! No client input yields a 500 or a crash: random JSON (built from the field names the
//! endpoints know, with values of every JSON type) goes to every endpoint that takes a
//! body, and random query strings to those that take one. Every answer must be a
//! success or a Descope-shaped client error.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestApp, urlencode};

const BODY_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/v1/mgmt/user/create"),
    ("POST", "/v1/mgmt/user/create/test"),
    ("POST", "/v1/mgmt/user/create/batch"),
    ("PATCH", "/v1/mgmt/user/patch"),
    ("PATCH", "/v1/mgmt/user/patch/batch"),
    ("POST", "/v1/mgmt/users/load"),
    ("POST", "/v2/mgmt/user/search"),
    ("POST", "/v2/mgmt/user/search/test"),
    ("POST", "/v1/mgmt/user/delete"),
    ("POST", "/v1/mgmt/user/delete/batch"),
    ("POST", "/v1/mgmt/tenant/create"),
    ("POST", "/v1/mgmt/tenant/update"),
    ("POST", "/v1/mgmt/tenant/delete"),
    ("POST", "/v1/mgmt/tenant/search"),
    ("POST", "/v1/mgmt/role/create"),
    ("POST", "/v1/mgmt/role/create/batch"),
    ("POST", "/v1/mgmt/role/update"),
    ("POST", "/v1/mgmt/role/update/batch"),
    ("POST", "/v1/mgmt/role/delete"),
    ("POST", "/v1/mgmt/role/delete/batch"),
    ("POST", "/v1/mgmt/role/search"),
    ("POST", "/v1/mgmt/permission/create"),
    ("POST", "/v1/mgmt/permission/create/batch"),
    ("POST", "/v1/mgmt/permission/update"),
    ("POST", "/v1/mgmt/permission/update/batch"),
    ("POST", "/v1/mgmt/permission/delete"),
    ("POST", "/v1/mgmt/permission/delete/batch"),
    ("POST", "/v1/mgmt/user/customattribute/create"),
    ("POST", "/v1/mgmt/user/customattribute/delete"),
    ("POST", "/v1/mgmt/user/update"),
    ("POST", "/v1/mgmt/user/update/status"),
    ("POST", "/v1/mgmt/user/update/loginid"),
    ("POST", "/v1/mgmt/user/update/email"),
    ("POST", "/v1/mgmt/user/update/phone"),
    ("POST", "/v1/mgmt/user/update/name"),
    ("POST", "/v1/mgmt/user/update/picture"),
    ("POST", "/v1/mgmt/user/update/customAttribute"),
    ("POST", "/v1/mgmt/user/update/role/set"),
    ("POST", "/v2/mgmt/user/update/role/add"),
    ("POST", "/v1/mgmt/user/update/role/remove"),
    ("POST", "/v1/mgmt/user/update/tenant/add"),
    ("POST", "/v1/mgmt/user/update/tenant/remove"),
    ("POST", "/v1/mgmt/user/update/ssoapp/add"),
    ("POST", "/v1/mgmt/user/update/recovery/email"),
    ("POST", "/v1/mgmt/user/update/recovery/phone"),
    ("POST", "/v1/mgmt/user/password/set/active"),
    ("POST", "/v1/mgmt/user/password/expire"),
    ("POST", "/v1/mgmt/user/passkeys/list"),
    ("POST", "/v1/mgmt/user/trusteddevices/list"),
    ("POST", "/v1/mgmt/user/trusteddevices/remove"),
    ("POST", "/v1/mgmt/user/logout"),
    ("POST", "/v1/mgmt/user/history"),
    ("PATCH", "/v1/mgmt/tenant/patch"),
    ("POST", "/v1/mgmt/tenant/updateDefaultRoles"),
    ("POST", "/v1/mgmt/tenant/settings"),
    // Not `managementkey/delete`: it could delete the key the fuzzing uses.
    ("PUT", "/v1/mgmt/managementkey"),
    ("PATCH", "/v1/mgmt/managementkey"),
];

const KEYS: &[&str] = &[
    "loginId",
    "identifier",
    "userId",
    "userIds",
    "users",
    "name",
    "displayName",
    "givenName",
    "email",
    "phone",
    "phoneNumber",
    "status",
    "statuses",
    "roleNames",
    "roles",
    "userTenants",
    "tenantId",
    "tenantIds",
    "customAttributes",
    "ssoAppIds",
    "ssoAppIDs",
    "additionalIdentifiers",
    "additionalLoginIds",
    "verifiedEmail",
    "test",
    "scim",
    "createdTime",
    "limit",
    "page",
    "offset",
    "sort",
    "field",
    "desc",
    "text",
    "fromCreatedTime",
    "toModifiedTime",
    "withTestUser",
    "testUsersOnly",
    "tenantRoleNames",
    "tenantRoleIds",
    "values",
    "and",
    "id",
    "parent",
    "cascade",
    "newName",
    "description",
    "permissionNames",
    "permissions",
    "names",
    "ids",
    "attributes",
    "type",
    "options",
    "value",
    "label",
    "defaultValue",
    "roleIds",
    "roleNameLike",
    "includeProjectRoles",
    "tenantNames",
    "includeInvalidUsers",
    "age",
    "nick",
    "vip",
    "t1",
    "newLoginId",
    "verified",
    "failOnConflict",
    "picture",
    "attributeKey",
    "attributeValue",
    "recoveryEmail",
    "recoveryPhone",
    "password",
    "identifiers",
    "deviceIds",
    "defaultRoles",
    "selfProvisioningDomains",
    "sessionTokenExpiration",
    "sessionTokenExpirationUnit",
    "enabled",
    "domains",
    "disabled",
    "permittedIps",
    "reBac",
    "companyRoles",
    "expiresIn",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!("")),
        Just(json!("a@b.co")),
        Just(json!("+1 555 555 5555")),
        Just(json!("admin")),
        Just(json!("t1")),
        Just(json!("enabled")),
        Just(json!("1764000000000")),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

fn body() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(KEYS), value()), 0..6).prop_map(|kv| {
        Value::Object(
            kv.into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<Map<_, _>>(),
        )
    })
}

fn check(endpoint: &str, status: u16, answer: &Value) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{} answered {}: {}", endpoint, status, answer);
    if status != 200 {
        let code = answer["errorCode"].as_str().unwrap_or_default();
        prop_assert!(
            code.starts_with('E') && code.len() == 7,
            "{} answered {} without a code: {}",
            endpoint,
            status,
            answer
        );
        prop_assert!(answer["errorMessage"].is_string(), "{}", answer);
    }
    Ok(())
}

fn random_bodies_never_crash_the_server(backend: Backend) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(async {
        let app = TestApp::on(backend).await;
        app.seed_catalog().await;
        app.create_user(json!({"loginId": "a@b.co", "userTenants": [{"tenantId": "t1"}]}))
            .await;
        app
    });
    let mut runner = TestRunner::new(Config {
        cases: 1_000,
        ..Config::default()
    });
    let strategy = (prop::sample::select(BODY_ENDPOINTS), body(), any::<bool>());
    runner
        .run(&strategy, |((method, path), body, wrap_in_users)| {
            // Half the time, wrap the object as a batch item (`{"users": [...]}`).
            let body = if wrap_in_users {
                json!({"users": [body.clone(), body]})
            } else {
                body
            };
            let (status, answer) = rt.block_on(app.call(method, path, body));
            check(path, status.as_u16(), &answer)
        })
        .unwrap();
}

fn random_query_strings_never_crash_the_server(backend: Backend) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(TestApp::on(backend));
    let mut runner = TestRunner::new(Config {
        cases: 200,
        ..Config::default()
    });
    let param = (
        prop::sample::select(&["loginId", "userId", "identifier", "id", "x"][..]),
        ".{0,10}",
    );
    let strategy = (
        prop::sample::select(
            &[
                "/v1/mgmt/user",
                "/v1/mgmt/tenant",
                "/v1/mgmt/tenant/all",
                "/v1/mgmt/tenant/settings",
                "/v1/mgmt/role/all",
            ][..],
        ),
        prop::collection::vec(param, 0..3),
        prop::option::of("[%&=?+#]{1,4}"),
    );
    runner
        .run(&strategy, |(path, params, junk)| {
            let mut q: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect();
            if let Some(j) = junk {
                q.push(j);
            }
            let uri = format!("{path}?{}", q.join("&"));
            let (status, answer) = rt.block_on(app.get(&uri));
            check(&uri, status.as_u16(), &answer)
        })
        .unwrap();
}

mod sqlite {
    use super::*;

    #[test]
    fn random_bodies_never_crash_the_server() {
        super::random_bodies_never_crash_the_server(Backend::Sqlite);
    }

    #[test]
    fn random_query_strings_never_crash_the_server() {
        super::random_query_strings_never_crash_the_server(Backend::Sqlite);
    }
}

mod postgres {
    use super::*;

    #[test]
    fn random_bodies_never_crash_the_server() {
        if !crate::postgres::skip("random_bodies_never_crash_the_server") {
            super::random_bodies_never_crash_the_server(Backend::Postgres);
        }
    }

    #[test]
    fn random_query_strings_never_crash_the_server() {
        if !crate::postgres::skip("random_query_strings_never_crash_the_server") {
            super::random_query_strings_never_crash_the_server(Backend::Postgres);
        }
    }
}
