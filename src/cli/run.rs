//! What each sub-command does, from validated settings to a clean exit.

use std::net::TcpListener;
use std::time::Duration;

use anyhow::Context;

use crate::app::{AppState, http_server, shutdown_signal};
use crate::auth::secret_box::SecretBox;
use crate::cli::{Command, DemoOptions, ServeOptions, WorkerOptions};
use crate::config::Settings;
use crate::postgres::Database;

/// Runs one sub-command to completion.
pub async fn run(settings: Settings, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Openapi => {
            print!("{}", crate::api::contract::to_yaml(&crate::app::openapi()));
            Ok(())
        }
        Command::Migrate => {
            let database = open(&settings).await?;
            database.close().await;
            tracing::info!("database is migrated");
            Ok(())
        }
        Command::Demo(options) => {
            let database = open(&settings).await?;
            let result = until_signal(load_demo(&database, &options)).await;
            database.close().await;
            result
        }
        Command::Serve(options) => serve(&settings, options).await,
        Command::Worker(options) => work(&settings, options).await,
        Command::Deployments(command) => {
            administer(&settings, move |conn| {
                crate::cli::admin::deployments(conn, command)
            })
            .await
        }
        Command::Accounts(command) => {
            administer(&settings, move |conn| {
                crate::cli::admin::accounts(conn, command)
            })
            .await
        }
        Command::Clients(command) => {
            let as_env = matches!(
                command,
                crate::cli::ClientsCommand::Create { env: true, .. }
            );
            let answer = administered(&settings, move |conn| {
                crate::cli::admin::clients(conn, command)
            })
            .await?;
            if as_env {
                // Client ids and secrets are URL-safe: no quoting needed beyond the quotes.
                for (name, member) in [
                    ("CDB_CLIENT_ID", "client_id"),
                    ("CDB_CLIENT_SECRET", "client_secret"),
                ] {
                    println!(
                        "export {name}='{}'",
                        answer[member].as_str().unwrap_or_default()
                    );
                }
            } else {
                println!("{}", serde_json::to_string_pretty(&answer)?);
            }
            Ok(())
        }
        Command::Keys(command) => {
            let secrets = std::sync::Arc::new(SecretBox::load(
                &settings.data_dir,
                settings.shared_database(),
            )?);
            administer(&settings, move |conn| {
                crate::cli::admin::keys(conn, command, secrets)
            })
            .await
        }
        Command::Retention(crate::cli::RetentionCommand::Sweep { as_of }) => {
            let as_of = crate::domain::retention::sweep_instant(as_of, chrono::Utc::now())?;
            administer(&settings, move |conn| {
                let report = crate::lifecycle::retention::sweep(conn, as_of)?;
                Ok(serde_json::to_value(report)?)
            })
            .await
        }
        Command::CheckWebhookReceiver(options) => check_receiver(&options).await,
        Command::Import(options) => {
            let database = open(&settings).await?;
            let pool = database.pool.clone();
            let mut import =
                tokio::task::spawn_blocking(move || crate::cli::import::run(&pool, &options));
            // Interrupted, the import stops at its next checkpoint; then the cluster stops.
            let result = tokio::select! {
                result = &mut import => result,
                () = shutdown_signal() => {
                    crate::cli::import::INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
                    eprintln!("interrupted: stopping at the next checkpoint…");
                    import.await
                }
            }
            .context("the import stopped unexpectedly");
            database.close().await;
            let summary = result??;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
    }
}

/// Runs an administration command on a migrated database and prints its JSON answer.
async fn administer<F>(settings: &Settings, command: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut diesel::PgConnection) -> anyhow::Result<serde_json::Value> + Send + 'static,
{
    let answer = administered(settings, command).await?;
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}

/// Runs an administration command on one connection; answers what it answered.
async fn administered<F>(settings: &Settings, command: F) -> anyhow::Result<serde_json::Value>
where
    F: FnOnce(&mut diesel::PgConnection) -> anyhow::Result<serde_json::Value> + Send + 'static,
{
    let database = open(settings).await?;
    let pool = database.pool.clone();
    let result = until_signal(async {
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            command(&mut conn)
        })
        .await
        .context("the command stopped unexpectedly")
    })
    .await;
    database.close().await;
    result?
}

/// Runs a command's work until it ends or SIGINT/SIGTERM comes (then its connections are cut
/// when the caller closes the database, and an embedded cluster stops with it).
async fn until_signal<T>(
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        result = work => result,
        () = shutdown_signal() => Err(anyhow::anyhow!("interrupted by a signal")),
    }
}

async fn open(settings: &Settings) -> anyhow::Result<Database> {
    let database = Database::open(settings).await?;
    if let Err(error) = database.migrate().await {
        database.close().await;
        return Err(error.into());
    }
    Ok(database)
}

