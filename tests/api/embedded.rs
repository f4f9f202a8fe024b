//! The embedded default cluster and the binary's life cycle, run as a user would.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cdb_hub::postgres::embedded::{ClusterConfig, EmbeddedCluster};
use diesel::prelude::*;

use crate::support::make_traversable;

const BINARY: &str = env!("CARGO_BIN_EXE_cdb-hub");

fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("cdb-embedded-")
        .tempdir()
        .unwrap();
    make_traversable(dir.path());
    dir
}

fn config(dir: &Path) -> ClusterConfig {
    ClusterConfig {
        data_dir: dir.join("postgres"),
        bin_dir: None,
        durable: false,
    }
}

fn hub(data_dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_remove("DATABASE_URL")
        .env("CDB_DATA_DIR", data_dir)
        .env("CDB_LOG_FORMAT", "json")
        .stdin(Stdio::null());
    command
}

#[derive(QueryableByName)]
struct Label {
    #[diesel(sql_type = diesel::sql_types::Text)]
    label: String,
}

#[test]
fn a_cluster_is_created_then_reused_with_its_data() {
    let dir = data_dir();
    {
        let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
        assert!(cluster.is_owned());
        let mut conn = PgConnection::establish(&cluster.url("postgres")).unwrap();
        diesel::sql_query("CREATE TABLE kept (label text)")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("INSERT INTO kept VALUES ('still here')")
            .execute(&mut conn)
            .unwrap();
    } // dropped: stopped
    assert!(
        !dir.path().join("postgres/postmaster.pid").exists(),
        "the cluster was not stopped"
    );
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    let mut conn = PgConnection::establish(&cluster.url("postgres")).unwrap();
    let rows: Vec<Label> = diesel::sql_query("SELECT label FROM kept")
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].label, "still here");
}

#[test]
fn a_stale_postmaster_pid_after_a_crash_is_handled() {
    let dir = data_dir();
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    drop(cluster);
    // A server killed without cleaning up leaves its pid file behind, naming a dead process.
    let pid_file = dir.path().join("postgres/postmaster.pid");
    std::fs::write(
        &pid_file,
        format!(
            "999999\n{}\n1700000000\n5432\n/tmp/cdb-pg-gone\n\n  5432001 0\nready   \n",
            dir.path().join("postgres").display()
        ),
    )
    .unwrap();
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    assert!(cluster.is_owned());
    let mut conn = PgConnection::establish(&cluster.url("postgres")).unwrap();
    diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
}

