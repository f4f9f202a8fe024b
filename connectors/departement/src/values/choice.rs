//! Closed sets of values, in every spelling the départements' exports use: forms of address,
//! sex, household roles, yes/no answers and states of the RSA right.

use cdb_connector::identity::HouseholdRole;
use cdb_connector::records::{RsaState, Sex, Title};

use crate::error::{ErrorCode, Invalid};
use cdb_connector::text::fold;

/// `m`, `m.`, `mr`, `monsieur` → Mr; `mme`, `madame` (and `mlle`, `mademoiselle`) → Mrs.
pub(crate) fn title(raw: &str, label: &str) -> Result<Title, Invalid> {
    let key = fold(raw);
    match key.trim_end_matches('.') {
        "m" | "mr" | "monsieur" | "mons" => Ok(Title::Mr),
        "mme" | "madame" | "mlle" | "melle" | "mademoiselle" => Ok(Title::Mrs),
        _ => Err(unknown(
            ErrorCode::UnknownTitle,
            label,
            raw,
            "M., Monsieur, Mme ou Madame",
        )),
    }
}

/// `Homme`, `H`, `M`, `masculin`, `1` → male; `Femme`, `F`, `féminin`, `2` → female.
pub(crate) fn sex(raw: &str, label: &str) -> Result<Sex, Invalid> {
    match fold(raw).as_str() {
        "homme" | "h" | "m" | "masculin" | "1" => Ok(Sex::Male),
        "femme" | "f" | "feminin" | "2" => Ok(Sex::Female),
        _ => Err(unknown(ErrorCode::UnknownSex, label, raw, "Homme ou Femme")),
    }
}

/// The role in the household, by `cdb_connector`'s one reading (codes and the words exports use).
pub(crate) fn role(raw: &str, label: &str) -> Result<HouseholdRole, Invalid> {
    HouseholdRole::parse(raw).map_err(|_| {
        unknown(
            ErrorCode::UnknownRole,
            label,
            raw,
            "demandeur ou conjoint (ou enfant, autre, responsable du dossier)",
        )
    })
}

/// `oui`/`non`, `o`/`n`, `true`/`false`, `vrai`/`faux`, `1`/`0`, `x` (ticked).
pub(crate) fn boolean(raw: &str, label: &str) -> Result<bool, Invalid> {
    match fold(raw).as_str() {
        "oui" | "o" | "true" | "t" | "vrai" | "v" | "1" | "yes" | "y" | "x" => Ok(true),
        "non" | "n" | "false" | "f" | "faux" | "0" | "no" => Ok(false),
        _ => Err(unknown(ErrorCode::InvalidBoolean, label, raw, "Oui ou Non")),
    }
}

/// The state of the RSA right from an ETATDOSRSA code (`0`…`6`, `Z` = undefined, read as
/// none), a Carnet de bord slug (`rsa_droit_ouvert_versable`) or its French label.
pub(crate) fn rsa_state(raw: &str, label: &str) -> Result<Option<RsaState>, Invalid> {
    let key = fold(raw);
    let code = key.trim_start_matches('0');
    let state = match code {
        "z" => return Ok(None),
        // All zeros: the code 0 (padded or not).
        "" if !key.is_empty() => Some(RsaState::ApplicationPending),
        "1" => Some(RsaState::Refused),
        "2" => Some(RsaState::OpenPayable),
        "3" => Some(RsaState::OpenSuspended),
        "4" => Some(RsaState::OpenPaymentSuspended),
        "5" => Some(RsaState::Closed),
        "6" => Some(RsaState::ClosedEarlier),
        _ => RsaState::ALL
            .iter()
            .copied()
            .find(|state| fold(state.slug()) == key || rsa_labels(*state).any(|l| fold(l) == key)),
    };
    state.map(Some).ok_or_else(|| {
        unknown(
            ErrorCode::UnknownRsaState,
            label,
            raw,
            "un code ETATDOSRSA de 0 à 6, ou un état tel que « Droit ouvert et versable »",
        )
    })
}

