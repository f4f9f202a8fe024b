//! The administration commands of a fresh install: deployments, first accounts, API clients,
//! key rotation. Each prints its result as JSON on standard output.

use anyhow::{Context, anyhow, bail};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use crate::auth::{clients, keys::KeyRing, login};
use crate::cli::{AccountsCommand, ClientsCommand, DeploymentsCommand, KeysCommand};
use crate::domain::role::Role;
use crate::domain::scopes::Scopes;
use crate::schema::{account, admin_cdb, manager};
use crate::store::directory;

/// `cdb-hub deployments …`
pub fn deployments(
    conn: &mut PgConnection,
    command: DeploymentsCommand,
) -> anyhow::Result<serde_json::Value> {
    match command {
        DeploymentsCommand::Create {
            label,
            department_code,
        } => {
            let label = label.trim();
            if label.is_empty() {
                bail!("--label must not be empty");
            }
            if directory::find_deployment(conn, label)?.is_some() {
                bail!("a deployment labelled {label:?} already exists");
            }
            let created = directory::create_deployment(conn, label, department_code.as_deref())?;
            Ok(
                json!({"id": created.id, "label": created.label, "department_code": created.department_code}),
            )
        }
        DeploymentsCommand::List => {
            let all = directory::all_deployments(conn)?;
            Ok(json!(
                all.into_iter()
                    .map(|d| json!({"id": d.id, "label": d.label}))
                    .collect::<Vec<_>>()
            ))
        }
    }
}

/// `cdb-hub accounts …`
pub fn accounts(
    conn: &mut PgConnection,
    command: AccountsCommand,
) -> anyhow::Result<serde_json::Value> {
    let AccountsCommand::Create {
        role,
        email,
        deployment,
        firstname,
        lastname,
        app_url,
        public_url,
    } = command;
    let role: Role = role.parse().map_err(|e: String| anyhow!(e))?;
    let email = email.trim().to_owned();
    if !email.contains('@') {
        bail!("--email {email:?} is not an e-mail address");
    }
    conn.transaction(|conn| {
        let (account_id, deployment_id) = match role {
            Role::AdminCdb => {
                let profile: uuid::Uuid = diesel::insert_into(admin_cdb::table)
                    .values((
                        admin_cdb::email.eq(&email),
                        admin_cdb::firstname.eq(firstname.clone().unwrap_or_default()),
                        admin_cdb::lastname.eq(lastname.clone().unwrap_or_default()),
                    ))
                    .returning(admin_cdb::id)
                    .get_result(conn)
                    .context("an administrator with this e-mail may already exist")?;
                let id: uuid::Uuid = diesel::insert_into(account::table)
                    .values((account::role.eq(role.as_str()), account::admin_cdb_id.eq(profile), account::confirmed.eq(true)))
                    .returning(account::id)
                    .get_result(conn)?;
                (id, None)
            }
            Role::Manager => {
                let deployment = deployment.as_deref().context("--deployment is required for a manager")?;
                let deployment = directory::find_deployment(conn, deployment)?
                    .with_context(|| format!("no deployment {deployment:?} (see `cdb-hub deployments list`)"))?;
                let profile: uuid::Uuid = diesel::insert_into(manager::table)
                    .values((
                        manager::deployment_id.eq(deployment.id),
                        manager::email.eq(&email),
                        manager::firstname.eq(firstname.clone()),
                        manager::lastname.eq(lastname.clone()),
                    ))
                    .returning(manager::id)
                    .get_result(conn)
                    .context("a manager with this e-mail may already exist in this deployment")?;
                let id: uuid::Uuid = diesel::insert_into(account::table)
                    .values((
                        account::role.eq(role.as_str()),
                        account::deployment_id.eq(deployment.id),
                        account::manager_id.eq(profile),
                        account::confirmed.eq(true),
                    ))
                    .returning(account::id)
                    .get_result(conn)?;
                (id, Some(deployment.id))
            }
            other => bail!("accounts create makes admin_cdb and manager accounts; {other} accounts come from imports and from managers"),
        };
        let (key, link) = login::send_link(conn, account_id, &email, login::LinkTo::App(&app_url))?;
        Ok(json!({
            "account_id": account_id,
            "role": role,
            "email": email,
            "deployment_id": deployment_id,
            "login_link": link,
            "console_link": login::console_link(&public_url, &key),
            "login_link_valid_minutes": login::LOGIN_KEY_VALIDITY_MINUTES,
        }))
    })
}

/// `cdb-hub clients …`
pub fn clients(
    conn: &mut PgConnection,
    command: ClientsCommand,
) -> anyhow::Result<serde_json::Value> {
    let ClientsCommand::Create {
        deployment,
        name,
        scopes,
        structure,
        env: _,
    } = command;
    let scopes =
        Scopes::from_names(&scopes).map_err(|e| anyhow!("{e}; known scopes: {}", Scopes::all()))?;
    let deployment = directory::find_deployment(conn, &deployment)?.with_context(|| {
        format!("no deployment {deployment:?} (see `cdb-hub deployments list`)")
    })?;
    let structure = match structure {
        Some(structure) => Some(
            directory::find_structure(conn, deployment.id, &structure)?
                .with_context(|| format!("no structure {structure:?} in {}", deployment.label))?
                .id,
        ),
        None => None,
    };
    let issued = clients::create(conn, deployment.id, structure, name.trim(), scopes, None)?;
    Ok(json!({
        "id": issued.client.id,
        "client_id": issued.client.client_id,
        "client_secret": issued.client_secret,
        "deployment_id": issued.client.deployment_id,
        "structure_id": issued.client.structure_id,
        "name": issued.client.name,
        "scopes": issued.client.scope_names(),
        "token_endpoint": "/oauth/token",
    }))
}

/// `cdb-hub keys …`
pub fn keys(
    conn: &mut PgConnection,
    command: KeysCommand,
    secrets: std::sync::Arc<crate::auth::secret_box::SecretBox>,
) -> anyhow::Result<serde_json::Value> {
    match command {
        KeysCommand::Rotate => {
            let ring = KeyRing::load(conn, secrets)?;
            let kid = ring.rotate(conn)?;
            Ok(json!({"active_kid": kid}))
        }
    }
}
