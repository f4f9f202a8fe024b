//! The one PostgreSQL server: connection pools, the embedded default cluster, migrations and
//! the job storage's schema.

pub mod binaries;
pub mod embedded;
pub mod notifications;

use std::path::{Path, PathBuf};
use std::time::Duration;

use apalis_postgres::{PgConnectOptions, PgPool, PostgresStorage};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use thiserror::Error;

use crate::config::{DatabaseSetting, Settings};
use embedded::{ClusterConfig, EmbeddedCluster};

/// The schema migrations, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Name of the hub's database inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "cdb_hub";

/// Pool of diesel connections.
pub type DbPool = Pool<ConnectionManager<PgConnection>>;
/// One pooled diesel connection.
pub type DbConnection = PooledConnection<ConnectionManager<PgConnection>>;

/// Why the embedded cluster cannot be used.
#[derive(Debug, Error)]
pub enum EmbeddedError {
    /// No server binaries on this machine.
    #[error(
        "no DATABASE_URL is set and the PostgreSQL server programs (initdb, pg_ctl, postgres) were not found in {looked_in}.\n\
         Either install the PostgreSQL server, version 15 or newer (Debian/Ubuntu: `apt-get install postgresql`), \
         or set DATABASE_URL=postgres://user:password@host:5432/database to use an existing server."
    )]
    BinariesNotFound {
        /// Where we looked.
        looked_in: String,
    },
    /// Running as root with no `postgres` user to hand over to.
    #[error(
        "running as root, the embedded PostgreSQL must run as the `postgres` system user, which does not exist; create it (`useradd -r postgres`), run the hub as a normal user, or set DATABASE_URL"
    )]
    NoPostgresUser,
    /// The data directory holds something else than a cluster.
    #[error(
        "{0} exists and is not empty but holds no PostgreSQL cluster; move it away or choose another CDB_DATA_DIR"
    )]
    NotACluster(PathBuf),
    /// The cluster was made by another major version.
    #[error(
        "the embedded cluster was created by PostgreSQL {cluster} but the binaries found are {binaries}; set CDB_POSTGRES_BIN_DIR to PostgreSQL {cluster}'s bin directory or use another CDB_DATA_DIR"
    )]
    VersionMismatch {
        /// Major version of the cluster.
        cluster: String,
        /// Version of the binaries.
        binaries: String,
    },
    /// A PostgreSQL program failed.
    #[error("{what} failed: {output}")]
    Command {
        /// Which program.
        what: String,
        /// Its exit status and output.
        output: String,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl EmbeddedError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Why the database cannot be opened or prepared.
#[derive(Debug, Error)]
pub enum DatabaseError {
    /// The embedded cluster failed.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// A connection or pool failed.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// Setting up the job storage failed.
    #[error("job storage set-up failed: {0}")]
    JobStorage(String),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
}

/// The database of a hub process: its pools, and the embedded cluster when it runs one.
pub struct Database {
    /// Pool for our own queries (diesel).
    pub pool: DbPool,
    /// Pool of the job storage (apalis, sqlx).
    pub jobs_pool: PgPool,
    /// The embedded cluster, if used; stopped when the database is closed.
    cluster: Option<EmbeddedCluster>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects to DATABASE_URL, or starts the embedded cluster and creates its database.
    pub async fn open(settings: &Settings) -> Result<Self, DatabaseError> {
        match &settings.database {
            DatabaseSetting::External(external) => {
                let pool = diesel_pool(&external.url, pool_size())?;
                let jobs_pool = jobs_pool(external.options.clone()).await?;
                Ok(Self {
                    pool,
                    jobs_pool,
                    cluster: None,
                })
            }
            DatabaseSetting::Embedded { bin_dir } => {
                let config = ClusterConfig {
                    data_dir: settings.data_dir.join("postgres"),
                    bin_dir: bin_dir.clone(),
                    durable: true,
                };
                let cluster = tokio::task::spawn_blocking(move || EmbeddedCluster::start(&config))
                    .await
                    .map_err(|e| DatabaseError::Connect(e.to_string()))??;
                Self::on_cluster(cluster, EMBEDDED_DATABASE).await
            }
        }
    }

    /// Uses a database of a running embedded cluster, creating it if missing.
    pub async fn on_cluster(
        cluster: EmbeddedCluster,
        database: &str,
    ) -> Result<Self, DatabaseError> {
        let admin_url = cluster.url("postgres");
        let name = database.to_owned();
        tokio::task::spawn_blocking(move || create_database_if_missing(&admin_url, &name))
            .await
            .map_err(|e| DatabaseError::Connect(e.to_string()))??;
        let pool = diesel_pool(&cluster.url(database), pool_size())?;
        let jobs_pool = jobs_pool(cluster.connect_options(database)).await?;
        Ok(Self {
            pool,
            jobs_pool,
            cluster: Some(cluster),
        })
    }

    /// Applies our migrations, then the job storage's own (in its `apalis` schema).
    pub async fn migrate(&self) -> Result<(), DatabaseError> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| DatabaseError::Connect(e.to_string()))?;
            run_migrations(&mut conn)
        })
        .await
        .map_err(|e| DatabaseError::Migration(e.to_string()))??;
        PostgresStorage::<()>::setup(&self.jobs_pool)
            .await
            .map_err(|e| DatabaseError::JobStorage(e.to_string()))
    }

    /// Closes the pools and stops the embedded cluster if this process started it.
    pub async fn close(mut self) {
        self.jobs_pool.close().await;
        drop(self.pool);
        if let Some(mut cluster) = self.cluster.take() {
            let result = tokio::task::spawn_blocking(move || cluster.stop()).await;
            if let Ok(Err(error)) = result {
                tracing::error!(%error, "could not stop the embedded PostgreSQL");
            }
        }
    }
}

