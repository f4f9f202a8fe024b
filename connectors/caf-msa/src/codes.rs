//! CAF/MSA code lists and how they map to the hub's referentials.
//!
//! Codes arrive padded (`"35 "`, `"CG  "`): every lookup trims first.

use cdb_connector::records::{
    ClosureReason, MaritalStatus, RsaState, Sex, SuspensionReason, Title,
};

/// ETATDOSRSA → RSA state, in CNAF's detection order (0, 1, 5, 3, 4, 2, 6).
///
/// CNAF computes one code per household by testing the states in this order, so a
/// household that is both closed (5) and suspended (3) is sent as closed. The code sent is
/// thus already the highest-priority state, and mapping it is a lookup; the order is kept
/// here so the table reads as CNAF's rule. `Z` or blank mean "undefined": no state.
pub const RSA_STATES: [(&str, RsaState); 7] = [
    ("0", RsaState::ApplicationPending),
    ("1", RsaState::Refused),
    ("5", RsaState::Closed),
    ("3", RsaState::OpenSuspended),
    ("4", RsaState::OpenPaymentSuspended),
    ("2", RsaState::OpenPayable),
    ("6", RsaState::ClosedEarlier),
];

/// MOTISUSVERSRSA (suspension du versement) → `rsa_suspension_reason` slug.
///
/// `CG` (application sanction) has no slug in the referential: it is kept as the record's
/// source code, without a reason.
pub const SUSPENSION_REASONS: [(&str, SuspensionReason); 24] = [
    ("01", SuspensionReason::ResourcesTooHigh),
    ("02", SuspensionReason::UnderTwentyFiveWithoutDependant),
    ("03", SuspensionReason::ActivityNotCompliant),
    ("04", SuspensionReason::ResidencePermitInvalid),
    ("05", SuspensionReason::BelowPaymentThreshold),
    ("06", SuspensionReason::ResourcesStatementMissing),
    ("09", SuspensionReason::ResidenceNotCompliant),
    ("19", SuspensionReason::NotIsolated),
    ("31", SuspensionReason::BenefitExcluded),
    ("34", SuspensionReason::SchemeNotCompliant),
    ("35", SuspensionReason::OldAgeApplicationMissing),
    ("36", SuspensionReason::ResidencePermitMissing),
    ("44", SuspensionReason::Hospitalisation),
    ("70", SuspensionReason::ActionNotTaken),
    ("78", SuspensionReason::WeightedSurfaceAboveCeiling),
    ("84", SuspensionReason::RightExtinguished),
    ("85", SuspensionReason::NoBeneficiary),
    ("97", SuspensionReason::ReducedAah),
    ("AB", SuspensionReason::BeneficiaryAbsent),
    ("CV", SuspensionReason::AwaitingPresidentDecision),
    ("CZ", SuspensionReason::EarlierActivityInsufficient),
    ("DA", SuspensionReason::EarlierActivityMissing),
    ("DB", SuspensionReason::StudentPayInsufficient),
    ("DC", SuspensionReason::EarlierActivityNotCompliant),
];

/// MOTICLORSA (motif de clôture) → `rsa_closure_reason` slug.
pub const CLOSURE_REASONS: [(&str, ClosureReason); 9] = [
    ("PCG", ClosureReason::PresidentDecision),
    ("ECH", ClosureReason::Expiry),
    ("EFF", ClosureReason::SwitchOverCancelled),
    ("MUT", ClosureReason::Transfer),
    ("RGD", ClosureReason::Merge),
    ("RFD", ClosureReason::StruckOffEndOfRight),
    ("RAU", ClosureReason::StruckOffOther),
    ("RST", ClosureReason::StruckOffRsta),
    ("RSO", ClosureReason::StruckOffRso),
];

/// SITFAM (situation de famille) → marital status.
pub const MARITAL_STATUSES: [(&str, MaritalStatus); 13] = [
    ("ABA", MaritalStatus::DeclaredAbsent),
    ("CEL", MaritalStatus::Single),
    ("DIV", MaritalStatus::Divorced),
    ("ISO", MaritalStatus::AloneAfterCouple),
    ("MAR", MaritalStatus::Married),
    ("PAC", MaritalStatus::CivilPartnership),
    ("RPA", MaritalStatus::ResumedCivilPartnership),
    ("RVC", MaritalStatus::ResumedCohabitation),
    ("RVM", MaritalStatus::ResumedMarriage),
    ("SEF", MaritalStatus::Separated),
    ("SEL", MaritalStatus::LegallySeparated),
    ("VEU", MaritalStatus::Widowed),
    ("VIM", MaritalStatus::Cohabiting),
];

