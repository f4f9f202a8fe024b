//! Synthetic flux files: valid against `vrsb0801.xsd`, windows-1252, shaped like real ones.
//!
//! For tests, the demo and the benchmark. Every person is made up (names drawn from short
//! lists, NIRs built from random digits); nothing here comes from a real file.

mod draw;
mod xml;

use std::io::{self, Write};

use chrono::{NaiveDate, NaiveTime};

pub use draw::synthetic_households;

/// The file-level part of a synthetic flux.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticFlux {
    /// TYPEFLUX: `M` monthly, `I` daily.
    pub kind: String,
    /// DTCREAFLUX.
    pub created_on: NaiveDate,
    /// HEUCREAFLUX.
    pub created_time: NaiveTime,
    /// DTREF.
    pub reference_date: NaiveDate,
    /// NBTOTDOSRSATRANSM to write; `None` writes the true count.
    pub declared_households: Option<u64>,
}

impl SyntheticFlux {
    /// A monthly flux created on `created_on` at 01:18:36, for the day before.
    pub fn monthly(created_on: NaiveDate) -> Self {
        Self {
            kind: "M".to_owned(),
            created_on,
            created_time: NaiveTime::from_hms_opt(1, 18, 36).unwrap_or_default(),
            reference_date: created_on.pred_opt().unwrap_or(created_on),
            declared_households: None,
        }
    }
}

/// A code with its date (suspension, closure, refusal).
pub type Coded = (String, NaiveDate);

/// One synthetic household; every field is written as is, padding included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticHousehold {
    /// FONORG.
    pub fund: String,
    /// NUMORG.
    pub organisation_number: String,
    /// MATRICULE (15 digits in real files).
    pub matricule: String,
    /// TYPEPARTE, padded as in real files (`"CG "`).
    pub partner_kind: String,
    /// IDEPARTE.
    pub partner_code: String,
    /// DTDEMRSA.
    pub application_date: NaiveDate,
    /// NUMDEMRSA.
    pub application_number: String,
    /// Personne blocks.
    pub persons: Vec<SyntheticPerson>,
    /// SITFAM.
    pub family_status: String,
    /// DDSITFAM.
    pub family_since: NaiveDate,
    /// Adresse blocks (1 to 3).
    pub addresses: Vec<SyntheticAddress>,
    /// ETATDOSRSA.
    pub state: String,
    /// Refus (MOTIREFURSA, DTREFURSA).
    pub refusal: Option<Coded>,
    /// SuspensionDroit blocks (MOTISUSDRORSA, DDSUSDRORSA).
    pub right_suspensions: Vec<Coded>,
    /// SuspensionVersement blocks (MOTISUSVERSRSA, DDSUSVERSRSA).
    pub payment_suspensions: Vec<Coded>,
    /// FinDroit (MOTICLORSA, DTCLORSA).
    pub closure: Option<Coded>,
    /// FinDroitMoisAnterieur.
    pub earlier_closure: Option<Coded>,
    /// TOPSANSDOMFIXE.
    pub no_fixed_address: bool,
    /// NBENFAUTCHA, written when set.
    pub dependants: Option<u16>,
}

/// One synthetic person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticPerson {
    /// QUAL, written when set.
    pub title: Option<String>,
    /// NOM.
    pub last_name: String,
    /// NOMNAI.
    pub birth_name: String,
    /// PRENOM.
    pub first_name: String,
    /// PRENOM2, written when set.
    pub second_first_name: Option<String>,
    /// NOMCOMNAI.
    pub birth_place: String,
    /// DTNAI.
    pub birth_date: NaiveDate,
    /// NIR, written when set.
    pub nir: Option<String>,
    /// SEXE.
    pub sex: String,
    /// ROLEPERS of both benefits.
    pub role: String,
    /// TOPRESPDOS.
    pub file_holder: bool,
    /// TOPCHAPERS of the RSA benefit.
    pub dependent: bool,
    /// TOPPERSDRODEVORSA; `None` leaves the MontantCalculDroitRSAPersonne block out.
    pub rights_and_duties: Option<bool>,
    /// TOPPERSENTDRODEVORSA, written when set (and the block is).
    pub entrant: Option<bool>,
    /// Write a Ressources block (three months of resources), as real files do for adults.
    pub resources: bool,
    /// Activite blocks to write.
    pub activities: u8,
}

/// One synthetic address: French when `foreign_lines` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticAddress {
    /// RGADR (1 is the current address).
    pub rank: u8,
    /// DTEMM, written when set.
    pub moved_in_on: Option<NaiveDate>,
    /// PAYS.
    pub country: String,
    /// NUMVOIE.
    pub street_number: String,
    /// LIBTYPEVOIE.
    pub street_type: String,
    /// NOMVOIE.
    pub street_name: String,
    /// COMPLADR.
    pub place: String,
    /// NUMCOM (INSEE code).
    pub insee_code: String,
    /// CODEPOS, as the number is written (`1000` or `01000`).
    pub postal_code: String,
    /// NOMCOM.
    pub city: String,
    /// LIBLIG2ADR…LIBLIG7ADR of an address abroad (six lines written, blanks padded).
    pub foreign_lines: Vec<String>,
}

/// Writes a flux of `households` made-up households drawn from `seed` (same seed, same
/// file), created on 5 March 2024: couples, children, suspensions and closures.
pub fn write_synthetic_flux<W: Write>(out: W, households: usize, seed: u64) -> io::Result<u64> {
    let created_on = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap_or_default();
    write_flux(
        out,
        &SyntheticFlux::monthly(created_on),
        synthetic_households(households, seed),
    )
}

/// Writes a flux file (windows-1252) with these households; returns the bytes written.
pub fn write_flux<W: Write>(
    out: W,
    flux: &SyntheticFlux,
    households: impl IntoIterator<Item = SyntheticHousehold>,
) -> io::Result<u64> {
    xml::write(out, flux, households)
}
