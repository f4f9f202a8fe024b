//! The hub's own PostgreSQL cluster, used when no `DATABASE_URL` is given: created on first
//! run, reused afterwards, listening on a unix socket in a short private directory only.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use apalis_postgres::PgConnectOptions;
use nix::sys::signal::kill;
use nix::unistd::{Gid, Pid, Uid, User};
use rand::Rng;

use super::EmbeddedError;
use super::binaries::PostgresBinaries;

/// Name of the cluster's superuser.
pub const SUPERUSER: &str = "postgres";
/// Port number of the socket file (`.s.PGSQL.<port>`); nothing listens on TCP.
pub const SOCKET_PORT: u16 = 5432;

/// How to start the embedded cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Directory of the cluster's data (`$CDB_DATA_DIR/postgres`).
    pub data_dir: PathBuf,
    /// Explicit binaries directory, else located on this machine.
    pub bin_dir: Option<PathBuf>,
    /// Durability; turned off only for throwaway test clusters.
    pub durable: bool,
}

/// Who runs the PostgreSQL programs: `initdb` refuses root, so root hands over to `postgres`.
#[derive(Debug, Clone, Copy)]
enum RunAs {
    CurrentUser,
    User { uid: Uid, gid: Gid },
}

impl RunAs {
    fn detect() -> Result<Self, EmbeddedError> {
        if !Uid::effective().is_root() {
            return Ok(Self::CurrentUser);
        }
        match User::from_name(SUPERUSER) {
            Ok(Some(user)) => Ok(Self::User {
                uid: user.uid,
                gid: user.gid,
            }),
            _ => Err(EmbeddedError::NoPostgresUser),
        }
    }

    fn command(self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Self::User { uid, gid } = self {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command.env("LC_ALL", "C.UTF-8");
        command
    }

    fn own(self, path: &Path) -> Result<(), EmbeddedError> {
        if let Self::User { uid, gid } = self {
            nix::unistd::chown(path, Some(uid), Some(gid))
                .map_err(|e| EmbeddedError::io(path, std::io::Error::from(e)))?;
        }
        Ok(())
    }
}

/// A running cluster, started by this process (and stopped with it) or found running.
#[derive(Debug)]
pub struct EmbeddedCluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    binaries: PostgresBinaries,
    run_as: RunAs,
    owned: bool,
    stopped: bool,
}

impl EmbeddedCluster {
    /// Creates the cluster if needed and starts it, or attaches to it when it already runs.
    pub fn start(config: &ClusterConfig) -> Result<Self, EmbeddedError> {
        let binaries = PostgresBinaries::locate(config.bin_dir.as_deref())?;
        let run_as = RunAs::detect()?;
        let data_dir = &config.data_dir;
        if let Some(running) = RunningPostmaster::read(data_dir)? {
            tracing::info!(
                pid = running.pid,
                "attaching to the embedded PostgreSQL already running"
            );
            return Ok(Self {
                data_dir: data_dir.clone(),
                socket_dir: running.socket_dir,
                port: running.port,
                binaries,
                run_as,
                owned: false,
                stopped: false,
            });
        }
        if !data_dir.join("PG_VERSION").is_file() {
            initialise(&binaries, run_as, data_dir)?;
        }
        check_version(&binaries, data_dir)?;
        let socket_dir = private_socket_dir(run_as)?;
        let mut cluster = Self {
            data_dir: data_dir.clone(),
            socket_dir,
            port: SOCKET_PORT,
            binaries,
            run_as,
            owned: true,
            stopped: false,
        };
        cluster.launch(config.durable)?;
        Ok(cluster)
    }