fn lookup<T: Copy>(table: &[(&str, T)], code: &str) -> Option<T> {
    let code = code.trim();
    table
        .iter()
        .find(|(candidate, _)| *candidate == code)
        .map(|(_, value)| *value)
}

/// The RSA state of an ETATDOSRSA code; `None` for `Z`, blank or unknown codes.
pub fn rsa_state(code: &str) -> Option<RsaState> {
    lookup(&RSA_STATES, code)
}

/// The suspension reason of a MOTISUSVERSRSA code, if it has a slug.
pub fn suspension_reason(code: &str) -> Option<SuspensionReason> {
    lookup(&SUSPENSION_REASONS, code)
}

/// The closure reason of a MOTICLORSA code, if it has a slug.
pub fn closure_reason(code: &str) -> Option<ClosureReason> {
    lookup(&CLOSURE_REASONS, code)
}

/// The marital status of a SITFAM code.
pub fn marital_status(code: &str) -> Option<MaritalStatus> {
    lookup(&MARITAL_STATUSES, code)
}

/// The sex of a SEXE code (`1` man, `2` woman).
pub fn sex(code: &str) -> Option<Sex> {
    match code.trim() {
        "1" => Some(Sex::Male),
        "2" => Some(Sex::Female),
        _ => None,
    }
}

/// The form of address of a QUAL code (`MR`, `MME`, and the obsolete `MLE`).
pub fn title(code: &str) -> Option<Title> {
    match code.trim() {
        "MR" => Some(Title::Mr),
        "MME" | "MLE" | "MLLE" => Some(Title::Mrs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_code_maps_to_its_slug() {
        let slugs: Vec<(&str, &str)> = ["0", "1", "2", "3", "4", "5", "6"]
            .iter()
            .map(|code| {
                (
                    *code,
                    rsa_state(code).map(RsaState::slug).unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            slugs,
            [
                ("0", "rsa_demande_en_attente"),
                ("1", "rsa_refuse"),
                ("2", "rsa_droit_ouvert_versable"),
                ("3", "rsa_droit_ouvert_et_suspendu"),
                ("4", "rsa_droit_ouvert_versement_suspendu"),
                ("5", "rsa_clos"),
                ("6", "rsa_clos_anterieur"),
            ]
        );
        assert_eq!(rsa_state("Z"), None);
        assert_eq!(rsa_state(" "), None);
        assert_eq!(rsa_state(" 4"), Some(RsaState::OpenPaymentSuspended));
    }

    #[test]
    fn the_table_follows_the_detection_order() {
        let order: String = RSA_STATES.iter().map(|(code, _)| *code).collect();
        assert_eq!(order, "0153426");
    }

    #[test]
    fn padded_codes_are_trimmed() {
        assert_eq!(
            suspension_reason("35 "),
            Some(SuspensionReason::OldAgeApplicationMissing)
        );
        assert_eq!(
            suspension_reason("AB "),
            Some(SuspensionReason::BeneficiaryAbsent)
        );
        assert_eq!(suspension_reason("CG"), None);
        assert_eq!(
            closure_reason(" PCG"),
            Some(ClosureReason::PresidentDecision)
        );
        assert_eq!(marital_status("CEL "), Some(MaritalStatus::Single));
    }

    #[test]
    fn every_referential_slug_has_exactly_one_code() {
        for reason in SuspensionReason::ALL {
            assert_eq!(
                SUSPENSION_REASONS
                    .iter()
                    .filter(|(_, r)| r == reason)
                    .count(),
                1
            );
        }
        for reason in ClosureReason::ALL {
            assert_eq!(
                CLOSURE_REASONS.iter().filter(|(_, r)| r == reason).count(),
                1
            );
        }
        for status in MaritalStatus::ALL {
            assert_eq!(
                MARITAL_STATUSES.iter().filter(|(_, s)| s == status).count(),
                1
            );
        }
    }
}
