//! Finding a person at France Travail (rechercher-usager v2) and the perishable *jeton
//! usager* that the other calls about them need.

use std::fmt;

use cdb_connector::{ConnectorError, FranceTravailId, IdentityKeys, Nir};
use chrono::NaiveDate;
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use serde_json::json;

use crate::auth::ScopeSet;
use crate::codes::ReturnCode;
use crate::transport::{Call, Transport};

const BY_NIR: &str = "/partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir";
const BY_NUMBER: &str = "/partenaire/rechercher-usager/v2/usagers/par-numero-francetravail";

/// The *jeton usager*: France Travail's short-lived handle on one person.
///
/// It is not an identity: it is never returned by the crate, stored, logged or put in a
/// record, and its `Debug` output is redacted.
pub(crate) struct UserToken(String);

impl UserToken {
    /// The jeton, to redact it from remote messages.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The `ft-jeton-usager` header value, marked sensitive so HTTP logging skips it.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, ConnectorError> {
        let mut value = HeaderValue::from_str(&self.0).map_err(|_| {
            ConnectorError::Invalid("the jeton usager is not a header value".to_owned())
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserToken([redacted])")
    }
}

/// How a person is looked for at France Travail, in rdv-insertion's order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identification {
    /// By NIR and birth date (par-datenaissance-et-nir).
    NirAndBirthDate {
        /// The NIR.
        nir: Nir,
        /// The birth date France Travail checks it against.
        birth_date: NaiveDate,
    },
    /// By France Travail number (par-numero-francetravail).
    Number(FranceTravailId),
}

impl Identification {
    /// Picks NIR + birth date when both are known, else the France Travail number.
    pub fn from_keys(keys: &IdentityKeys) -> Result<Self, ConnectorError> {
        let birth_date = keys.name_and_birth.as_ref().map(|n| n.birth_date);
        match (&keys.nir, birth_date, &keys.france_travail_id) {
            (Some(nir), Some(birth_date), _) => Ok(Self::NirAndBirthDate {
                nir: nir.clone(),
                birth_date,
            }),
            (_, _, Some(id)) => Ok(Self::Number(id.clone())),
            _ => Err(ConnectorError::Invalid(
                "France Travail needs a NIR with a birth date, or a France Travail number"
                    .to_owned(),
            )),
        }
    }
}

/// The rechercher-usager v2 answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchAnswer {
    code_retour: Option<String>,
    message: Option<String>,
    jeton_usager: Option<String>,
    top_identite_certifiee: Option<String>,
}

/// Finds the person and returns their jeton, or why not.
pub(crate) async fn identify(
    transport: &Transport,
    scopes: &ScopeSet,
    who: &Identification,
    accept_uncertified: bool,
) -> Result<UserToken, ConnectorError> {
    let (path, body) = match who {
        // France Travail wants the 13 significant characters of the NIR.
        Identification::NirAndBirthDate { nir, birth_date } => (
            BY_NIR,
            json!({ "dateNaissance": birth_date.format("%Y-%m-%d").to_string(), "nir": nir.as_str() }),
        ),
        Identification::Number(id) => (BY_NUMBER, json!({ "numeroFranceTravail": id.as_str() })),
    };
    let call = Call {
        name: "POST rechercher-usager",
        method: Method::POST,
        path: path.to_owned(),
        query: &[],
        body: Some(body),
        user: None,
        scopes,
        idempotent: true,
    };
    let answer = transport.call(&call).await.map_err(|f| f.error)?;
    if answer.is_empty() {
        // rdv-insertion sees empty answers for unknown people too.
        return Err(ConnectorError::NotFound);
    }
    let search: SearchAnswer = answer.json(call.name)?;
    let message = crate::codes::sanitise(search.message.as_deref().unwrap_or(""));
    let code = search.code_retour.as_deref().unwrap_or("");
    match ReturnCode::parse(code) {
        Some(ReturnCode::Found) => {}
        Some(other) => {
            return Err(other.to_error(&message).unwrap_or(ConnectorError::NotFound));
        }
        None => {
            return Err(ConnectorError::Invalid(format!(
                "rechercher-usager answered the unknown code {:?}",
                crate::codes::sanitise(code)
            )));
        }
    }
    let certified = search.top_identite_certifiee.as_deref() == Some("O");
    if !certified && !accept_uncertified {
        // les-emplois refuses them too: writing FT data on an uncertified identity risks
        // attaching it to the wrong person.
        tracing::info!("France Travail found a person whose identity is not certified");
        return Err(ConnectorError::NotFound);
    }
    match search.jeton_usager {
        Some(token) if !token.is_empty() && token != "null" => Ok(UserToken(token)),
        _ => Err(ConnectorError::Invalid(
            "rechercher-usager found the person but gave no jeton".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use cdb_connector::NameAndBirth;

    use super::*;

    #[test]
    fn nir_and_birth_date_come_first() {
        let birth_date = NaiveDate::from_ymd_opt(1998, 7, 11).unwrap();
        let keys = IdentityKeys {
            nir: Some(Nir::parse("1041174010081").unwrap()),
            france_travail_id: Some(FranceTravailId::parse("12345678900").unwrap()),
            name_and_birth: Some(NameAndBirth {
                first_name: "John".to_owned(),
                last_name: "Doe".to_owned(),
                birth_date,
            }),
            ..IdentityKeys::default()
        };
        assert!(matches!(
            Identification::from_keys(&keys).unwrap(),
            Identification::NirAndBirthDate { .. }
        ));
        let number_only = IdentityKeys {
            name_and_birth: None,
            ..keys.clone()
        };
        assert!(matches!(
            Identification::from_keys(&number_only).unwrap(),
            Identification::Number(_)
        ));
        assert!(matches!(
            Identification::from_keys(&IdentityKeys::default()),
            Err(ConnectorError::Invalid(_))
        ));
    }

    #[test]
    fn the_jeton_never_shows() {
        let token = UserToken("a_long_token".to_owned());
        assert_eq!(format!("{token:?}"), "UserToken([redacted])");
        assert!(token.header_value().unwrap().is_sensitive());
    }
}
