//! Orientation usager v1, sending side: the département's orientation decision.

use cdb_connector::records::Orientation;
use cdb_connector::{ConnectorError, PushOutcome};
use reqwest::Method;
use serde_json::json;

use crate::auth::ScopeSet;
use crate::config::PartnerOrganisation;
use crate::identify::UserToken;
use crate::read::orientation::parcours_code;
use crate::transport::{Call, Transport};

const PATH: &str = "/partenaire/orientationusager/v1/orientation";

/// Sends the orientation (201 expected; France Travail returns no id for it).
pub(crate) async fn send(
    transport: &Transport,
    scopes: &ScopeSet,
    user: &UserToken,
    partner: &PartnerOrganisation,
    orientation: &Orientation,
) -> Result<PushOutcome, ConnectorError> {
    let Some(kind) = orientation.kind else {
        return Err(ConnectorError::Invalid(
            "an orientation without a kind (PED, PSO, PSP) cannot be sent".to_owned(),
        ));
    };
    let origin = orientation
        .origin
        .as_deref()
        .unwrap_or(&partner.orientation_origin);
    let call = Call {
        name: "POST orientation",
        method: Method::POST,
        path: PATH.to_owned(),
        query: &[],
        body: Some(json!({
            "origine": origin,
            "parcours": parcours_code(kind),
            "organisme": partner.code,
        })),
        user: Some(user),
        scopes,
        idempotent: false,
    };
    transport.call(&call).await.map_err(|f| f.error)?;
    Ok(PushOutcome::Applied { remote_id: None })
}
