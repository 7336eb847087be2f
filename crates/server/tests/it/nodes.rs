//! Real `roster` processes on PostgreSQL: several nodes on one database, the database
//! going away and coming back, and `roster copy` of a store of 100,000 users from
//! SQLite to PostgreSQL and back. Each test is skipped, saying so, when
//! `ROSTER_TEST_POSTGRES_URL` is unset.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roster_domain::attribute::{AttributeDef, AttributeType};
use roster_domain::create::{NewUser, RawNewUser};
use roster_domain::ids::{KeyId, ProjectId, RandomIds, RoleId, TenantId, UserId};
use roster_domain::keys::ManagementKey;
use roster_domain::names::{AttributeName, Label, RoleName};
use roster_domain::patch::{RawTenantAssignment, RawUserPatch};
use roster_domain::role::RoleSpec;
use roster_domain::setting::Setting;
use roster_domain::tenant::TenantSpec;
use roster_domain::time::Millis;
use roster_store::batch::{CreateItem, create_users};
use roster_store::{
    AttributeStore, ProjectStore, RoleStore, Store, StoredKey, TableCount, TenantStore,
};
use roster_store_postgres::PostgresStore;
use roster_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::helpers::{at, origin};
use crate::postgres::{fresh_url, host_port, skip, with_host_port};
use crate::process::{BIN, Server, banner_value, call, writers_lose_no_update};

fn start(
    url: &str,
    env: &'static [(&'static str, &'static str)],
) -> tokio::task::JoinHandle<Server> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || Server::start(&url, env))
}

/// Two nodes start together on one empty database: one of them makes the first project
/// and prints its key, the other prints nothing. Then several writers patch the same
/// users through both nodes at once, each merging its own attribute key: nothing is
/// lost, and `version` counts every change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_share_one_database_and_lose_no_update() {
    if skip("two_nodes_share_one_database_and_lose_no_update") {
        return;
    }
    let url = fresh_url().unwrap();
    let (a, b) = (start(&url, &[]), start(&url, &[]));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let banners: Vec<&Server> = [&a, &b]
        .into_iter()
        .filter(|s| !s.stdout.is_empty())
        .collect();
    assert_eq!(
        banners.len(),
        1,
        "one first start: {:?} / {:?}",
        a.stdout,
        b.stdout
    );
    let project = banner_value(&banners[0].stdout, "Project ID:");
    let key = banner_value(&banners[0].stdout, "Management key:");
    let auth = format!("Bearer {project}:{key}");
    writers_lose_no_update(&[a.url.clone(), b.url.clone()], &auth).await;
}

