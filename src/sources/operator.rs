//! What an operator allows connector instances to reach: the inbox directories (one folder per
//! deployment under `CDB_INBOX_ROOT`) and the France Travail hosts (the real ones unless
//! `CDB_CONNECTORS_ALLOW_ANY_HOST` is set, for a sandbox or a mock). A manager's settings are
//! checked against them when saved, and the inboxes again each time they are read.

use std::path::{Component, Path, PathBuf};

use uuid::Uuid;

/// The hosts France Travail really serves its partners from.
pub const FRANCE_TRAVAIL_HOSTS: &[&str] = &["entreprise.francetravail.fr", "api.francetravail.io"];

/// The operator's rules for connector instances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorRules {
    /// The folder under which each deployment's inboxes live (`<root>/<deployment id>/…`);
    /// `None`: no instance may watch a directory.
    pub inbox_root: Option<PathBuf>,
    /// Whether France Travail URLs may name any host (sandboxes, mocks).
    pub allow_any_host: bool,
}

/// Why a setting is refused, in words for the manager.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl ConnectorRules {
    /// The inbox directory a deployment's instance may watch: under `<root>/<deployment id>`,
    /// written without `..`, and still there once links are followed.
    pub fn inbox(&self, deployment: Uuid, dir: &str) -> Result<PathBuf, Refused> {
        let Some(root) = &self.inbox_root else {
            return Err(Refused(
                "no inbox root is configured on this hub (CDB_INBOX_ROOT): ask the operator, or upload the files".into(),
            ));
        };
        let own = root.join(deployment.to_string());
        let path = Path::new(dir);
        let lexical = path.is_absolute()
            && !path
                .components()
                .any(|part| matches!(part, Component::ParentDir | Component::CurDir))
            && path.starts_with(&own);
        if !lexical {
            return Err(Refused(format!(
                "an absolute path under {} (this deployment's folder of the inbox root)",
                own.display()
            )));
        }
        // A link inside the folder must not lead out of it (to another deployment's inbox or
        // to the hub's own files).
        if let (Ok(real), Ok(real_own)) = (path.canonicalize(), own.canonicalize())
            && !real.starts_with(&real_own)
        {
            return Err(Refused(format!(
                "{dir} leads out of {} through a link",
                own.display()
            )));
        }
        Ok(path.to_path_buf())
    }

    /// Whether a France Travail URL may be used: one of the real hosts over HTTPS, or any
    /// when the operator allows it.
    pub fn france_travail_url(&self, url: &str) -> Result<(), Refused> {
        if self.allow_any_host {
            return Ok(());
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| Refused(format!("{url:?}: {e}")))?;
        let real = parsed.scheme() == "https"
            && parsed.port().is_none()
            && parsed
                .host_str()
                .is_some_and(|host| FRANCE_TRAVAIL_HOSTS.contains(&host));
        if real {
            Ok(())
        } else {
            Err(Refused(format!(
                "France Travail is reached at https://{} only (the operator may allow other hosts for a sandbox)",
                FRANCE_TRAVAIL_HOSTS.join(" or https://")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(root: &Path) -> ConnectorRules {
        ConnectorRules {
            inbox_root: Some(root.to_path_buf()),
            allow_any_host: false,
        }
    }

    #[test]
    fn an_inbox_lies_in_its_deployments_folder() {
        let root = tempfile::tempdir().unwrap();
        let (mine, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let rules = rules(root.path());
        let own = root.path().join(mine.to_string());
        std::fs::create_dir_all(own.join("caf")).unwrap();
        std::fs::create_dir_all(root.path().join(other.to_string())).unwrap();
        assert!(rules.inbox(mine, own.join("caf").to_str().unwrap()).is_ok());
        for refused in [
            root.path().join(other.to_string()),
            own.join("..").join(other.to_string()),
            root.path().to_path_buf(),
            PathBuf::from("/etc"),
            PathBuf::from("relative/caf"),
        ] {
            assert!(
                rules.inbox(mine, refused.to_str().unwrap()).is_err(),
                "{}",
                refused.display()
            );
        }
        // A link inside the folder towards another deployment's.
        std::os::unix::fs::symlink(root.path().join(other.to_string()), own.join("escape"))
            .unwrap();
        assert!(
            rules
                .inbox(mine, own.join("escape").to_str().unwrap())
                .is_err()
        );
        let none = ConnectorRules::default();
        assert!(
            none.inbox(mine, own.to_str().unwrap()).is_err(),
            "no root, no inbox"
        );
    }

    #[test]
    fn france_travail_is_the_real_hosts_unless_the_operator_allows_others() {
        let strict = ConnectorRules::default();
        assert!(
            strict
                .france_travail_url("https://api.francetravail.io")
                .is_ok()
        );
        assert!(
            strict
                .france_travail_url("https://entreprise.francetravail.fr/")
                .is_ok()
        );
        for url in [
            "https://evil.example",
            "http://api.francetravail.io",
            "https://api.francetravail.io.evil.example",
            "https://api.francetravail.io:8443",
            "http://127.0.0.1:9/",
        ] {
            assert!(strict.france_travail_url(url).is_err(), "{url}");
        }
        let sandbox = ConnectorRules {
            allow_any_host: true,
            ..ConnectorRules::default()
        };
        assert!(sandbox.france_travail_url("http://127.0.0.1:9/").is_ok());
    }
}
