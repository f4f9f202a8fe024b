//! An appointment (rendez-vous) between a person and a professional.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{StructureRef, slug_enum};

slug_enum! {
    /// What happened to the appointment.
    pub enum AppointmentStatus {
        /// Booked, not happened yet (pris, en attente).
        Planned = "planned",
        /// The person came (présent, effectué).
        Attended = "attended",
        /// The person did not come (absent).
        Absent = "absent",
        /// Cancelled or excused (annulé).
        Cancelled = "cancelled",
    }
}

slug_enum! {
    /// How the appointment takes place (modalité).
    pub enum AppointmentMode {
        /// Face to face (physique).
        InPerson = "in_person",
        /// By phone.
        Phone = "phone",
        /// By video.
        Video = "video",
    }
}

/// An appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// The source's id for it, used to update or cancel it later.
    pub remote_id: Option<String>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Planned duration in minutes.
    pub duration_minutes: Option<u32>,
    /// What happened.
    pub status: AppointmentStatus,
    /// How it takes place.
    pub mode: Option<AppointmentMode>,
    /// Purpose as the source writes it (e.g. orientation, first follow-up meeting).
    pub purpose: Option<String>,
    /// Where it takes place.
    pub location: Option<String>,
    /// Structure of the professional met.
    pub structure: Option<StructureRef>,
}
