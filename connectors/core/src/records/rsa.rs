//! RSA rights (droits RSA) of a person, as the paying organisation states them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::slug_enum;

slug_enum! {
    /// State of the RSA right (état du droit), with the carnet-de-bord `rsa_right` slugs.
    pub enum RsaState {
        /// New application waiting for the département's decision (demande en attente).
        ApplicationPending = "rsa_demande_en_attente",
        /// Right refused (droit refusé).
        Refused = "rsa_refuse",
        /// Right open and paid (droit ouvert et versable).
        OpenPayable = "rsa_droit_ouvert_versable",
        /// Right open but its existence questioned, payment suspended (ouvert et suspendu).
        OpenSuspended = "rsa_droit_ouvert_et_suspendu",
        /// Right open but the amount cannot be computed, payment suspended.
        OpenPaymentSuspended = "rsa_droit_ouvert_versement_suspendu",
        /// Right closed (droit clos).
        Closed = "rsa_clos",
        /// Right closed in an earlier month, seen again for a control or regularisation.
        ClosedEarlier = "rsa_clos_anterieur",
    }
}

slug_enum! {
    /// Why the RSA payment is suspended (`rsa_suspension_reason` referential).
    pub enum SuspensionReason {
        /// Resources too high.
        ResourcesTooHigh = "caf_ressources_trop_elevees",
        /// Under 25 with no child or other dependant.
        UnderTwentyFiveWithoutDependant = "caf_moins_25_sans_personne_charge",
        /// Activity not compliant.
        ActivityNotCompliant = "caf_activite_non_conforme",
        /// Residence permit not valid.
        ResidencePermitInvalid = "caf_titre_sejour_invalid",
        /// RSA below the payment threshold.
        BelowPaymentThreshold = "caf_rsa_inferieur_seuil",
        /// Quarterly resources statement not provided.
        ResourcesStatementMissing = "caf_declaration_ressource_non_fournie",
        /// Residence not compliant.
        ResidenceNotCompliant = "caf_residence_non_conforme",
        /// Not living alone.
        NotIsolated = "caf_pas_isolement",
        /// Benefit excluded (partial affiliation).
        BenefitExcluded = "caf_prestation_exclue",
        /// Scheme not compliant.
        SchemeNotCompliant = "caf_regime_non_conforme",
        /// Old-age benefit application missing or late.
        OldAgeApplicationMissing = "caf_demande_avantage_vieillesse_absent",
        /// Residence permit missing.
        ResidencePermitMissing = "caf_titre_sejour_absent",
        /// Hospitalisation.
        Hospitalisation = "caf_hospitalisation",
        /// Required action not taken.
        ActionNotTaken = "caf_action_non_engagee",
        /// Weighted farm surface above the ceiling or unknown.
        WeightedSurfaceAboveCeiling = "caf_surface_ponderee_sup",
        /// Right extinguished, or another case.
        RightExtinguished = "caf_droit_eteint",
        /// No beneficiary.
        NoBeneficiary = "caf_pas_allocataire",
        /// Beneficiary of a reduced AAH.
        ReducedAah = "caf_beneficiaire_aah",
        /// Beneficiary absent from the household.
        BeneficiaryAbsent = "caf_allocataire_absent",
        /// Waiting for the département president's decision.
        AwaitingPresidentDecision = "caf_attente_decision_PCG",
        /// Earlier activity insufficient.
        EarlierActivityInsufficient = "caf_activite_anterieur_insuffisante",
        /// Earlier activity missing.
        EarlierActivityMissing = "caf_activite_anterieure_absente",
        /// Student with insufficient pay.
        StudentPayInsufficient = "caf_etudiant_remuneration_insuffisante",
        /// Earlier activity not compliant.
        EarlierActivityNotCompliant = "caf_activite_anterieure_non_conforme",
    }
}

slug_enum! {
    /// Why the RSA right was closed (`rsa_closure_reason` referential).
    pub enum ClosureReason {
        /// Decision of the département's president.
        PresidentDecision = "caf_decision_pcg",
        /// Expiry: four months without a right.
        Expiry = "caf_echeance",
        /// RMI/API switch-over cancelled.
        SwitchOverCancelled = "caf_annulation_bascule_rmi",
        /// File transferred to another organisation.
        Transfer = "caf_mutation",
        /// Files merged.
        Merge = "caf_regroupement",
        /// Struck off, end of right.
        StruckOffEndOfRight = "caf_radie_fin_droit",
        /// Struck off, other reason.
        StruckOffOther = "caf_radie_autre_motif",
        /// Struck off, RSTA chosen (overseas).
        StruckOffRsta = "caf_radie_option_rsta",
        /// Struck off, RSO chosen (overseas).
        StruckOffRso = "caf_radie_option_rso",
    }
}

/// A suspension of the RSA payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaSuspension {
    /// The reason, when the source's code is in the referential.
    pub reason: Option<SuspensionReason>,
    /// The reason code as the source wrote it, trimmed (kept when it maps to no slug).
    pub source_code: String,
    /// Start of the suspension.
    pub since: NaiveDate,
}

/// The closure of the RSA right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaClosure {
    /// The reason, when the source's code is in the referential.
    pub reason: Option<ClosureReason>,
    /// The reason code as the source wrote it, trimmed.
    pub source_code: String,
    /// Date of closure.
    pub date: NaiveDate,
}

/// A person's RSA rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaRights {
    /// State of the household's right; `None` when the source leaves it undefined.
    pub state: Option<RsaState>,
    /// Current suspension of the payment, if any.
    pub suspension: Option<RsaSuspension>,
    /// Closure of the right, if closed.
    pub closure: Option<RsaClosure>,
    /// Subject to rights and duties (soumis aux droits et devoirs), when stated.
    pub subject_to_rights_and_duties: Option<bool>,
    /// Newly entering the rights-and-duties scope (entrant), when stated.
    pub entrant: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_those_of_the_referentials() {
        assert_eq!(RsaState::ALL.len(), 7);
        assert_eq!(SuspensionReason::ALL.len(), 24);
        assert_eq!(ClosureReason::ALL.len(), 9);
        for state in RsaState::ALL {
            assert_eq!(RsaState::from_slug(state.slug()), Some(*state));
        }
        assert_eq!(
            SuspensionReason::from_slug("caf_attente_decision_PCG"),
            Some(SuspensionReason::AwaitingPresidentDecision)
        );
        assert_eq!(RsaState::from_slug("rsa_inconnu"), None);
    }
}