/// The French labels of a state: Carnet de bord's, then the CNAF's wording.
fn rsa_labels(state: RsaState) -> impl Iterator<Item = &'static str> {
    let labels: &[&str] = match state {
        RsaState::ApplicationPending => &[
            "Demande en attente",
            "Nouvelle demande en attente de décision CD pour ouverture du droit",
        ],
        RsaState::Refused => &["Droit refusé"],
        RsaState::OpenPayable => &["Droit ouvert et versable"],
        RsaState::OpenSuspended => &["Droit ouvert et suspendu"],
        RsaState::OpenPaymentSuspended => &[
            "Droit ouvert mais versement suspendu",
            "Droit ouvert et versement suspendu",
        ],
        RsaState::Closed => &["Droit clos"],
        RsaState::ClosedEarlier => &["Droit clos sur mois antérieur", "Droit clos antérieur"],
    };
    labels.iter().copied()
}

fn unknown(code: ErrorCode, label: &str, raw: &str, expected: &str) -> Invalid {
    Invalid::new(
        code,
        format!(
            "{label} « {} » n'est pas une valeur reconnue : {expected} attendu",
            raw.trim()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        for raw in ["M", "m.", "Mr", "MONSIEUR"] {
            assert_eq!(title(raw, "La civilité"), Ok(Title::Mr), "{raw}");
        }
        for raw in ["Mme", "madame", "Mlle"] {
            assert_eq!(title(raw, "La civilité"), Ok(Title::Mrs), "{raw}");
        }
        assert_eq!(
            title("Dr", "La civilité").unwrap_err().message,
            "La civilité « Dr » n'est pas une valeur reconnue : M., Monsieur, Mme ou Madame attendu"
        );
    }

    #[test]
    fn roles_as_rdv_insertion_reads_them() {
        for raw in ["usager", "dem", "DEMANDEUR", "Demandeur", "DEM "] {
            assert_eq!(role(raw, "Le rôle"), Ok(HouseholdRole::Applicant), "{raw}");
        }
        for raw in [
            "cjt",
            "CONJOINT/CONCUBIN/PACSE",
            "CONJOINT(E)",
            "Conjoint",
            "Pacsé",
        ] {
            assert_eq!(role(raw, "Le rôle"), Ok(HouseholdRole::Partner), "{raw}");
        }
        assert_eq!(role("Enfant", "Le rôle"), Ok(HouseholdRole::Child));
        assert_eq!(role("Autre", "Le rôle"), Ok(HouseholdRole::Other));
        assert_eq!(role("RDO", "Le rôle"), Ok(HouseholdRole::FileHolder));
        assert_eq!(
            role("chef", "Le rôle").unwrap_err().code,
            ErrorCode::UnknownRole
        );
        assert_eq!(
            role("/", "Le rôle").unwrap_err().code,
            ErrorCode::UnknownRole
        );
    }

    #[test]
    fn sexes_and_booleans() {
        assert_eq!(sex("Homme", "Le sexe"), Ok(Sex::Male));
        assert_eq!(sex("F", "Le sexe"), Ok(Sex::Female));
        assert_eq!(sex("X", "Le sexe").unwrap_err().code, ErrorCode::UnknownSex);
        assert_eq!(boolean("true", "L'indication"), Ok(true));
        assert_eq!(boolean("Non", "L'indication"), Ok(false));
        assert_eq!(
            boolean("peut-être", "L'indication").unwrap_err().code,
            ErrorCode::InvalidBoolean
        );
    }

    #[test]
    fn rsa_states_by_code_slug_and_label() {
        let state = |raw| rsa_state(raw, "L'état du droit RSA");
        assert_eq!(state("0"), Ok(Some(RsaState::ApplicationPending)));
        assert_eq!(state("00"), Ok(Some(RsaState::ApplicationPending)));
        assert_eq!(state("2"), Ok(Some(RsaState::OpenPayable)));
        assert_eq!(state("6"), Ok(Some(RsaState::ClosedEarlier)));
        assert_eq!(state("Z"), Ok(None));
        assert_eq!(state("rsa_clos"), Ok(Some(RsaState::Closed)));
        assert_eq!(
            state("Droit ouvert et versable"),
            Ok(Some(RsaState::OpenPayable))
        );
        assert_eq!(state("DROIT REFUSE"), Ok(Some(RsaState::Refused)));
        assert_eq!(state("7").unwrap_err().code, ErrorCode::UnknownRsaState);
        assert_eq!(
            state("rsa_inconnu").unwrap_err().code,
            ErrorCode::UnknownRsaState
        );
    }
}
