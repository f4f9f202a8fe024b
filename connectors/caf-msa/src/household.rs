//! A household (InfosFoyerRSA) as the flux describes it, with typed values.

use cdb_connector::identity::{CafMatricule, CafOrganisation, HouseholdRole, Nir};
use cdb_connector::records::{
    Address, FamilySituation, RsaClosure, RsaState, RsaSuspension, Sex, Title,
};
use chrono::NaiveDate;

use crate::codes;
use crate::error::{HouseholdWarning, Position};

/// One household of the flux (foyer RSA, InfosFoyerRSA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Household {
    /// Rank of the household in the file, from 1.
    pub number: u64,
    /// Where its `<InfosFoyerRSA>` starts in the file.
    pub position: Position,
    /// The file's key as written: FONORG, NUMORG and MATRICULE (`CAF521-205599000000000`).
    pub file_key: String,
    /// Paying organisation (organisme), when FONORG/NUMORG are usable.
    pub organisation: Option<CafOrganisation>,
    /// Household matricule, normalised, when usable.
    pub matricule: Option<CafMatricule>,
    /// The département receiving the flux (partenaire).
    pub partner: Partner,
    /// The RSA application (demande RSA).
    pub application: RsaApplication,
    /// The persons, in file order (personnes).
    pub persons: Vec<Person>,
    /// Family situation, when SITFAM is known.
    pub family: Option<FamilySituation>,
    /// Addresses in file order, rank 01 being the current one (adresses).
    pub addresses: Vec<CafAddress>,
    /// The household's RSA right (prestation RSA).
    pub rights: HouseholdRights,
    /// Values left out of the records, and why.
    pub warnings: Vec<HouseholdWarning>,
}

/// The body the flux is sent to (Partenaire).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partner {
    /// Kind of partner, trimmed (TYPEPARTE, `CG` for a département).
    pub kind: String,
    /// Its code (IDEPARTE, the département number such as `052`).
    pub code: String,
}

/// The RSA application (DemandeRSA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RsaApplication {
    /// Date of the application (DTDEMRSA).
    pub date: Option<NaiveDate>,
    /// Application number (NUMDEMRSA).
    pub number: String,
}

/// One person of the household (Personne).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// Form of address (QUAL).
    pub title: Option<Title>,
    /// Name in use, trimmed (NOM).
    pub last_name: String,
    /// Birth name, trimmed (NOMNAI).
    pub birth_name: String,
    /// First names in order, blanks left out (PRENOM, PRENOM2, PRENOM3).
    pub first_names: Vec<String>,
    /// Birth place, trimmed (NOMCOMNAI).
    pub birth_place: String,
    /// Birth date (DTNAI).
    pub birth_date: Option<NaiveDate>,
    /// NIR, when present and valid.
    pub nir: Option<Nir>,
    /// Sex (SEXE).
    pub sex: Option<Sex>,
    /// Role in the household, from the RSA benefit (ROLEPERS).
    pub role: Option<HouseholdRole>,
    /// The role code as written, trimmed.
    pub role_code: String,
    /// Responsible for the file (TOPRESPDOS).
    pub file_holder: bool,
    /// Dependent for the RSA (TOPCHAPERS of the RSA benefit).
    pub dependent: Option<bool>,
    /// Subject to rights and duties (TOPPERSDRODEVORSA); `None` when not stated.
    pub subject_to_rights_and_duties: Option<bool>,
    /// Entering the rights-and-duties scope (TOPPERSENTDRODEVORSA); `None` when not stated.
    pub entrant: Option<bool>,
}

/// One address of the household (Adresse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CafAddress {
    /// Rank: 1 is the current address, 2 and 3 earlier ones (RGADR).
    pub rank: u8,
    /// Moving-in date (DTEMM).
    pub moved_in_on: Option<NaiveDate>,
    /// Definitive, provisional or return (TYPEADR: `D`, `P`, `R`).
    pub kind: String,
    /// Checked state (ETATADR: `CO`, `NC`, `VC`, `VO`, `AU`).
    pub state: String,
    /// The address itself, as a canonical address (no-fixed-address flag left unset).
    pub address: Address,
}

/// A code and the date it applies from (refusal, suspension, closure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedDate {
    /// The code, trimmed.
    pub code: String,
    /// Its date.
    pub date: NaiveDate,
}