async fn load_demo(database: &Database, options: &DemoOptions) -> anyhow::Result<()> {
    let pool = database.pool.clone();
    let beneficiaries = options.beneficiaries;
    let summary = tokio::task::spawn_blocking(move || crate::demo::load(&pool, beneficiaries))
        .await
        .context("the demo loader stopped unexpectedly")??;
    tracing::info!(
        deployments = summary.deployments,
        beneficiaries_created = summary.beneficiaries_created,
        elapsed_ms = summary.elapsed.as_millis() as u64,
        "demo data loaded"
    );
    println!("{}", serde_json::to_string(&summary.as_json())?);
    Ok(())
}

async fn serve(settings: &Settings, options: ServeOptions) -> anyhow::Result<()> {
    let database = open(settings).await?;
    let result = serve_on(
        &database,
        &options,
        &settings.data_dir,
        settings.shared_database(),
    )
    .await;
    database.close().await;
    result
}

async fn serve_on(
    database: &Database,
    options: &ServeOptions,
    data_dir: &std::path::Path,
    shared_database: bool,
) -> anyhow::Result<()> {
    if options.demo {
        load_demo(
            database,
            &DemoOptions {
                beneficiaries: options.demo_beneficiaries,
            },
        )
        .await?;
    }
    // The demo is the partners' sandbox: their webhook receivers run on their own machine.
    let mut worker = options.worker.clone();
    if options.demo {
        worker.webhooks_allow_private = true;
        worker.webhooks_allow_http = true;
    }
    let grace = Duration::from_secs(worker.shutdown_grace_secs);
    let listener = TcpListener::bind(options.listen)
        .with_context(|| format!("cannot listen on {} (CDB_LISTEN)", options.listen))?;
    let pool = database.pool.clone();
    let auth = options.auth.settings();
    let secrets = std::sync::Arc::new(SecretBox::load(data_dir, shared_database)?);
    let state_secrets = secrets.clone();
    let state = tokio::task::spawn_blocking(move || AppState::build(pool, auth, state_secrets))
        .await
        .context("start-up stopped unexpectedly")??
        .with_webhooks(worker.webhook_settings())?
        .with_connector_rules(worker.connector_rules());
    let clients = state.clients.clone();
    tokio::spawn(crate::postgres::notifications::follow(
        database.jobs_pool.clone(),
        crate::auth::client_cache::CHANGES,
        move |change| clients.announced(change),
    ));
    let server = http_server(state, listener, grace)?;
    let server_handle = server.handle();
    let monitor = crate::jobs::monitor(database, &worker, secrets)?;
    let (stop_workers, workers_stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(monitor.run_with_signal(async move {
        let _ = workers_stopped.await;
        Ok(())
    }));
    tracing::info!(listen = %options.listen, "cdb-hub is serving");
    let server_task = tokio::spawn(server);
    shutdown_signal().await;
    let _ = stop_workers.send(());
    server_handle.stop(true).await;
    let _ = server_task.await;
    drain_workers(workers, grace).await;
    Ok(())
}

async fn work(settings: &Settings, options: WorkerOptions) -> anyhow::Result<()> {
    let database = open(settings).await?;
    let result = async {
        let secrets = std::sync::Arc::new(SecretBox::load(
            &settings.data_dir,
            settings.shared_database(),
        )?);
        let monitor = crate::jobs::monitor(&database, &options, secrets)?;
        let workers = tokio::spawn(monitor.run_with_signal(async {
            shutdown_signal().await;
            Ok(())
        }));
        tracing::info!("cdb-hub workers are running");
        match workers.await {
            Ok(Ok(())) => tracing::info!("workers drained"),
            Ok(Err(error)) => tracing::warn!(%error, "workers stopped with an error"),
            Err(error) => tracing::warn!(%error, "the worker monitor panicked"),
        }
        anyhow::Ok(())
    }
    .await;
    database.close().await;
    result
}

async fn drain_workers(
    workers: tokio::task::JoinHandle<Result<(), apalis::prelude::MonitorError>>,
    grace: Duration,
) {
    match tokio::time::timeout(grace + Duration::from_secs(1), workers).await {
        Ok(Ok(Ok(()))) => tracing::info!("workers drained"),
        Ok(Ok(Err(error))) => tracing::warn!(%error, "workers stopped with an error"),
        Ok(Err(error)) => tracing::warn!(%error, "the worker monitor panicked"),
        Err(_) => {
            tracing::warn!("workers did not drain in time; their jobs will be picked up again")
        }
    }
}

/// Probes a partner's webhook receiver; prints one JSON line per probe and fails unless it
/// accepted only the valid one.
async fn check_receiver(options: &crate::cli::CheckReceiverOptions) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let verdicts =
        crate::outbound::receiver_check::check(&client, &options.url, &options.secret).await;
    for verdict in &verdicts {
        println!("{}", serde_json::to_string(verdict)?);
    }
    let wrong: Vec<&str> = verdicts.iter().filter(|v| !v.ok).map(|v| v.probe).collect();
    if wrong.is_empty() {
        eprintln!("the receiver accepts the valid delivery and refuses the four others");
        Ok(())
    } else {
        anyhow::bail!("the receiver mishandled: {}", wrong.join(", "))
    }
}
