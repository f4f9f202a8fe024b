//! The kinds of connector instances: what settings and secrets each takes, checked when an
//! instance is created or changed, and how the France Travail connector is built from them.

use std::num::NonZeroU32;

use cdb_france_travail::smime::DecryptionKey;
use cdb_france_travail::{FranceTravailConfig, FranceTravailConnector, Secret};
use serde::Deserialize;

pub use crate::domain::states::ConnectorKind;

/// A setting or secret that is wrong, for the API's error list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// `config.<name>` or `secrets.<name>`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Settings of a France Travail instance (no secrets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FranceTravailSettings {
    /// OAuth2 client id of the département's habilitation.
    pub client_id: String,
    /// Token server base URL (default: the real one).
    pub auth_base_url: Option<String>,
    /// Partner APIs base URL (default: the real one).
    pub api_base_url: Option<String>,
    /// OAuth2 realm (default `/agent`).
    pub realm: Option<String>,
    /// Quota: calls a second (default 4).
    pub calls_per_second: Option<u32>,
    /// A directory the instance watches for weekly extract files.
    pub inbox_dir: Option<String>,
}

/// Secrets of a France Travail instance.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FranceTravailSecrets {
    /// OAuth2 client secret.
    pub client_secret: String,
    /// PEM RSA private key (PKCS#8 or PKCS#1) opening the S/MIME extract files France
    /// Travail encrypts for the département; without it, only clear extracts are read.
    pub extract_private_key: Option<String>,
}

/// Secrets of a departmental instance receiving events.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSecrets {
    /// The HMAC key the system signs its events with (`X-RDVI-SIGNATURE`).
    pub webhook_secret: String,
}

/// Settings of a file-fed instance (CAF/MSA flux, departmental exports).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// A directory the instance watches for new files.
    pub inbox_dir: Option<String>,
    /// Mapping profile of departmental exports (`cdb`, the default, `iodas`, `webrsa_frsa`,
    /// `cnaf_contacts`).
    pub profile: Option<String>,
    /// Create the notebook of unknown entrants subject to droits et devoirs (CAF/MSA).
    pub create_entrants: Option<bool>,
}

