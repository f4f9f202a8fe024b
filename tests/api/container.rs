//! The container an operator runs (no container engine runs in CI, so the files are read and
//! checked): `compose.yaml` starts PostgreSQL 15, one `serve` and one `worker` sharing the
//! secrets key; the Dockerfile pins its images, caches dependencies apart from the sources and
//! keeps its data in a volume; and a hub restarted with the same key opens what it sealed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn compose_starts_postgresql_a_hub_and_a_worker_sharing_one_secrets_key() {
    let mut document: yaml_serde::Value = yaml_serde::from_str(&read("compose.yaml")).unwrap();
    document.apply_merge().unwrap();
    let compose: Value = serde_json::to_value(&document).unwrap();
    let services = &compose["services"];
    let db = &services["db"];
    assert!(
        db["image"].as_str().unwrap().starts_with("postgres:15."),
        "PostgreSQL 15, pinned: {}",
        db["image"]
    );
    assert!(db["healthcheck"]["test"].to_string().contains("pg_isready"));
    for (name, command) in [("serve", "serve"), ("worker", "worker")] {
        let hub = &services[name];
        assert_eq!(hub["command"][0], command, "{name}");
        let environment = &hub["environment"];
        assert!(
            environment["DATABASE_URL"]
                .as_str()
                .unwrap()
                .contains("@db:5432/"),
            "{name}"
        );
        assert_eq!(
            environment["CDB_SECRETS_KEY"], "${CDB_SECRETS_KEY:?set CDB_SECRETS_KEY}",
            "{name}: the one key, required"
        );
        assert!(
            hub["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v.as_str().unwrap().ends_with(":/var/lib/cdb-hub/data")),
            "{name}: its data directory in a volume"
        );
        assert_eq!(hub["depends_on"]["db"]["condition"], "service_healthy");
    }
    assert_eq!(
        services["worker"]["depends_on"]["serve"]["condition"], "service_healthy",
        "the worker starts once the hub has migrated the database"
    );
    assert!(
        services["serve"]["ports"][0]
            .as_str()
            .unwrap()
            .ends_with(":8080")
    );
}

#[test]
fn the_dockerfile_pins_its_images_caches_dependencies_and_keeps_data_in_a_volume() {
    let dockerfile = read("Dockerfile");
    for line in dockerfile
        .lines()
        .filter(|l| l.starts_with("ARG ") && l.contains("_IMAGE="))
    {
        let image = line.split('=').nth(1).unwrap();
        let tag = image.split(':').nth(1).unwrap_or("latest");
        assert!(
            tag.split('-').next().unwrap().matches('.').count() >= 1 && tag != "latest",
            "{image}: a version, not a floating tag"
        );
    }
    let cook = dockerfile.find("cargo chef cook").unwrap();
    let sources = dockerfile[cook..]
        .find("COPY . .")
        .map(|i| i + cook)
        .unwrap();
    let build = dockerfile.find("cargo build --release").unwrap();
    assert!(
        cook < sources && sources < build,
        "dependencies before sources"
    );
    assert!(dockerfile.contains("VOLUME [\"/var/lib/cdb-hub/data\"]"));
    assert!(dockerfile.contains("CDB_DATA_DIR=/var/lib/cdb-hub/data"));
    let ignored = read(".dockerignore");
    for entry in ["target/", ".cdb-data/", ".git/", "*.key"] {
        assert!(ignored.lines().any(|l| l == entry), "{entry} not ignored");
    }
}

#[test]
fn a_hub_restarted_with_the_same_key_opens_what_it_sealed_and_another_key_does_not() {
    let database = crate::support::TestDatabase::new();
    let key = |byte: u8| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    };
    // serve seals its token signing key at first start; each start must open it again.
    let start = |secrets_key: String| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let mut child = Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
            .env("DATABASE_URL", &database.url)
            .env("CDB_SECRETS_KEY", secrets_key)
            .env("CDB_LOG_LEVEL", "warn")
            .args(["serve", "--listen", &address.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready = loop {
            if std::net::TcpStream::connect(address).is_ok() {
                break true;
            }
            if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let output = child.wait_with_output().unwrap();
        (ready, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (first, log) = start(key(7));
    assert!(first, "{log}");
    let (again, log) = start(key(7));
    assert!(again, "restarted with its key: {log}");
    let (other, log) = start(key(8));
    assert!(!other, "another key opens nothing");
    assert!(log.contains("do not open"), "{log}");
}
