//! Property test of the patch rules through the HTTP API.
//!
//! Random sequences of requests (single patches and batches, valid and invalid items,
//! and the SDK's one-purpose changes that share the patch rules: status, login ID
//! rename or removal, roles added or removed, tenants joined or left) go to a real
//! in-process server; a reference model, written here from the rules and
//! sharing no code with Roster, predicts every item's outcome and every user's state.
//! After each request, each item's outcome and every stored user must match the model.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestApp};

const LOGINS: [&str; 3] = ["u0", "u1", "u2"];

#[derive(Debug, Clone)]
enum Sel {
    Login(&'static str),
    UserIdOf(usize),
    Missing,
    Empty,
}

#[derive(Debug, Clone)]
struct Item {
    sel: Sel,
    fields: Map<String, Value>,
}

#[derive(Debug, Clone)]
enum Request {
    Single(Item),
    Batch(Vec<Item>),
    Change(Sel, Op),
}

/// One of the SDK's one-purpose changes.
#[derive(Debug, Clone)]
enum Op {
    Status(&'static str),
    LoginId(Option<&'static str>),
    AddRoles(Vec<&'static str>),
    RemoveRoles(Vec<&'static str>),
    JoinTenant(&'static str),
    LeaveTenant(&'static str),
}

impl Op {
    fn path(&self) -> &'static str {
        match self {
            Op::Status(_) => "/v1/mgmt/user/update/status",
            Op::LoginId(_) => "/v1/mgmt/user/update/loginid",
            Op::AddRoles(_) => "/v2/mgmt/user/update/role/add",
            Op::RemoveRoles(_) => "/v1/mgmt/user/update/role/remove",
            Op::JoinTenant(_) => "/v1/mgmt/user/update/tenant/add",
            Op::LeaveTenant(_) => "/v1/mgmt/user/update/tenant/remove",
        }
    }

    fn fields(&self) -> Map<String, Value> {
        let v = match self {
            Op::Status(s) => json!({"status": s}),
            Op::LoginId(to) => json!({"newLoginId": to}),
            Op::AddRoles(r) | Op::RemoveRoles(r) => json!({"roleNames": r}),
            Op::JoinTenant(t) | Op::LeaveTenant(t) => json!({"tenantId": t}),
        };
        v.as_object().unwrap().clone()
    }
}

fn op() -> impl Strategy<Value = Op> {
    let roles =
        || prop::collection::vec(prop::sample::select(vec!["admin", "viewer", "ghost"]), 0..3);
    let tenant = || prop::sample::select(vec!["t1", "t2", "t9"]);
    prop_oneof![
        prop::sample::select(vec![
            "enabled", "disabled", "invited", "expired", "", "bogus"
        ])
        .prop_map(Op::Status),
        prop::option::weighted(
            0.8,
            prop::sample::select(vec!["u0", "u1", "u2", "x0", "n0", "n1"])
        )
        .prop_map(Op::LoginId),
        roles().prop_map(Op::AddRoles),
        roles().prop_map(Op::RemoveRoles),
        tenant().prop_map(Op::JoinTenant),
        tenant().prop_map(Op::LeaveTenant),
    ]
}

fn opt<T: Clone + std::fmt::Debug + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop::option::weighted(0.3, s).boxed()
}

fn list_of(values: &'static [&'static str], max: usize) -> BoxedStrategy<Value> {
    prop::collection::vec(prop::sample::select(values.to_vec()), 0..=max)
        .prop_map(|v| json!(v))
        .boxed()
}

fn item() -> impl Strategy<Value = Item> {
    let sel = prop_oneof![
        6 => prop::sample::select(vec!["u0", "u1", "u2", "x0", "ghost"]).prop_map(Sel::Login),
        2 => (0usize..3).prop_map(Sel::UserIdOf),
        1 => Just(Sel::Missing),
        1 => Just(Sel::Empty),
    ];
    let text = || {
        prop_oneof![
            Just(Value::Null),
            Just(json!("")),
            Just(json!("Ann")),
            Just(json!("Bob"))
        ]
    };
    let tenants = prop::collection::vec(
        prop_oneof![
            Just(json!({"tenantId": "t1", "roleNames": ["editor"]})),
            Just(json!({"tenantId": "t1", "roleNames": ["viewer", "ghost"]})),
            Just(json!({"tenantId": "t2", "roleNames": null})),
            Just(json!({"tenantId": "t2", "roleNames": ["viewer", "viewer"]})),
            Just(json!({"tenantId": "t9"})),
        ],
        0..=2,
    )
    .prop_map(Value::Array);
    let attrs = prop::collection::btree_map(
        prop::sample::select(vec!["age", "nick", "vip", "ghost"]),
        prop_oneof![
            Just(Value::Null),
            Just(json!(3)),
            Just(json!("s")),
            Just(json!(true))
        ],
        0..=2,
    )
    .prop_map(|m| json!(m));
    (
        sel,
        (
            opt(text()),
            opt(text()),
            opt(prop_oneof![Just(json!("")), Just(json!("G"))]),
        ),
        (
            opt(prop_oneof![
                Just(json!("")),
                Just(json!("a@x.io")),
                Just(json!("bad"))
            ]),
            opt(prop_oneof![
                Just(json!("")),
                Just(json!("+1 (555) 555-5555")),
                Just(json!("12"))
            ]),
            opt(prop::sample::select(vec![
                "enabled", "disabled", "invited", "expired", "", "bogus",
            ])
            .prop_map(|s| json!(s))),
            opt(any::<bool>().prop_map(Value::Bool)),
        ),
        (
            opt(
                prop_oneof![3 => list_of(&["admin", "viewer", "ghost"], 3), 1 => Just(Value::Null)],
            ),
            opt(tenants),
            opt(list_of(&["x0", "x1", "u0"], 2)),
            opt(attrs),
            opt(list_of(&["s1", "s2"], 3)),
        ),
    )
        .prop_map(
            |(
                sel,
                (name, display, given),
                (email, phone, status, verified),
                (roles, tenants, extra, attrs, sso),
            )| {
                let mut f = Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        f.insert(k.to_string(), v);
                    }
                };
                put("name", name);
                put("displayName", display);
                put("givenName", given);
                put("email", email);
                put("phone", phone);
                put("status", status);
                put("verifiedEmail", verified);
                put("roleNames", roles);
                put("userTenants", tenants);
                put("additionalIdentifiers", extra);
                put("customAttributes", attrs);
                put("ssoAppIds", sso);
                Item { sel, fields: f }
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    let sel = prop_oneof![
        6 => prop::sample::select(vec!["u0", "u1", "u2", "x0", "n0", "ghost"]).prop_map(Sel::Login),
        2 => (0usize..3).prop_map(Sel::UserIdOf),
        1 => Just(Sel::Missing),
    ];
    prop_oneof![
        1 => item().prop_map(Request::Single),
        2 => prop::collection::vec(item(), 1..6).prop_map(Request::Batch),
        2 => (sel, op()).prop_map(|(s, o)| Request::Change(s, o)),
    ]
}

// ---------------------------------------------------------------------------------
// The reference model.

#[derive(Debug, Clone, PartialEq)]
struct MUser {
    user_id: String,
    logins: Vec<String>,
    name: String,
    given: String,
    email: String,
    phone: String,
    status: String,
    verified_email: bool,
    roles: Vec<String>,
    tenants: Vec<(String, Vec<String>)>,
    attrs: Map<String, Value>,
    sso: Vec<String>,
    version: i64,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Patched(usize),
    /// The failed item's user (index), or none when no user matched; and whether the
    /// request could be read at all.
    Failed(Option<usize>, bool),
    Unaddressable,
}

fn dedup(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// Whether the request's fields can be read at all (syntax: email, phone, status, a
/// tenant listed twice). These are checked before the user is looked up.
fn model_parses(f: &Map<String, Value>) -> bool {
    let is = |k: &str, bad: &str| f.get(k).and_then(Value::as_str) == Some(bad);
    if is("email", "bad") || is("phone", "12") || is("status", "bogus") {
        return false;
    }
    if let Some(Value::Array(ts)) = f.get("userTenants") {
        let mut seen = Vec::new();
        for t in ts {
            let id = t["tenantId"].as_str().unwrap_or_default();
            if seen.contains(&id) {
                return false;
            }
            seen.push(id);
        }
    }
    true
}

/// The model's patch of one user; `None` when the item must fail.
fn model_patch(users: &[MUser], at: usize, f: &Map<String, Value>) -> Option<MUser> {
    let mut u = users[at].clone();
    let present = |k: &str| f.get(k).filter(|v| !v.is_null());
    if let Some(n) = present("name").or_else(|| present("displayName")) {
        u.name = text(n)?;
    }
    if let Some(g) = present("givenName") {
        u.given = text(g)?;
    }
    if let Some(e) = present("email") {
        match e.as_str()? {
            "bad" => return None,
            other => u.email = other.to_string(),
        }
    }
    if let Some(p) = present("phone") {
        match p.as_str()? {
            "" => u.phone.clear(),
            "12" => return None,
            _ => u.phone = "+15555555555".into(),
        }
    }
    if let Some(s) = present("status") {
        match s.as_str()? {
            "" => {}
            "bogus" => return None,
            other => u.status = other.to_string(),
        }
    }
    if let Some(v) = present("verifiedEmail") {
        u.verified_email = v.as_bool()?;
    }
    if let Some(r) = present("roleNames") {
        let roles = dedup(r);
        if roles.iter().any(|r| r == "ghost") {
            return None;
        }
        u.roles = roles;
    }
    if let Some(ts) = present("userTenants") {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in ts.as_array()? {
            let id = t["tenantId"].as_str()?.to_string();
            if id == "t9" {
                return None;
            }
            let roles = dedup(&t["roleNames"]);
            let allowed: &[&str] = if id == "t1" {
                &["editor", "admin", "viewer"]
            } else {
                &["admin", "viewer"]
            };
            if roles.iter().any(|r| !allowed.contains(&r.as_str())) {
                return None;
            }
            out.push((id, roles));
        }
        u.tenants = out;
    }
    if let Some(extra) = present("additionalIdentifiers") {
        let mut logins = vec![u.logins[0].clone()];
        for l in dedup(extra) {
            if logins.contains(&l) {
                continue;
            }
            if users
                .iter()
                .enumerate()
                .any(|(i, o)| i != at && o.logins.contains(&l))
            {
                return None;
            }
            logins.push(l);
        }
        u.logins = logins;
    }
    if let Some(attrs) = present("customAttributes") {
        for (k, v) in attrs.as_object()? {
            let ok = match (k.as_str(), v) {
                (_, Value::Null) => k != "ghost",
                ("age", Value::Number(_))
                | ("nick", Value::String(_))
                | ("vip", Value::Bool(_)) => true,
                _ => false,
            };
            if !ok {
                return None;
            }
            if v.is_null() {
                u.attrs.remove(k);
            } else {
                u.attrs.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(s) = present("ssoAppIds") {
        u.sso = dedup(s);
    }
    if u != users[at] {
        u.version += 1;
    }
    Some(u)
}

fn selector(users: &[MUser], sel: &Sel) -> Option<String> {
    match sel {
        Sel::Login(l) => Some((*l).to_string()),
        Sel::UserIdOf(i) => Some(users[*i].user_id.clone()),
        Sel::Missing => None,
        Sel::Empty => Some(String::new()),
    }
}

fn model_apply(users: &mut [MUser], item: &Item) -> Outcome {
    let Some(sel) = selector(users, &item.sel).filter(|s| !s.is_empty()) else {
        return Outcome::Unaddressable;
    };
    let found = users
        .iter()
        .position(|u| u.logins.contains(&sel))
        .or_else(|| users.iter().position(|u| u.user_id == sel));
    let parses = model_parses(&item.fields);
    let Some(at) = found else {
        return Outcome::Failed(None, parses);
    };
    if !parses {
        return Outcome::Failed(Some(at), false);
    }
    match model_patch(users, at, &item.fields) {
        Some(next) => {
            users[at] = next;
            Outcome::Patched(at)
        }
        None => Outcome::Failed(Some(at), true),
    }
}

/// What the model expects of a one-purpose change: the HTTP status, and the user it
/// changed (index) on success.
fn model_change(users: &mut [MUser], sel: &Sel, op: &Op) -> (u16, Option<usize>) {
    let Some(sel) = selector(users, sel).filter(|s| !s.is_empty()) else {
        return (400, None);
    };
    // Fields that cannot be read are refused before the user is looked up.
    if matches!(op, Op::Status("" | "bogus")) {
        return (400, None);
    }
    let Some(at) = users
        .iter()
        .position(|u| u.logins.contains(&sel))
        .or_else(|| users.iter().position(|u| u.user_id == sel))
    else {
        return (404, None);
    };
    let mut u = users[at].clone();
    match op {
        Op::Status(s) => u.status = (*s).to_string(),
        Op::LoginId(to) => {
            let i = u.logins.iter().position(|l| *l == sel).unwrap_or(0);
            match to {
                None if u.logins.len() <= 1 => return (400, None),
                None => {
                    u.logins.remove(i);
                }
                Some(to) => {
                    let to = (*to).to_string();
                    if users
                        .iter()
                        .enumerate()
                        .any(|(j, o)| j != at && o.logins.contains(&to))
                    {
                        return (409, None);
                    }
                    if u.logins.contains(&to) {
                        if u.logins[i] != to {
                            u.logins.remove(i);
                        }
                    } else {
                        u.logins[i] = to;
                    }
                }
            }
        }
        Op::AddRoles(r) | Op::RemoveRoles(r) => {
            if r.contains(&"ghost") {
                return (400, None);
            }
            if matches!(op, Op::AddRoles(_)) {
                for role in r {
                    if !u.roles.iter().any(|x| x == role) {
                        u.roles.push((*role).to_string());
                    }
                }
            } else {
                u.roles.retain(|x| !r.contains(&x.as_str()));
            }
        }
        Op::JoinTenant(t) | Op::LeaveTenant(t) => {
            if *t == "t9" {
                return (400, None);
            }
            let pos = u.tenants.iter().position(|(id, _)| id == t);
            match (op, pos) {
                (Op::JoinTenant(_), None) => u.tenants.push(((*t).to_string(), Vec::new())),
                (Op::LeaveTenant(_), Some(p)) => {
                    u.tenants.remove(p);
                }
                _ => {}
            }
        }
    }
    if u != users[at] {
        u.version += 1;
    }
    users[at] = u;
    (200, Some(at))
}

fn body(users: &[MUser], item: &Item) -> Value {
    let mut f = item.fields.clone();
    if let Some(s) = selector(users, &item.sel) {
        f.insert("loginId".into(), json!(s));
    }
    Value::Object(f)
}

fn observed(u: &Value) -> MUser {
    let strings = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    MUser {
        user_id: u["userId"].as_str().unwrap().into(),
        logins: strings(&u["loginIds"]),
        name: u["name"].as_str().unwrap().into(),
        given: u["givenName"].as_str().unwrap().into(),
        email: u["email"].as_str().unwrap().into(),
        phone: u["phone"].as_str().unwrap().into(),
        status: u["status"].as_str().unwrap().into(),
        verified_email: u["verifiedEmail"].as_bool().unwrap(),
        roles: strings(&u["roleNames"]),
        tenants: u["userTenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["tenantId"].as_str().unwrap().into(),
                    strings(&t["roleNames"]),
                )
            })
            .collect(),
        attrs: u["customAttributes"].as_object().unwrap().clone(),
        sso: strings(&u["ssoAppIds"]),
        version: u["version"].as_i64().unwrap(),
    }
}

async fn run(backend: Backend, requests: Vec<Request>) -> Result<(), TestCaseError> {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let mut users = Vec::new();
    for l in LOGINS {
        users.push(observed(&app.create_user(json!({"loginId": l})).await));
    }
    for (step, req) in requests.iter().enumerate() {
        match req {
            Request::Single(item) => {
                let b = body(&users, item);
                let (status, resp) = app.call("PATCH", "/v1/mgmt/user/patch", b.clone()).await;
                let fixed = Item {
                    sel: item.sel.clone(),
                    fields: b.as_object().unwrap().clone(),
                };
                match model_apply(&mut users, &fixed) {
                    Outcome::Patched(at) => {
                        prop_assert_eq!(status.as_u16(), 200, "step {}: {} -> {}", step, b, resp);
                        prop_assert_eq!(
                            &observed(&resp["user"]),
                            &users[at],
                            "step {}: {}",
                            step,
                            b
                        );
                    }
                    // Unreadable fields are 400 before the user is looked up.
                    Outcome::Failed(_, false) => {
                        prop_assert_eq!(status.as_u16(), 400, "step {}: {} -> {}", step, b, resp)
                    }
                    Outcome::Failed(None, true) => {
                        prop_assert_eq!(status.as_u16(), 404, "step {}: {} -> {}", step, b, resp)
                    }
                    Outcome::Failed(Some(_), true) => {
                        prop_assert!(
                            [400, 409].contains(&status.as_u16()),
                            "step {}: {} -> {} {}",
                            step,
                            b,
                            status,
                            resp
                        )
                    }
                    Outcome::Unaddressable => {
                        prop_assert_eq!(status.as_u16(), 400, "step {}: {}", step, b)
                    }
                }
            }
            Request::Change(sel, op) => {
                let b = body(
                    &users,
                    &Item {
                        sel: sel.clone(),
                        fields: op.fields(),
                    },
                );
                let (status, resp) = app.call("POST", op.path(), b.clone()).await;
                let (want, at) = model_change(&mut users, sel, op);
                prop_assert_eq!(
                    status.as_u16(),
                    want,
                    "step {}: {} {} -> {}",
                    step,
                    op.path(),
                    b,
                    resp
                );
                if let Some(at) = at {
                    prop_assert_eq!(&observed(&resp["user"]), &users[at], "step {}: {}", step, b);
                }
            }
            Request::Batch(items) => {
                let bodies: Vec<Value> = items.iter().map(|i| body(&users, i)).collect();
                let resp = app
                    .ok(
                        "PATCH",
                        "/v1/mgmt/user/patch/batch",
                        json!({"users": bodies}),
                    )
                    .await;
                let mut patched = Vec::new();
                let mut failed = Vec::new();
                let mut unaddressable = Vec::new();
                for (index, (item, b)) in items.iter().zip(&bodies).enumerate() {
                    let fixed = Item {
                        sel: item.sel.clone(),
                        fields: b.as_object().unwrap().clone(),
                    };
                    match model_apply(&mut users, &fixed) {
                        Outcome::Patched(at) => patched.push(users[at].clone()),
                        Outcome::Failed(at, _) => failed.push(at.map(|i| users[i].clone())),
                        Outcome::Unaddressable => unaddressable.push(format!("users[{index}]")),
                    }
                }
                let got: Vec<MUser> = resp["patchedUsers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(observed)
                    .collect();
                prop_assert_eq!(&got, &patched, "step {}: {}", step, json!(bodies));
                let got_failed: Vec<Option<MUser>> = resp["failedUsers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["user"].get("userId").map(|_| observed(&f["user"])))
                    .collect();
                prop_assert_eq!(&got_failed, &failed, "step {}: {}", step, json!(bodies));
                let mut keys: Vec<String> = resp["additionalErrors"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect();
                keys.sort();
                unaddressable.sort();
                prop_assert_eq!(keys, unaddressable);
            }
        }
        for u in &users {
            let (_, stored) = app
                .get(&format!("/v1/mgmt/user?userId={}", u.user_id))
                .await;
            prop_assert_eq!(
                &observed(&stored["user"]),
                u,
                "step {}: stored user differs from the model",
                step
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn patches_match_the_reference_model_on_sqlite(requests in prop::collection::vec(request(), 1..8)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(Backend::Sqlite, requests))?;
    }

    #[test]
    fn patches_match_the_reference_model_on_postgres(requests in prop::collection::vec(request(), 1..8)) {
        if crate::postgres::server_url().is_some() {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(run(Backend::Postgres, requests))?;
        }
    }
}