/// A TCP relay between Roster and PostgreSQL that can be cut and restored, as a
/// database restart or a network partition would.
struct Relay {
    listen: SocketAddr,
    target: String,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = Relay {
            listen: listener.local_addr().unwrap(),
            target,
            tasks: Arc::default(),
        };
        relay.serve(listener);
        relay
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target.clone();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(conn.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// Close every connection and refuse new ones.
    async fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
        // Let the aborted tasks drop their sockets (and the listener).
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    /// Accept connections again, on the same address.
    async fn restore(&self) {
        let listener = TcpListener::bind(self.listen).await.unwrap();
        self.serve(listener);
    }
}

async fn ready(url: &str) -> u16 {
    crate::process::client()
        .get(format!("{url}/health/ready"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `/health/ready` fails while the database cannot be reached and recovers when it
/// can, without a restart; the API works again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database() {
    if skip("readiness_follows_the_database") {
        return;
    }
    let url = fresh_url().unwrap();
    let relay = Relay::start(host_port(&url)).await;
    let through_relay = with_host_port(&url, &relay.listen.to_string());
    const BOOT: &[(&str, &str)] = &[
        ("ROSTER_PROJECT_ID", "P2RosterReadiness00000000001"),
        ("ROSTER_MANAGEMENT_KEY", "ready-key"),
    ];
    let server = start(&through_relay, BOOT).await.unwrap();
    let auth = "Bearer P2RosterReadiness00000000001:ready-key";
    assert_eq!(ready(&server.url).await, 200);

    relay.cut().await;
    assert_eq!(ready(&server.url).await, 503, "the database is gone");
    let (status, body) = call(
        &server.url,
        auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/create",
        json!({"loginId": "during@example.com"}),
    )
    .await;
    assert_eq!(
        status, 500,
        "an API call fails plainly, never with 503: {body}"
    );
    assert_eq!(body["errorCode"], "E990500");

    relay.restore().await;
    let mut status = 0;
    for _ in 0..50 {
        status = ready(&server.url).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "readiness recovers without a restart");
    let (status, body) = call(
        &server.url,
        auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/create",
        json!({"loginId": "after@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

const USERS: usize = 100_000;
const COPY_PROJECT: &str = "P2RosterCopyTest000000000001";
const COPY_KEY: &str = "copy-test-key";

/// A SQLite store of [`USERS`] users, each with a role, a tenant with a role, and
/// attributes, made through the store's own create batches; and one management key.
async fn big_sqlite_store(path: &Path) -> String {
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url).await.unwrap();
    let project = ProjectId::parse(COPY_PROJECT).unwrap();
    let now = Millis(1_764_000_000_000);
    store
        .create_project(&project, &Label::parse("copy").unwrap(), now)
        .await
        .unwrap();
    let key = ManagementKey::parse(COPY_KEY).unwrap();
    store
        .add_key(
            &project,
            &StoredKey {
                id: KeyId::generate(&RandomIds),
                name: "copy".into(),
                hash: key.hash(),
                created: now,
                expires: None,
                revoked: None,
                read_only: false,
                permitted_ips: vec![],
                description: String::new(),
                active: true,
                rebac: Default::default(),
            },
            &origin(),
        )
        .await
        .unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    store
        .create_tenant(
            &project,
            &tenant,
            &TenantSpec {
                name: Label::parse("Acme").unwrap(),
                self_provisioning_domains: vec![],
                custom_attributes: Default::default(),
                enforce_sso: false,
                enforce_sso_exclusions: vec![],
                federated_app_ids: vec![],
                disabled: false,
                parent: None,
                role_inheritance: String::new(),
                default_roles: vec![],
                settings: Default::default(),
            },
            &at(now),
        )
        .await
        .unwrap();
    let role = |name: &str, tenant: Option<TenantId>| RoleSpec {
        name: RoleName::parse(name).unwrap(),
        description: String::new(),
        permission_names: vec![],
        tenant_id: tenant,
        default: false,
        private: false,
    };
    store
        .create_roles(
            &project,
            &[
                (RoleId::generate(&RandomIds), role("member", None)),
                (RoleId::generate(&RandomIds), role("editor", Some(tenant))),
            ],
            &at(now),
        )
        .await
        .unwrap();
    store
        .create_attributes(
            &project,
            &[AttributeDef {
                name: AttributeName::parse("n").unwrap(),
                kind: AttributeType::Number,
                display_name: String::new(),
                options: vec![],
                default_value: Value::Null,
                view_permissions: vec![],
                edit_permissions: vec![],
                required: false,
            }],
            &origin(),
        )
        .await
        .unwrap();
    let set = |v: &str| Setting::Set(v.to_string());
    for chunk in 0..USERS / 10_000 {
        let items: Vec<CreateItem> = (chunk * 10_000..(chunk + 1) * 10_000)
            .map(|i| CreateItem::Ready {
                id: UserId::generate(&RandomIds),
                user: NewUser::parse(RawNewUser {
                    login_id: set(&format!("user{i}@example.com")),
                    fields: RawUserPatch {
                        email: set(&format!("user{i}@example.com")),
                        name: set(&format!("User {i}")),
                        role_names: Setting::Set(vec!["member".into()]),
                        user_tenants: Setting::Set(vec![RawTenantAssignment {
                            tenant_id: set("acme"),
                            role_names: Setting::Set(vec!["editor".into()]),
                        }]),
                        custom_attributes: Setting::Set(
                            json!({"n": i}).as_object().cloned().unwrap(),
                        ),
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .unwrap(),
            })
            .collect();
        create_users(&store, &project, &items, &at(now))
            .await
            .unwrap();
    }
    url
}

fn roster_copy(from: &str, to: &str) -> Output {
    Command::new(BIN)
        .args(["copy", "--from", from, "--to", to])
        .env("ROSTER_LOG", "warn")
        .output()
        .unwrap()
}

async fn counts(store: &dyn Store) -> Vec<TableCount> {
    store.begin_export().await.unwrap().counts().await.unwrap()
}

/// Search the copy through a real `roster serve` with the key that was copied.
async fn users_through_a_server(url: &str) -> u64 {
    // The store's records are dated 2025: a server keeping the default 30 days would
    // prune them while the test compares the stores' row counts.
    let server = start(url, &[("ROSTER_AUDIT_RETENTION_DAYS", "36500")])
        .await
        .unwrap();
    assert!(
        server.stdout.is_empty(),
        "a copied store is not new: {}",
        server.stdout
    );
    let auth = format!("Bearer {COPY_PROJECT}:{COPY_KEY}");
    let (status, body) = call(
        &server.url,
        &auth,
        reqwest::Method::POST,
        "/v2/mgmt/user/search",
        json!({"limit": 1, "emails": ["user99999@example.com"]}),
    )
    .await;
    assert_eq!(status, 200, "the copied key works: {body}");
    let user = &body["users"][0];
    assert_eq!(user["roleNames"], json!(["member"]));
    assert_eq!(user["userTenants"][0]["roleNames"], json!(["editor"]));
    assert_eq!(user["customAttributes"], json!({"n": 99_999}));
    let (_, all) = call(
        &server.url,
        &auth,
        reqwest::Method::POST,
        "/v2/mgmt/user/search",
        json!({"limit": 1}),
    )
    .await;
    all["total"].as_u64().unwrap()
}

/// `roster copy` moves a store of 100,000 users from SQLite to PostgreSQL and back: an
/// interrupted run leaves the target empty and a second run completes it; progress is
/// reported in plain lines off a terminal and as a bar on one; every table's counts
/// match; the management key works on each copy; a target that is not empty is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_moves_100000_users_to_postgres_and_back() {
    if skip("copy_moves_100000_users_to_postgres_and_back") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = big_sqlite_store(&dir.path().join("source.db")).await;
    let target = fresh_url().unwrap();

    // Interrupted once the users are under way: nothing is committed.
    let mut child = Command::new(BIN)
        .args(["copy", "--from", &source, "--to", &target])
        .env("ROSTER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let seen = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let under_way = line.contains("users copied (") && !line.contains("(0%)");
            seen.push(line);
            if under_way {
                break;
            }
        }
        (seen, lines)
    });
    let (seen, rest) = seen.await.unwrap();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let rest: Vec<String> = rest.map_while(Result::ok).collect();
    assert!(!status.success(), "{seen:?} {rest:?}");
    assert!(rest.join("\n").contains("interrupted"), "{rest:?}");
    let pg = PostgresStore::open(&target, 2).await.unwrap();
    assert!(
        counts(&pg).await.iter().all(|c| c.rows == 0),
        "an interrupted copy commits nothing"
    );

    // Run again: it completes, and says so table by table.
    let out = roster_copy(&source, &target);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("100000 of 100000 users copied (100%)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r'),
        "no progress bar off a terminal: {stderr:?}"
    );
    assert!(
        stdout.contains("Every table's row count matches"),
        "{stdout}"
    );
    let users_row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("users "))
        .unwrap();
    assert_eq!(
        users_row.split_whitespace().collect::<Vec<_>>(),
        ["users", "100000", "100000"]
    );
    let sqlite = SqliteStore::open(&source).await.unwrap();
    assert_eq!(counts(&pg).await, counts(&sqlite).await);
    assert_eq!(users_through_a_server(&target).await, USERS as u64);

    // A second copy into the same database is refused and changes nothing.
    let again = roster_copy(&source, &target);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(counts(&pg).await, counts(&sqlite).await);

    // And back to a new SQLite file, on a terminal this time (through `script`, which
    // gives the command a pseudo-terminal): a progress bar is drawn.
    let back = format!("sqlite://{}", dir.path().join("back.db").display());
    let on_a_terminal = Command::new("script")
        .args([
            "-qec",
            &format!("'{BIN}' copy --from '{target}' --to '{back}'"),
            "/dev/null",
        ])
        .env("ROSTER_LOG", "warn")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&on_a_terminal.stdout);
    assert!(on_a_terminal.status.success(), "{screen}");
    assert!(
        screen.contains('\r') && screen.contains("100,000/100,000 (100%)"),
        "a progress bar was drawn: {screen:?}"
    );
    assert!(
        screen.contains("Every table's row count matches"),
        "{screen}"
    );
    let returned = SqliteStore::open(&back).await.unwrap();
    assert_eq!(counts(&returned).await, counts(&sqlite).await);
    assert_eq!(users_through_a_server(&back).await, USERS as u64);
}