/// Applies the pending migrations on one connection.
///
/// Processes starting together on one database take turns: the migrations run under a
/// session advisory lock, and the next process finds nothing left to apply.
pub fn run_migrations(conn: &mut PgConnection) -> Result<(), DatabaseError> {
    let lock = |conn: &mut PgConnection, function: &str| {
        diesel::sql_query(format!("SELECT {function}({MIGRATION_LOCK})"))
            .execute(conn)
            .map_err(|e| DatabaseError::Migration(e.to_string()))
    };
    lock(conn, "pg_advisory_lock")?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| {
            if !applied.is_empty() {
                tracing::info!(count = applied.len(), "database migrations applied");
            }
        })
        .map_err(|e| DatabaseError::Migration(e.to_string()));
    let unlocked = lock(conn, "pg_advisory_unlock");
    applied.and(unlocked.map(|_| ()))
}

/// The advisory lock key of the migrations (any fixed number no other lock of the hub uses).
const MIGRATION_LOCK: i64 = 0x0cdb_4b0b_0001;

/// Whether every migration compiled into this binary is applied.
pub fn is_migrated(conn: &mut PgConnection) -> Result<bool, DatabaseError> {
    conn.has_pending_migration(MIGRATIONS)
        .map(|pending| !pending)
        .map_err(|e| DatabaseError::Migration(e.to_string()))
}

/// Builds a diesel pool; connections are checked out with a short timeout so that an
/// unreachable server answers quickly instead of hanging requests.
pub fn diesel_pool(url: &str, size: u32) -> Result<DbPool, DatabaseError> {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(false)
        .connection_customizer(Box::new(SessionSettings))
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(|e| DatabaseError::Connect(e.to_string()))
}

/// The settings of every session of the pool, whatever the server's configuration.
#[derive(Debug, Clone, Copy)]
struct SessionSettings;

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        // The hub's statements are short: compiling them with LLVM never pays for itself (it
        // showed up in the profile of a 110,000-line import).
        diesel::sql_query("SET jit = off")
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

async fn jobs_pool(options: PgConnectOptions) -> Result<PgPool, DatabaseError> {
    PgPool::connect_with(options)
        .await
        .map_err(|e| DatabaseError::Connect(e.to_string()))
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

/// Creates a database of the server if it does not exist yet.
pub fn create_database_if_missing(admin_url: &str, name: &str) -> Result<(), DatabaseError> {
    let mut conn =
        PgConnection::establish(admin_url).map_err(|e| DatabaseError::Connect(e.to_string()))?;
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut conn)?;
    if !found.exists {
        diesel::sql_query(format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\"")))
            .execute(&mut conn)?;
        tracing::info!(database = name, "database created");
    }
    Ok(())
}

/// Connections of the diesel pool: `CDB_DB_POOL_SIZE`, or 16.
fn pool_size() -> u32 {
    std::env::var("CDB_DB_POOL_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(16)
}