    fn launch(&mut self, durable: bool) -> Result<(), EmbeddedError> {
        // The cluster's data is on a local disk and mostly in memory: a random page costs
        // little more than a sequential one (the server's default of 4 is for spinning disks,
        // and made it scan the notebooks of a whole deployment to bump 500 versions).
        let mut server_options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -p {} -c max_connections=200 \
             -c random_page_cost=1.1",
            self.socket_dir.display(),
            self.port
        );
        if !durable {
            server_options
                .push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = self.data_dir.join("server.log");
        let mut command = self.run_as.command(&self.binaries.pg_ctl());
        command
            .arg("start")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-s", "-o", &server_options])
            // Own process group: a Ctrl-C on the terminal reaches the hub, which stops the
            // cluster after draining, instead of killing the database under running work.
            .process_group(0);
        let output = run(command, "pg_ctl start")?;
        if !output.status.success() {
            let log_tail = fs::read_to_string(&log)
                .map(|text| {
                    text.lines()
                        .rev()
                        .take(15)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            return Err(EmbeddedError::Command {
                what: "pg_ctl start".into(),
                output: format!("{}\n{log_tail}", describe(&output)),
            });
        }
        tracing::info!(data_dir = %self.data_dir.display(), socket_dir = %self.socket_dir.display(), "embedded PostgreSQL started");
        Ok(())
    }

    /// Connection options for one database of the cluster.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(self.port)
            .username(SUPERUSER)
            .database(database)
    }

    /// libpq connection URL for one database of the cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@localhost:{}/{database}?host={}",
            self.port,
            self.socket_dir.display()
        )
    }

    /// Whether this process started the cluster (and so stops it).
    pub fn is_owned(&self) -> bool {
        self.owned
    }

    /// Directory of the cluster's data.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the cluster if this process started it (fast shutdown: sessions are closed,
    /// committed data is kept).
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        if self.stopped || !self.owned {
            self.stopped = true;
            return Ok(());
        }
        self.stopped = true;
        let mut command = self.run_as.command(&self.binaries.pg_ctl());
        command
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", "30", "-s"]);
        let output = run(command, "pg_ctl stop")?;
        let _ = fs::remove_dir_all(&self.socket_dir);
        if output.status.success() {
            tracing::info!("embedded PostgreSQL stopped");
            Ok(())
        } else {
            Err(EmbeddedError::Command {
                what: "pg_ctl stop".into(),
                output: describe(&output),
            })
        }
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(%error, "could not stop the embedded PostgreSQL");
        }
    }
}

fn initialise(
    binaries: &PostgresBinaries,
    run_as: RunAs,
    data_dir: &Path,
) -> Result<(), EmbeddedError> {
    if data_dir.exists()
        && fs::read_dir(data_dir)
            .map_err(|e| EmbeddedError::io(data_dir, e))?
            .next()
            .is_some()
    {
        return Err(EmbeddedError::NotACluster(data_dir.to_owned()));
    }
    fs::create_dir_all(data_dir).map_err(|e| EmbeddedError::io(data_dir, e))?;
    fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| EmbeddedError::io(data_dir, e))?;
    run_as.own(data_dir)?;
    tracing::info!(data_dir = %data_dir.display(), "creating the embedded PostgreSQL cluster");
    let mut command = run_as.command(&binaries.initdb());
    command.arg("-D").arg(data_dir).args([
        "-U",
        SUPERUSER,
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-instructions",
    ]);
    let output = run(command, "initdb")?;
    if output.status.success() {
        Ok(())
    } else {
        // Leave no half-made cluster behind: the next run would refuse the directory.
        let _ = fs::remove_dir_all(data_dir);
        Err(EmbeddedError::Command {
            what: "initdb".into(),
            output: describe(&output),
        })
    }
}