#[test]
fn a_killed_server_is_recovered_on_the_next_start() {
    let dir = data_dir();
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    let pid_file = dir.path().join("postgres/postmaster.pid");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    std::mem::forget(cluster); // as if the hub had crashed too
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_running(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    let mut conn = PgConnection::establish(&cluster.url("postgres")).unwrap();
    diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
}

#[test]
fn without_binaries_nor_database_url_the_hub_explains_both_ways_out() {
    let dir = data_dir();
    let output = hub(dir.path())
        .env("CDB_POSTGRES_BIN_DIR", dir.path().join("no-such-bin"))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(stderr.contains("install the PostgreSQL server"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_invalid_setting_is_refused_with_its_name() {
    let dir = data_dir();
    let output = hub(dir.path())
        .env("CDB_LOG_LEVEL", "very=[loud")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CDB_LOG_LEVEL"), "{stderr}");
    let output = hub(dir.path())
        .env("CDB_LISTEN", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("listen"));
}

#[test]
fn with_database_url_no_cluster_is_started() {
    let database = crate::support::TestDatabase::empty();
    let dir = data_dir();
    let output = hub(dir.path())
        .env("DATABASE_URL", &database.url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !dir.path().join("postgres").exists(),
        "a cluster was created"
    );
    let mut conn = database.connect();
    assert!(cdb_hub::postgres::is_migrated(&mut conn).unwrap());
}

/// A process that exists and is not a zombie waiting for its parent (here, often pid 1).
fn is_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_ready(address: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(address) {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                stream,
                "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            );
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn sigterm_stops_the_hub_and_its_cluster_and_data_survives_a_restart() {
    let dir = data_dir();
    for round in 0..2 {
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let mut child = hub(dir.path())
            .args(["serve", "--listen", &address])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(
            wait_ready(&address),
            "round {round}: the hub did not become ready"
        );
        let pid_file = dir.path().join("postgres/postmaster.pid");
        let postmaster: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if round == 0 {
            let status = hub(dir.path())
                .args(["demo", "--beneficiaries", "3"])
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "{}",
                String::from_utf8_lossy(&status.stderr)
            );
        }
        let sent = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "round {round}: still running 10 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "round {round}: exit status {status}");
        assert!(
            !pid_file.exists(),
            "round {round}: the cluster was left running"
        );
        assert!(
            !is_running(postmaster),
            "round {round}: postgres process left behind"
        );
    }
    // The demo loaded while the first hub served is still there for a third start.
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    let mut conn =
        PgConnection::establish(&cluster.url(cdb_hub::postgres::EMBEDDED_DATABASE)).unwrap();
    let labels: Vec<Label> = diesel::sql_query("SELECT label FROM deployment ORDER BY label")
        .load(&mut conn)
        .unwrap();
    assert_eq!(labels.len(), 2, "the demo deployments were not kept");
}

#[derive(QueryableByName)]
struct Progress {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    done: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

#[test]
fn ctrl_c_on_an_import_stops_its_cluster_at_a_checkpoint_and_the_import_resumes() {
    let dir = data_dir();
    let created = hub(dir.path())
        .args(["deployments", "create", "--label", "CD T"])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let file = dir.path().join("beneficiaires.csv");
    std::fs::write(&file, crate::imports::file(6_000, &[], "Valence")).unwrap();
    let child = hub(dir.path())
        .args(["import", "--deployment", "CD T"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Watch the import from the cluster the command started (once it is up), until a chunk is
    // committed.
    let pid_file = dir.path().join("postgres/postmaster.pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&pid_file).is_ok_and(|text| text.contains("ready")) {
        assert!(
            Instant::now() < deadline,
            "the import's cluster never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let postmaster = {
        let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
        assert!(!cluster.is_owned(), "the import's own cluster");
        let mut conn =
            PgConnection::establish(&cluster.url(cdb_hub::postgres::EMBEDDED_DATABASE)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(
                Instant::now() < deadline,
                "the import never committed a chunk"
            );
            let progress: Option<Progress> = diesel::sql_query(
                "SELECT rows_done::int8 AS done, status FROM import ORDER BY created_at DESC LIMIT 1",
            )
            .get_result(&mut conn)
            .optional()
            .unwrap_or(None);
            if progress.is_some_and(|p| p.status == "committing" && p.done >= 500) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::read_to_string(dir.path().join("postgres/postmaster.pid"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse::<i32>()
            .unwrap()
    };
    // Ctrl-C.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        !dir.path().join("postgres/postmaster.pid").exists() && !is_running(postmaster),
        "PostgreSQL left running after Ctrl-C: {stderr}"
    );
    let id = stderr
        .split("--resume ")
        .nth(1)
        .and_then(|rest| rest.get(..36))
        .unwrap_or_else(|| panic!("no resume hint: {stderr}"))
        .to_owned();
    // Resumed, it ends with every line once.
    let resumed = hub(dir.path())
        .args(["import", "--deployment", "CD T", "--resume", &id])
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(summary["import"]["status"], "committed", "{summary}");
    assert_eq!(summary["import"]["counts"]["create"], 6_000, "{summary}");
    let cluster = EmbeddedCluster::start(&config(dir.path())).unwrap();
    let mut conn =
        PgConnection::establish(&cluster.url(cdb_hub::postgres::EMBEDDED_DATABASE)).unwrap();
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let people: Count = diesel::sql_query("SELECT count(*) AS count FROM beneficiary")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(people.count, 6_000);
}

#[test]
fn on_a_shared_database_serve_refuses_to_start_without_the_secrets_key() {
    let database = crate::support::TestDatabase::new();
    let dir = data_dir();
    let output = hub(dir.path())
        .env("DATABASE_URL", &database.url)
        .env_remove("CDB_SECRETS_KEY")
        .env_remove("CDB_SECRETS_KEY_FILE")
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("CDB_SECRETS_KEY"), "{stderr}");
    assert!(
        !dir.path().join("secrets.key").exists(),
        "no key of its own was made"
    );
}

/// A `serve` process on a shared database, stopped when dropped.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two `serve` processes on one database: a client revoked by anyone (here an operator's SQL,
/// neither process) is refused by a process that had just let it in, at once, long before its
/// few seconds of cache run out.
#[tokio::test]
async fn a_client_revoked_anywhere_is_refused_by_every_process_at_once() {
    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let database = tokio::task::spawn_blocking(crate::support::TestDatabase::new)
        .await
        .unwrap();
    let dir = data_dir();
    let run = |args: &[&str]| {
        let output = hub(dir.path())
            .env("DATABASE_URL", &database.url)
            .env("CDB_SECRETS_KEY", KEY)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    run(&["deployments", "create", "--label", "CD 26"]);
    let client = run(&[
        "clients",
        "create",
        "--deployment",
        "CD 26",
        "--name",
        "SI",
        "--scope",
        "beneficiaries:read",
    ]);
    let addresses: Vec<String> = (0..2)
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let _processes: Vec<Serving> = addresses
        .iter()
        .map(|address| {
            Serving(
                hub(dir.path())
                    .env("DATABASE_URL", &database.url)
                    .env("CDB_SECRETS_KEY", KEY)
                    .env("CDB_LOG_LEVEL", "warn")
                    .args(["serve", "--listen", address])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    for address in &addresses {
        assert!(wait_ready(address), "{address} is not ready");
    }
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("http://{}/oauth/token", addresses[0]))
        .basic_auth(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let read = || {
        http.get(format!("http://{}/v1/beneficiaries?limit=1", addresses[1]))
            .bearer_auth(&token)
            .header("X-Purpose", "suivi RSA")
            .send()
    };
    // The second process reads the client, and keeps it.
    assert_eq!(read().await.unwrap().status(), 200);
    let kept = Instant::now();
    let mut conn = database.connect();
    diesel::sql_query("UPDATE api_client SET revoked_at = now() WHERE client_id = $1")
        .bind::<diesel::sql_types::Text, _>(client["client_id"].as_str().unwrap())
        .execute(&mut conn)
        .unwrap();
    let revoked = Instant::now();
    let refused = loop {
        let status = read().await.unwrap().status().as_u16();
        if status != 200 || revoked.elapsed() > Duration::from_secs(4) {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(refused, 401);
    assert!(
        revoked.elapsed() < Duration::from_secs(1),
        "refused {:?} after the revocation",
        revoked.elapsed()
    );
    assert!(kept.elapsed() < cdb_hub::auth::client_cache::TTL);
}
