//! Test support: one throwaway PostgreSQL cluster per test process (or the server of
//! `DATABASE_URL`), one database per test cloned from a migrated template, and the real app
//! started on a random port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use cdb_hub::app::{AppState, http_server};
use cdb_hub::postgres::embedded::{ClusterConfig, EmbeddedCluster};
use cdb_hub::postgres::{DbPool, diesel_pool};
use diesel::prelude::*;
use uuid::Uuid;

const TEMPLATE: &str = "cdb_test_template";

/// Where test databases are created.
enum Server {
    Embedded { cluster_url: fn(&str) -> String },
    External { base: String },
}

struct Shared {
    server: Server,
    template: String,
}

static CLUSTER: Mutex<Option<EmbeddedCluster>> = Mutex::new(None);
static CLUSTER_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
static SHARED: OnceLock<Shared> = OnceLock::new();
static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Where the test process's logs go: kept in memory so that tests can search them.
struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = LOGS.lock() {
            logs.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged so far by this test process, at every level down to trace.
pub fn captured_logs() -> String {
    LOGS.lock()
        .map(|logs| String::from_utf8_lossy(&logs).into_owned())
        .unwrap_or_default()
}

fn capture_logs() {
    use tracing_subscriber::prelude::*;
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("trace"))
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(|| CapturedLogs),
        )
        .try_init();
}

extern "C" fn stop_cluster_at_exit() {
    if let Ok(mut guard) = CLUSTER.lock()
        && let Some(mut cluster) = guard.take()
    {
        let _ = cluster.stop();
    }
    if let Ok(mut dir) = CLUSTER_DIR.lock()
        && let Some(dir) = dir.take()
    {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn embedded_url(database: &str) -> String {
    CLUSTER
        .lock()
        .ok()
        .and_then(|guard| guard.as_ref().map(|cluster| cluster.url(database)))
        .expect("the test cluster is running")
}

/// Swaps the database name of a PostgreSQL URL.
fn with_database(base: &str, database: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (base, String::new()),
    };
    let authority_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match head[authority_end..].find('/') {
        Some(slash) => &head[..authority_end + slash],
        None => head,
    };
    format!("{root}/{database}{query}")
}

impl Shared {
    fn url(&self, database: &str) -> String {
        match &self.server {
            Server::Embedded { cluster_url } => cluster_url(database),
            Server::External { base } => with_database(base, database),
        }
    }
}

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        tls_provider();
        capture_logs();
        let server = match std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            Some(base) => Server::External { base },
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("cdb-test-pg-")
                    .tempdir()
                    .expect("temporary directory")
                    .keep();
                make_traversable(&dir);
                let cluster = EmbeddedCluster::start(&ClusterConfig {
                    data_dir: dir.join("data"),
                    bin_dir: std::env::var_os("CDB_POSTGRES_BIN_DIR").map(PathBuf::from),
                    durable: false,
                })
                .expect("the test PostgreSQL cluster starts");
                *CLUSTER.lock().expect("cluster lock") = Some(cluster);
                *CLUSTER_DIR.lock().expect("cluster directory lock") = Some(dir.clone());
                unsafe {
                    nix::libc::atexit(stop_cluster_at_exit);
                }
                Server::Embedded {
                    cluster_url: embedded_url,
                }
            }
        };
        let template = format!("{TEMPLATE}_{}", std::process::id());
        let shared = Shared { server, template };
        prepare_template(&shared);
        shared
    })
}

/// The postgres user must reach the cluster directory when the tests run as root.
pub fn make_traversable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
}

fn admin_connection(shared: &Shared) -> PgConnection {
    PgConnection::establish(&shared.url("postgres")).unwrap_or_else(|error| {
        panic!(
            "the test cluster cannot be reached ({error}); the end of its log:\n{}",
            server_log_tail()
        )
    })
}

/// The last lines of the embedded test cluster's log (why it stopped, when it did).
fn server_log_tail() -> String {
    let Some(dir) = CLUSTER_DIR.lock().ok().and_then(|dir| dir.clone()) else {
        return "(an external server: see its own log)".into();
    };
    let log = std::fs::read_to_string(dir.join("data/server.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn prepare_template(shared: &Shared) {
    let mut admin = admin_connection(shared);
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        shared.template
    ))
    .execute(&mut admin)
    .expect("drop old template");
    diesel::sql_query(format!("CREATE DATABASE {}", shared.template))
        .execute(&mut admin)
        .expect("create template");
    let url = shared.url(&shared.template);
    {
        let mut conn = PgConnection::establish(&url).expect("template connection");
        cdb_hub::postgres::run_migrations(&mut conn).expect("migrations apply");
    }
    runtime().block_on(async {
        let pool = apalis_postgres::PgPool::connect(&url)
            .await
            .expect("job storage pool");
        apalis_postgres::PostgresStorage::<()>::setup(&pool)
            .await
            .expect("job storage set-up");
        pool.close().await;
    });
}

/// A runtime for set-up work done outside a test's own runtime.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// A database of its own for one test, cloned from the migrated template.
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// Its libpq URL.
    pub url: String,
}

impl TestDatabase {
    /// Creates a fresh migrated database.
    pub fn new() -> Self {
        let shared = shared();
        let name = format!("cdb_test_{}", Uuid::new_v4().simple());
        let mut admin = admin_connection(shared);
        diesel::sql_query(format!(
            "CREATE DATABASE {name} TEMPLATE {}",
            shared.template
        ))
        .execute(&mut admin)
        .expect("clone the template");
        let url = shared.url(&name);
        Self { name, url }
    }

    /// An empty database (no migration applied).
    pub fn empty() -> Self {
        let shared = shared();
        let name = format!("cdb_test_{}", Uuid::new_v4().simple());
        let mut admin = admin_connection(shared);
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create database");
        let url = shared.url(&name);
        Self { name, url }
    }