/// The household's RSA right (PrestationRSA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdRights {
    /// State, when ETATDOSRSA is one of 0–6.
    pub state: Option<RsaState>,
    /// ETATDOSRSA as written, trimmed.
    pub state_code: String,
    /// Refusal (Refus: MOTIREFURSA, DTREFURSA).
    pub refusal: Option<CodedDate>,
    /// Suspensions of the right (SuspensionDroit: MOTISUSDRORSA, DDSUSDRORSA).
    pub right_suspensions: Vec<CodedDate>,
    /// Suspensions of the payment (SuspensionVersement: MOTISUSVERSRSA, DDSUSVERSRSA).
    pub payment_suspensions: Vec<CodedDate>,
    /// Closure this month (FinDroit: MOTICLORSA, DTCLORSA).
    pub closure: Option<CodedDate>,
    /// Closure in an earlier month (FinDroitMoisAnterieur).
    pub earlier_closure: Option<CodedDate>,
    /// No fixed address (TOPSANSDOMFIXE).
    pub no_fixed_address: bool,
    /// Dependent children and others (NBENFAUTCHA).
    pub dependants: Option<u16>,
    /// Origin of the application (ORIDEMRSA: `DEM`, `RMI`, `API`).
    pub origin: String,
}

impl Household {
    /// The current address: rank 01, else the lowest rank.
    pub fn current_address(&self) -> Option<&CafAddress> {
        self.addresses
            .iter()
            .find(|a| a.rank == 1)
            .or_else(|| self.addresses.iter().min_by_key(|a| a.rank))
    }

    /// The payment suspension in force: the one starting last (the last written on ties).
    pub fn payment_suspension(&self) -> Option<RsaSuspension> {
        let latest = self
            .rights
            .payment_suspensions
            .iter()
            // On equal dates `max_by_key` keeps the last one, the latest written.
            .max_by_key(|s| s.date)?;
        Some(RsaSuspension {
            reason: codes::suspension_reason(&latest.code),
            source_code: latest.code.clone(),
            since: latest.date,
        })
    }

    /// The closure: this month's (FinDroit), else an earlier month's (FinDroitMoisAnterieur).
    pub fn closure(&self) -> Option<RsaClosure> {
        let closure = self
            .rights
            .closure
            .as_ref()
            .or(self.rights.earlier_closure.as_ref())?;
        Some(RsaClosure {
            reason: codes::closure_reason(&closure.code),
            source_code: closure.code.clone(),
            date: closure.date,
        })
    }
}

#[cfg(test)]
mod tests {
    use cdb_connector::records::{ClosureReason, SuspensionReason};

    use super::*;

    fn on(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, day).unwrap()
    }

    fn coded(code: &str, day: u32) -> CodedDate {
        CodedDate {
            code: code.to_owned(),
            date: on(day),
        }
    }

    #[test]
    fn the_latest_payment_suspension_is_in_force() {
        let mut household = Household::default();
        assert_eq!(household.payment_suspension(), None);
        household.rights.payment_suspensions = vec![coded("06", 5), coded("CG", 9), coded("70", 1)];
        let suspension = household.payment_suspension().unwrap();
        assert_eq!(suspension.source_code, "CG");
        assert_eq!(suspension.reason, None);
        household.rights.payment_suspensions.push(coded("05", 9));
        assert_eq!(
            household.payment_suspension().unwrap().reason,
            Some(SuspensionReason::BelowPaymentThreshold)
        );
    }

    #[test]
    fn this_months_closure_comes_before_an_earlier_one() {
        let mut household = Household::default();
        household.rights.earlier_closure = Some(coded("ECH", 1));
        assert_eq!(
            household.closure().unwrap().reason,
            Some(ClosureReason::Expiry)
        );
        household.rights.closure = Some(coded("PCG", 2));
        assert_eq!(
            household.closure().unwrap().reason,
            Some(ClosureReason::PresidentDecision)
        );
    }

    #[test]
    fn the_current_address_is_rank_one_or_the_lowest() {
        let ranked = |rank| CafAddress {
            rank,
            ..CafAddress::default()
        };
        let mut household = Household {
            addresses: vec![ranked(3), ranked(2)],
            ..Household::default()
        };
        assert_eq!(household.current_address().map(|a| a.rank), Some(2));
        household.addresses.push(ranked(1));
        assert_eq!(household.current_address().map(|a| a.rank), Some(1));
    }
}