fn error(field: &str, message: impl Into<String>) -> SettingError {
    SettingError {
        field: field.into(),
        message: message.into(),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(
    prefix: &str,
    value: &serde_json::Value,
) -> Result<T, SettingError> {
    serde_json::from_value(value.clone()).map_err(|e| error(prefix, e.to_string()))
}

/// The France Travail configuration from an instance's settings and secrets.
pub fn france_travail_config(
    config: &serde_json::Value,
    secrets: &serde_json::Value,
) -> Result<FranceTravailConfig, SettingError> {
    let settings: FranceTravailSettings = parse("config", config)?;
    let secrets: FranceTravailSecrets = parse("secrets", secrets)?;
    let mut ft = FranceTravailConfig::new(settings.client_id, Secret::new(secrets.client_secret));
    if let Some(url) = settings.auth_base_url {
        ft.auth_base_url = url;
    }
    if let Some(url) = settings.api_base_url {
        ft.api_base_url = url;
    }
    if let Some(realm) = settings.realm {
        ft.realm = realm;
    }
    if let Some(rate) = settings.calls_per_second {
        ft.calls_per_second = NonZeroU32::new(rate)
            .filter(|r| r.get() <= 100)
            .ok_or_else(|| error("config.calls_per_second", "between 1 and 100"))?;
    }
    ft.validate()
        .map_err(|e| error("config", format!("invalid France Travail settings: {e}")))?;
    Ok(ft)
}

/// Checks an instance's settings and secrets for its kind.
pub fn validate(
    kind: ConnectorKind,
    config: &serde_json::Value,
    secrets: Option<&serde_json::Value>,
) -> Result<(), SettingError> {
    match kind {
        ConnectorKind::FranceTravail => {
            let secrets = secrets.ok_or_else(|| {
                error(
                    "secrets.client_secret",
                    "a France Travail instance needs its client secret",
                )
            })?;
            france_travail_config(config, secrets)?;
            extract_key(secrets)?;
            inbox(config.get("inbox_dir").and_then(|d| d.as_str()))
        }
        ConnectorKind::CafMsa | ConnectorKind::Departement => {
            let settings = parse::<FileSettings>("config", config)?;
            if let Some(profile) = settings.profile.as_deref()
                && (kind != ConnectorKind::Departement
                    || cdb_departement::Profile::named(profile).is_none())
            {
                let names: Vec<&str> = cdb_departement::Profile::all()
                    .iter()
                    .map(cdb_departement::Profile::name)
                    .collect();
                return Err(error(
                    "config.profile",
                    format!(
                        "{profile:?} is not a mapping profile of departmental exports ({})",
                        names.join(", ")
                    ),
                ));
            }
            if kind == ConnectorKind::Departement
                && let Some(secrets) = secrets
            {
                parse::<EventSecrets>("secrets", secrets)?;
            }
            inbox(settings.inbox_dir.as_deref())
        }
    }
}

/// An inbox directory must be an absolute path.
fn inbox(dir: Option<&str>) -> Result<(), SettingError> {
    match dir {
        Some(dir) if !std::path::Path::new(dir).is_absolute() => Err(error(
            "config.inbox_dir",
            "an absolute path on the workers' machine",
        )),
        _ => Ok(()),
    }
}

/// Checks an instance's settings against what the operator allows: its inbox in its
/// deployment's folder of the inbox root, its France Travail URLs on the real hosts.
pub fn allowed(
    rules: &super::operator::ConnectorRules,
    deployment: uuid::Uuid,
    config: &serde_json::Value,
) -> Result<(), SettingError> {
    if let Some(dir) = config.get("inbox_dir").and_then(|d| d.as_str())
        && !dir.trim().is_empty()
    {
        rules
            .inbox(deployment, dir)
            .map_err(|refused| error("config.inbox_dir", refused.0))?;
    }
    for field in ["auth_base_url", "api_base_url"] {
        if let Some(url) = config.get(field).and_then(|u| u.as_str()) {
            rules
                .france_travail_url(url)
                .map_err(|refused| error(&format!("config.{field}"), refused.0))?;
        }
    }
    Ok(())
}

/// The key opening the instance's encrypted extract files, when its secrets hold one.
pub fn extract_key(secrets: &serde_json::Value) -> Result<Option<DecryptionKey>, SettingError> {
    let secrets: FranceTravailSecrets = parse("secrets", secrets)?;
    secrets
        .extract_private_key
        .filter(|pem| !pem.trim().is_empty())
        .map(|pem| DecryptionKey::from_pem(&pem))
        .transpose()
        // The key error names the formats tried, never the key's content.
        .map_err(|e| error("secrets.extract_private_key", e.to_string()))
}

/// Builds the France Travail connector of an instance, its hosts checked again against the
/// operator's rules (they may have changed since the instance was saved).
pub fn france_travail(
    rules: &super::operator::ConnectorRules,
    config: &serde_json::Value,
    secrets: &serde_json::Value,
) -> Result<FranceTravailConnector, SettingError> {
    let config = france_travail_config(config, secrets)?;
    for (field, url) in [
        ("config.auth_base_url", &config.auth_base_url),
        ("config.api_base_url", &config.api_base_url),
    ] {
        rules
            .france_travail_url(url)
            .map_err(|refused| error(field, refused.0))?;
    }
    FranceTravailConnector::new(config).map_err(|e| error("config", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_france_travail_instance_needs_a_client_and_its_secret() {
        let config = json!({"client_id": "PAR_cd93", "api_base_url": "http://127.0.0.1:9/"});
        assert!(validate(ConnectorKind::FranceTravail, &config, None).is_err());
        assert!(
            validate(
                ConnectorKind::FranceTravail,
                &config,
                Some(&json!({"client_secret": "s"}))
            )
            .is_ok()
        );
        let unknown = json!({"client_id": "x", "password": "leak"});
        let refused = validate(
            ConnectorKind::FranceTravail,
            &unknown,
            Some(&json!({"client_secret": "s"})),
        );
        assert_eq!(refused.unwrap_err().field, "config");
        let fast = json!({"client_id": "x", "calls_per_second": 0});
        assert!(
            validate(
                ConnectorKind::FranceTravail,
                &fast,
                Some(&json!({"client_secret": "s"}))
            )
            .is_err()
        );
    }

    #[test]
    fn an_extract_key_must_be_an_rsa_pem_key() {
        let config = json!({"client_id": "PAR_cd93"});
        let refused = validate(
            ConnectorKind::FranceTravail,
            &config,
            Some(&json!({"client_secret": "s", "extract_private_key": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"})),
        )
        .unwrap_err();
        assert_eq!(refused.field, "secrets.extract_private_key");
        assert!(!refused.message.contains("c2VjcmV0"), "{}", refused.message);
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/connectors/france-travail/tests/fixtures/test_key_pkcs1.pem"
        ))
        .unwrap();
        let secrets = json!({"client_secret": "s", "extract_private_key": pem});
        assert!(validate(ConnectorKind::FranceTravail, &config, Some(&secrets)).is_ok());
        assert!(extract_key(&secrets).unwrap().is_some());
        assert!(
            extract_key(&json!({"client_secret": "s"}))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn file_fed_instances_take_an_inbox_and_unknown_kinds_are_refused() {
        assert!(
            validate(
                ConnectorKind::CafMsa,
                &json!({"inbox_dir": "/srv/caf"}),
                None
            )
            .is_ok()
        );
        assert!(
            "ftp".parse::<ConnectorKind>().is_err(),
            "an unknown kind is refused before any setting"
        );
        assert!(
            validate(
                ConnectorKind::Departement,
                &json!({"profile": "iodas"}),
                None
            )
            .is_ok()
        );
        let unknown = validate(
            ConnectorKind::Departement,
            &json!({"profile": "solis"}),
            None,
        );
        assert_eq!(unknown.unwrap_err().field, "config.profile");
        assert!(validate(ConnectorKind::CafMsa, &json!({"profile": "iodas"}), None).is_err());
    }

    #[test]
    fn a_run_reaches_france_travail_only_on_hosts_the_operator_allows() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = json!({"client_id": "PAR_cd93", "api_base_url": "http://127.0.0.1:9/"});
        let secrets = json!({"client_secret": "s3cret"});
        let strict = super::super::operator::ConnectorRules::default();
        let refused = france_travail(&strict, &config, &secrets)
            .err()
            .map(|e| e.field);
        assert_eq!(refused.as_deref(), Some("config.api_base_url"));
        let sandbox = super::super::operator::ConnectorRules {
            allow_any_host: true,
            ..Default::default()
        };
        assert!(france_travail(&sandbox, &config, &secrets).is_ok());
        let real = json!({"client_id": "PAR_cd93"});
        assert!(
            france_travail(&strict, &real, &secrets).is_ok(),
            "the defaults are the real hosts"
        );
    }
}