    /// A diesel pool on it.
    pub fn pool(&self) -> DbPool {
        diesel_pool(&self.url, 4).expect("pool")
    }

    /// One diesel connection.
    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connection")
    }
}

impl Drop for TestDatabase {
    /// Drops the database at the end of its test, on the embedded cluster too: kept, the ~150
    /// databases of a run filled the disk of a CI machine (2.4 GB and growing), and the cluster
    /// stopped under the tests that followed. Never panics (a test may be unwinding).
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::panic::catch_unwind(move || {
            PgConnection::establish(&shared().url("postgres")).and_then(|mut admin| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
            })
        });
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("the test database {} could not be dropped", self.name);
        }
    }
}

/// Drops a database, closing its connections.
pub fn drop_database(name: &str) {
    let mut admin = admin_connection(shared());
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .expect("drop database");
}

/// The real application on a random port of 127.0.0.1.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub address: String,
    /// The app's database.
    pub database: TestDatabase,
    /// An HTTP client.
    pub client: reqwest::Client,
}

/// The connector rules of the test apps: inboxes under one folder of the machine's temporary
/// directory (a folder per deployment), and any France Travail host (the mocks are local).
pub fn connector_rules() -> cdb_hub::sources::operator::ConnectorRules {
    cdb_hub::sources::operator::ConnectorRules {
        inbox_root: Some(std::env::temp_dir().join("cdb-hub-test-inboxes")),
        allow_any_host: true,
    }
}

/// The connector runs due now, as the worker's tick finds them (inboxes taken first).
pub fn due_runs(pool: &cdb_hub::postgres::DbPool) -> Vec<uuid::Uuid> {
    tokio::task::block_in_place(|| {
        cdb_hub::jobs::connector_runs::due_runs(pool, &connector_rules())
    })
    .expect("the tick runs")
}

/// Runs a connector run in this process, as the worker does.
pub async fn execute_run(pool: &cdb_hub::postgres::DbPool, run: uuid::Uuid) {
    cdb_hub::sources::runner::execute(pool, &test_secrets(), &connector_rules(), run)
        .await
        .expect("the run executes");
}

/// A fresh inbox directory of a deployment, under the test apps' inbox root.
pub fn inbox_of(deployment: uuid::Uuid) -> tempfile::TempDir {
    let folder = connector_rules()
        .inbox_root
        .expect("an inbox root")
        .join(deployment.to_string());
    std::fs::create_dir_all(&folder).expect("the deployment's inbox folder");
    tempfile::tempdir_in(folder).expect("an inbox")
}

/// Starts the app on its own fresh database.
pub async fn spawn_app() -> TestApp {
    let database = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .expect("database");
    spawn_app_on(database).await
}

/// Authentication settings of the test apps: generous limits (a test that exercises the
/// limiter starts its own app with tight ones).
pub fn test_auth_settings() -> cdb_hub::auth::AuthSettings {
    cdb_hub::auth::AuthSettings {
        rate_limit_per_minute: 100_000,
        sign_in_rate_limit_per_minute: 100_000,
        ..Default::default()
    }
}

/// Starts the app on a given (migrated) database.
pub async fn spawn_app_on(database: TestDatabase) -> TestApp {
    spawn_app_with(database, test_auth_settings()).await
}

/// The process's TLS provider (ring), as `main` installs it: with the whole workspace built
/// together, reqwest has rustls without a provider of its own.
pub fn tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts the app with given authentication settings.
pub async fn spawn_app_with(database: TestDatabase, auth: cdb_hub::auth::AuthSettings) -> TestApp {
    spawn_app_configured(database, auth, Default::default(), connector_rules()).await
}

/// Starts the app on its own fresh database with given webhook settings (the wiremock
/// endpoints of the tests are on 127.0.0.1, over http).
pub async fn spawn_app_with_webhooks(settings: cdb_hub::outbound::WebhookSettings) -> TestApp {
    let database = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .expect("database");
    spawn_app_configured(database, test_auth_settings(), settings, connector_rules()).await
}

/// Starts the app with given authentication and webhook settings.
pub async fn spawn_app_configured(
    database: TestDatabase,
    auth: cdb_hub::auth::AuthSettings,
    webhooks: cdb_hub::outbound::WebhookSettings,
    rules: cdb_hub::sources::operator::ConnectorRules,
) -> TestApp {
    tls_provider();
    let pool = database.pool();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().expect("local address").port();
    let state = tokio::task::spawn_blocking(move || AppState::build(pool, auth, test_secrets()))
        .await
        .expect("state task")
        .expect("state builds")
        .with_webhooks(webhooks)
        .expect("webhook client builds")
        .with_connector_rules(rules);
    let server = http_server(state, listener, Duration::from_secs(1)).expect("server starts");
    tokio::spawn(server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        database,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    }
}

impl TestApp {
    /// GET a path of the app.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }
}

#[test]
fn with_database_swaps_only_the_database() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/db?sslmode=disable", "other"),
        "postgres://u:p@h:5432/other?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

/// Sends a JSON request with a bearer token and an optional If-Match; answers the status, the
/// JSON body (null when none) and the ETag.
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: serde_json::Value,
    if_match: Option<&str>,
) -> (u16, serde_json::Value, Option<String>) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token)
        .json(&body);
    if let Some(etag) = if_match {
        request = request.header("If-Match", etag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
        etag,
    )
}

/// The connector secrets key of the tests.
pub fn test_secrets() -> std::sync::Arc<cdb_hub::auth::secret_box::SecretBox> {
    std::sync::Arc::new(cdb_hub::auth::secret_box::SecretBox::from_key(&[42u8; 32]).expect("key"))
}
