//! The API's changelog (`api-changelog.json`, newest first): its newest version is the
//! contract's `info.version`, it is written into the contract's description and served at
//! `/changelog`. Each entry records the digest of the contract it describes, so that a test
//! fails when the contract changes without an entry.

use actix_web::{HttpResponse, get};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The changelog as committed.
const TEXT: &str = include_str!("../../api-changelog.json");

/// One version of the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Its semantic version.
    pub version: String,
    /// When it was published.
    pub date: String,
    /// SHA-256 of the contract it describes (paths and components), or empty for old entries.
    pub contract: String,
    /// What changed.
    pub changes: Vec<Change>,
}

/// One change of a version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// `added`, `changed`, `deprecated`, `removed` or `fixed`.
    pub kind: String,
    /// What, for a partner developer.
    pub text: String,
}

/// The releases, newest first (empty if the committed file were unreadable: a test forbids it).
pub fn releases() -> Vec<Release> {
    serde_json::from_str(TEXT).unwrap_or_default()
}

/// The API's current version.
pub fn current_version() -> String {
    releases()
        .first()
        .map(|release| release.version.clone())
        .unwrap_or_else(|| "0.0.0".to_owned())
}

/// The changelog as Markdown, for the contract's description.
pub fn markdown() -> String {
    let mut text = String::from("## Changelog\n");
    for release in releases() {
        text.push_str(&format!("\n### {} — {}\n\n", release.version, release.date));
        for change in &release.changes {
            text.push_str(&format!("- **{}**: {}\n", change.kind, change.text));
        }
    }
    text
}

/// The digest a changelog entry records: the contract's paths and components.
pub fn digest_of(contract: &serde_json::Value) -> String {
    let described = serde_json::json!({
        "paths": contract["paths"],
        "components": contract["components"],
    });
    Sha256::digest(described.to_string().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The API's changelog, newest first.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Every version, newest first, with what changed.", body = Vec<Release>))
)]
#[get("/changelog")]
pub async fn changelog() -> HttpResponse {
    HttpResponse::Ok().json(releases())
}
