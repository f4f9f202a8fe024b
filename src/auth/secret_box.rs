//! Secrets at rest — connector secrets and the keys signing access tokens: sealed with
//! AES-256-GCM under a key kept outside the database (`CDB_SECRETS_KEY`, `CDB_SECRETS_KEY_FILE`,
//! or a key file created in the data directory, refused when others may read it), bound to
//! their owner's id so a sealed value cannot be moved to another one.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use uuid::Uuid;

/// Why secrets could not be sealed, opened or the key loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The key is not 32 bytes of base64.
    #[error("the secrets key must be 32 bytes in base64 ({0})")]
    BadKey(String),
    /// The key file could not be read or created.
    #[error("secrets key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A shared database (`DATABASE_URL`) without a key given to every process.
    #[error(
        "with DATABASE_URL, set CDB_SECRETS_KEY (32 random bytes in base64, e.g. `openssl rand -base64 32`) \
         or CDB_SECRETS_KEY_FILE: every process on this database must seal and open secrets with the same \
         key, and a key created here would belong to this machine or container alone"
    )]
    KeyRequired,
    /// A sealed value does not open with this key (another key, altered, or another instance).
    #[error("the sealed secrets do not open with this hub's key")]
    Unreadable,
    /// The system's random generator failed.
    #[error("no randomness available")]
    Random,
}

/// The key that seals connector secrets.
pub struct SecretBox {
    key: LessSafeKey,
    /// A key of its own for keyed digests, derived from the hub's key (never the same bytes
    /// for two purposes).
    digests: ring::hmac::Key,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// A box from 32 key bytes.
    pub fn from_key(bytes: &[u8]) -> Result<Self, SecretsError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| SecretsError::BadKey(format!("{} bytes", bytes.len())))?;
        let derived = ring::digest::digest(
            &ring::digest::SHA256,
            &[b"cdb-hub keyed digests\0".as_slice(), bytes].concat(),
        );
        Ok(Self {
            key: LessSafeKey::new(unbound),
            digests: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()),
        })
    }

    /// A box from the key in base64.
    pub fn from_base64(text: &str) -> Result<Self, SecretsError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| SecretsError::BadKey(e.to_string()))?;
        Self::from_key(&bytes)
    }

    /// The hub's key: `CDB_SECRETS_KEY` (base64), else the file `CDB_SECRETS_KEY_FILE`, else —
    /// only on the hub's own embedded database — `secrets.key` in the data directory, created
    /// (mode 0600) on first use. On a shared database (`shared_database`: `DATABASE_URL` is
    /// set) one of the two settings is required.
    pub fn load(data_dir: &Path, shared_database: bool) -> Result<Self, SecretsError> {
        if let Ok(key) = std::env::var("CDB_SECRETS_KEY")
            && !key.trim().is_empty()
        {
            return Self::from_base64(&key);
        }
        let path = match std::env::var("CDB_SECRETS_KEY_FILE") {
            Ok(path) if !path.trim().is_empty() => PathBuf::from(path),
            _ if shared_database => return Err(SecretsError::KeyRequired),
            _ => data_dir.join("secrets.key"),
        };
        let file_error = |reason: String| SecretsError::KeyFile {
            path: path.clone(),
            reason,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                // A key others may read opens every secret of the hub: refuse it, as ssh does.
                let mode = std::fs::metadata(&path)
                    .map_err(|e| file_error(e.to_string()))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(file_error(format!(
                        "readable by others (mode {:o}): run `chmod 600` on it",
                        mode & 0o777
                    )));
                }
                Self::from_base64(&text)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| SecretsError::Random)?;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(|e| file_error(e.to_string()))?;
                file.write_all(STANDARD.encode(bytes).as_bytes())
                    .map_err(|e| file_error(e.to_string()))?;
                tracing::info!(path = %path.display(), "connector secrets key created");
                Self::from_key(&bytes)
            }
            Err(error) => Err(file_error(error.to_string())),
        }
    }

    /// A keyed digest of a value for a purpose (hex, 128 bits): a stable id that nobody without
    /// the hub's key can link back to the value, such as a NIR.
    pub fn keyed_id(&self, purpose: &str, value: &str) -> String {
        let tag = ring::hmac::sign(&self.digests, format!("{purpose}\0{value}").as_bytes());
        tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Seals a value for an instance: nonce followed by ciphertext and tag.
    pub fn seal(&self, instance: Uuid, plain: &[u8]) -> Result<Vec<u8>, SecretsError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SecretsError::Random)?;
        let mut sealed = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(instance.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SecretsError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a value sealed for this instance.
    pub fn open(&self, instance: Uuid, sealed: &[u8]) -> Result<Vec<u8>, SecretsError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretsError::Unreadable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretsError::Unreadable)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(instance.as_bytes()), &mut buffer)
            .map_err(|_| SecretsError::Unreadable)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_instance() {
        let secrets = SecretBox::from_key(&[7u8; 32]).unwrap();
        let instance = Uuid::new_v4();
        let sealed = secrets.seal(instance, b"s3cr3t").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"));
        assert_eq!(secrets.open(instance, &sealed).unwrap(), b"s3cr3t");
        assert!(
            secrets.open(Uuid::new_v4(), &sealed).is_err(),
            "bound to its instance"
        );
        let other = SecretBox::from_key(&[8u8; 32]).unwrap();
        assert!(other.open(instance, &sealed).is_err());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(secrets.open(instance, &altered).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretBox::load(dir.path(), false).unwrap();
        let sealed = first.seal(Uuid::nil(), b"x").unwrap();
        let again = SecretBox::load(dir.path(), false).unwrap();
        assert_eq!(again.open(Uuid::nil(), &sealed).unwrap(), b"x");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secrets.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_key_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        SecretBox::load(dir.path(), false).unwrap();
        let path = dir.path().join("secrets.key");
        for mode in [0o644, 0o640, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let Err(error) = SecretBox::load(dir.path(), false) else {
                panic!("mode {mode:o} was accepted");
            };
            assert!(error.to_string().contains("readable by others"), "{error}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(SecretBox::load(dir.path(), false).is_ok());
    }

    #[test]
    fn a_bad_key_is_refused() {
        assert!(SecretBox::from_base64("bm90IDMyIGJ5dGVz").is_err());
    }
}
