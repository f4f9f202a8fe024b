//! Reading a person's dossier: identify once, then the APIs the habilitation covers, all
//! with the same jeton.

pub(crate) mod administrative;
pub(crate) mod diagnostic;
pub(crate) mod orientation;
pub(crate) mod registration;

use cdb_connector::{ConnectorError, IdentityKeys};
use chrono::Utc;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::auth::ScopeSet;
use crate::config::FranceTravailConfig;
use crate::dossier::{JobSeekerDossier, OrientationEntry, RawPayload};
use crate::identify::{Identification, UserToken, identify};
use crate::transport::{Call, Transport};

use self::administrative::AdministrativeInfo;
use self::diagnostic::DiagnosticDossier;
use self::orientation::FtOrientation;
use self::registration::ContractAnswer;

/// Reads everything the configured scopes allow about the person the keys designate.
pub(crate) async fn read_dossier(
    transport: &Transport,
    config: &FranceTravailConfig,
    keys: &IdentityKeys,
) -> Result<JobSeekerDossier, ConnectorError> {
    let who = Identification::from_keys(keys)?;
    let parts = &config.scopes;
    // One token for the whole read: the jeton is then used under the token that found it.
    let scopes = ScopeSet::of(
        std::iter::once(parts.search.as_str()).chain(
            [
                &parts.administrative,
                &parts.registration,
                &parts.diagnostic,
                &parts.orientation,
            ]
            .into_iter()
            .flatten()
            .map(String::as_str),
        ),
    );
    let user = identify(transport, &scopes, &who, config.accept_uncertified_identity).await?;
    let reader = Reader {
        transport,
        scopes: &scopes,
        user: &user,
    };
    let (administrative, registration, diagnostic, orientations) = tokio::try_join!(
        reader.get_if::<AdministrativeInfo>(
            parts.administrative.is_some(),
            "GET informations-administratives",
            administrative::PATH,
            &[],
        ),
        reader.get_if::<ContractAnswer>(
            parts.registration.is_some(),
            "GET contrat-usager",
            registration::PATH,
            &[],
        ),
        reader.get_if::<DiagnosticDossier>(
            parts.diagnostic.is_some(),
            "GET diagnostic-argumente",
            diagnostic::PATH,
            &[],
        ),
        reader.get_if::<Vec<FtOrientation>>(
            parts.orientation.is_some(),
            "GET lectureOrientation",
            orientation::PATH,
            &[("etatOrientation", "OUVERT")],
        ),
    )?;
    drop(user);
    let mut raw = Vec::new();
    let administrative = kept(&mut raw, administrative::API, administrative);
    let registration = kept(&mut raw, registration::API, registration);
    let diagnostic = kept(&mut raw, diagnostic::API, diagnostic);
    let orientations = kept(&mut raw, orientation::API, orientations);
    let as_of = Utc::now();
    let subject = subject(&who, administrative.as_ref());
    let administrative = administrative.unwrap_or_default();
    let diagnostic = diagnostic.unwrap_or_default();
    Ok(JobSeekerDossier {
        record_id: JobSeekerDossier::record_id_for(&subject),
        keys: subject,
        as_of,
        identity: administrative.identity(),
        contact: administrative.contact(),
        address: administrative.address(),
        registration: registration.and_then(|r| r.registration()),
        diagnostic: diagnostic.diagnostic(),
        projects: diagnostic.projects(),
        orientations: orientations
            .unwrap_or_default()
            .iter()
            .map(|o| OrientationEntry {
                key: o.key(),
                orientation: o.orientation(),
            })
            .collect(),
        raw,
    })
}

/// Keeps an answer's JSON as received, and answers its typed reading.
fn kept<T>(
    raw: &mut Vec<RawPayload>,
    api: &'static str,
    answer: Option<(T, serde_json::Value)>,
) -> Option<T> {
    let (typed, body) = answer?;
    raw.push(RawPayload { api, body });
    Some(typed)
}

/// The keys France Travail confirmed: the ones it was searched by, completed by those of
/// its administrative answer.
fn subject(who: &Identification, administrative: Option<&AdministrativeInfo>) -> IdentityKeys {
    let mut keys = IdentityKeys::default();
    match who {
        Identification::NirAndBirthDate { nir, .. } => keys.nir = Some(nir.clone()),
        Identification::Number(id) => keys.france_travail_id = Some(id.clone()),
    }
    if let Some(info) = administrative {
        keys.nir = info.nir().or(keys.nir);
        keys.france_travail_id = info.france_travail_id().or(keys.france_travail_id);
        keys.name_and_birth = info.name_and_birth();
    }
    keys
}

/// Calls about one identified person.
struct Reader<'a> {
    transport: &'a Transport,
    scopes: &'a ScopeSet,
    user: &'a UserToken,
}

impl Reader<'_> {
    /// Reads one API when `enabled`, typed and as received; "no content" and "not found"
    /// read as nothing.
    async fn get_if<T: DeserializeOwned>(
        &self,
        enabled: bool,
        name: &'static str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<(T, serde_json::Value)>, ConnectorError> {
        if !enabled {
            return Ok(None);
        }
        let call = Call {
            name,
            method: Method::GET,
            path: path.to_owned(),
            query,
            body: None,
            user: Some(self.user),
            scopes: self.scopes,
            idempotent: true,
        };
        match self.transport.call(&call).await {
            Ok(answer) if answer.is_empty() => Ok(None),
            Ok(answer) => {
                let body: serde_json::Value = answer.json(name)?;
                let typed = T::deserialize(&body).map_err(|e| {
                    // serde's message names the field and position, never the value.
                    ConnectorError::Invalid(format!("unreadable answer to {name}: {e}"))
                })?;
                Ok(Some((typed, body)))
            }
            Err(failure) if matches!(failure.error, ConnectorError::NotFound) => Ok(None),
            Err(failure) => Err(failure.error),
        }
    }
}