fn check_version(binaries: &PostgresBinaries, data_dir: &Path) -> Result<(), EmbeddedError> {
    let cluster = fs::read_to_string(data_dir.join("PG_VERSION"))
        .map_err(|e| EmbeddedError::io(data_dir, e))?;
    let cluster = cluster.trim().to_owned();
    let output = run(
        {
            let mut command = Command::new(binaries.postgres());
            command.arg("--version");
            command
        },
        "postgres --version",
    )?;
    let text = String::from_utf8_lossy(&output.stdout);
    let server_major = text
        .split_whitespace()
        .find_map(|word| {
            word.split('.')
                .next()
                .filter(|major| major.chars().all(|c| c.is_ascii_digit()) && !major.is_empty())
        })
        .unwrap_or_default()
        .to_owned();
    if server_major == cluster {
        Ok(())
    } else {
        Err(EmbeddedError::VersionMismatch {
            cluster,
            binaries: format!("{} ({})", text.trim(), binaries.dir().display()),
        })
    }
}

/// A short private directory for the socket: unix socket paths are limited to ~107 bytes.
fn private_socket_dir(run_as: RunAs) -> Result<PathBuf, EmbeddedError> {
    let suffix: u64 = rand::rng().random();
    let dir = PathBuf::from("/tmp").join(format!("cdb-pg-{suffix:016x}"));
    fs::create_dir(&dir).map_err(|e| EmbeddedError::io(&dir, e))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| EmbeddedError::io(&dir, e))?;
    run_as.own(&dir)?;
    Ok(dir)
}

/// A postmaster found running on the data directory, from its `postmaster.pid`.
struct RunningPostmaster {
    pid: i32,
    port: u16,
    socket_dir: PathBuf,
}

impl RunningPostmaster {
    /// Reads `postmaster.pid`; a file left by a crashed or killed server is removed.
    fn read(data_dir: &Path) -> Result<Option<Self>, EmbeddedError> {
        let pid_file = data_dir.join("postmaster.pid");
        let Ok(text) = fs::read_to_string(&pid_file) else {
            return Ok(None);
        };
        let lines: Vec<&str> = text.lines().collect();
        let pid = lines.first().and_then(|l| l.trim().parse::<i32>().ok());
        let port = lines.get(3).and_then(|l| l.trim().parse::<u16>().ok());
        let socket_dir = lines
            .get(4)
            .map(|l| PathBuf::from(l.trim()))
            .filter(|d| !d.as_os_str().is_empty());
        if let (Some(pid), Some(port), Some(socket_dir)) = (pid, port, socket_dir)
            && is_postgres_process(pid)
            && socket_dir.join(format!(".s.PGSQL.{port}")).exists()
        {
            wait_until_ready(&pid_file);
            return Ok(Some(Self {
                pid,
                port,
                socket_dir,
            }));
        }
        tracing::warn!(pid_file = %pid_file.display(), "removing a stale postmaster.pid left by a server that is no longer running");
        fs::remove_file(&pid_file).map_err(|e| EmbeddedError::io(&pid_file, e))?;
        Ok(None)
    }
}

fn is_postgres_process(pid: i32) -> bool {
    if pid <= 0 || kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    let is_postgres = fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|comm| comm.trim() == "postgres")
        .unwrap_or(false);
    // A zombie (exited, not yet reaped by its parent) is not a running server.
    let is_zombie = fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false);
    is_postgres && !is_zombie
}

fn wait_until_ready(pid_file: &Path) {
    for _ in 0..100 {
        let ready = fs::read_to_string(pid_file)
            .map(|text| {
                text.lines()
                    .nth(7)
                    .is_some_and(|status| status.trim() == "ready")
            })
            .unwrap_or(false);
        if ready {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(mut command: Command, what: &str) -> Result<Output, EmbeddedError> {
    command.output().map_err(|e| EmbeddedError::Command {
        what: what.to_owned(),
        output: e.to_string(),
    })
}

fn describe(output: &Output) -> String {
    format!(
        "{}{}{}",
        output.status,
        match String::from_utf8_lossy(&output.stdout).trim() {
            "" => String::new(),
            text => format!("\n{text}"),
        },
        match String::from_utf8_lossy(&output.stderr).trim() {
            "" => String::new(),
            text => format!("\n{text}"),
        }
    )
}
