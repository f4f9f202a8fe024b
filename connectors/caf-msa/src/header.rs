//! The file's header (IdentificationFlux) and trailer (TransmissionFlux).

use cdb_connector::identity::Fund;
use cdb_connector::time::paris_to_utc;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Kind of flux (TYPEFLUX).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FluxKind {
    /// Monthly flux (`M`, files `RSABEM…`): every open household.
    Monthly,
    /// Daily flux (`I`, files `RSABEI…`): households that changed, new entrants.
    Daily,
    /// Any other code, as written.
    Other(String),
}

impl FluxKind {
    /// The kind of a TYPEFLUX code.
    pub fn from_code(code: &str) -> Self {
        match code.trim() {
            "M" => Self::Monthly,
            "I" => Self::Daily,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// The identification of a flux file (IdentificationFlux).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FluxHeader {
    /// Producing application (APPLIEME): `CRI` CNAF Cristal, `AGO` MSA Agora…
    pub application: String,
    /// Its version (NUMVERSIONAPPLIEME).
    pub application_version: String,
    /// Monthly or daily (TYPEFLUX).
    pub kind: FluxKind,
    /// Nature of the flux (NATFLUX, `D`).
    pub nature: String,
    /// Creation date (DTCREAFLUX).
    pub created_on: NaiveDate,
    /// Creation time, French legal time (HEUCREAFLUX).
    pub created_time: NaiveTime,
    /// Reference date of the data (DTREF).
    pub reference_date: NaiveDate,
}

impl FluxHeader {
    /// The fund that produced the file, known from the application (`CRI`, `NRA`, `NRS`:
    /// CAF; `AGO`: MSA).
    pub fn issuer(&self) -> Option<Fund> {
        match self.application.as_str() {
            "CRI" | "NRA" | "NRS" => Some(Fund::Caf),
            "AGO" => Some(Fund::Msa),
            _ => None,
        }
    }

    /// Creation date and time as written (French legal time): apply files in this order.
    pub fn created_at(&self) -> NaiveDateTime {
        self.created_on.and_time(self.created_time)
    }

    /// Creation instant: the as-of time of every record the file carries.
    pub fn created_at_utc(&self) -> DateTime<Utc> {
        paris_to_utc(self.created_at())
    }
}

/// The file's own count of what it carries (TransmissionFlux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Trailer {
    /// Households announced (NBTOTDOSRSATRANSM).
    pub households: u64,
    /// Households announced with anomalies (NBTOTDOSRSATRANSMANO).
    pub households_with_anomalies: u64,
}
