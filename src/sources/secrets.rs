//! Connector secrets at rest are sealed by the hub's one secret box (`auth::secret_box`).

pub use crate::auth::secret_box::{SecretBox, SecretsError};
