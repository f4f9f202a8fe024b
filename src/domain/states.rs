//! The states and kinds of the hub's work (imports, their lines, connector instances), each an
//! enum with its stable name — the one written in the database, the contract and the logs —
//! in one place. Nothing else compares these names as strings.

use std::fmt;
use std::str::FromStr;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// A name that is none of an enum's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of {expected}")]
pub struct UnknownName {
    /// The name given.
    pub value: String,
    /// The names accepted, comma-separated.
    pub expected: String,
}

/// Declares an enum of named states: `ALL`, `as_str`, `FromStr`, `Display`, serde as its name,
/// and a `text` column of the database.
macro_rules! named {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in a fixed order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Every stable name, comma-separated (for error messages).
            pub fn names() -> String {
                Self::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| UnknownName {
                        value: text.to_owned(),
                        expected: Self::names(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl FromSql<Text, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                Ok(text.parse()?)
            }
        }

        impl ToSql<Text, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }
    };
}

named! {
    /// The kind of a connector instance.
    ConnectorKind {
        /// France Travail: partner APIs and weekly extract files.
        FranceTravail = "france_travail",
        /// CAF/MSA: the monthly and daily « flux bénéficiaires ».
        CafMsa = "caf_msa",
        /// A département's information system: exports read through a mapping profile.
        Departement = "departement",
    }
}

named! {
    /// What an import's file holds (the original service's six templates).
    ImportKind {
        /// Beneficiaries and their notebooks.
        Beneficiaries = "beneficiaries",
        /// Structures and their administrators.
        Structures = "structures",
        /// Professionals of one structure.
        Professionals = "professionals",
        /// Re-orientations (referent and structure changes).
        Reorientations = "reorientations",
        /// Orientation managers.
        OrientationManagers = "orientation_managers",
        /// The rattachement of a structure's people to its professionals.
        Rattachements = "rattachements",
    }
}

impl ImportKind {
    /// Whether the file is for one structure, named with the upload.
    pub fn needs_structure(self) -> bool {
        matches!(self, ImportKind::Professionals | ImportKind::Rattachements)
    }
}

named! {
    /// What an upload asks for.
    ImportMode {
        /// Show what the file would do, writing nothing.
        Preview = "preview",
        /// Apply the file.
        Commit = "commit",
    }
}

named! {
    /// Where an import stands.
    ImportStatus {
        /// Uploaded, waiting for its job.
        Received = "received",
        /// Its preview is being computed.
        Previewing = "previewing",
        /// Previewed; a commit may follow.
        Previewed = "previewed",
        /// Being applied.
        Committing = "committing",
        /// Applied.
        Committed = "committed",
        /// Stopped on a fault of the file (kept, can be sent again).
        Failed = "failed",
    }
}

impl ImportStatus {
    /// Whether the import's job has nothing left to do.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ImportStatus::Previewed | ImportStatus::Committed | ImportStatus::Failed
        )
    }
}

named! {
    /// What a line of an import became.
    LineStatus {
        /// It creates someone (or something).
        Create = "create",
        /// It changes someone known.
        Update = "update",
        /// It changes nothing.
        Unchanged = "unchanged",
        /// Kept for a person to decide who it is about.
        PossibleMatch = "possible_match",
        /// Refused: its errors say why.
        Error = "error",
    }
}

named! {
    /// Where a re-orientation request stands.
    OrientationRequestStatus {
        /// Waiting for an orientation manager.
        Pending = "pending",
        /// Accepted by an orientation decision.
        Accepted = "accepted",
        /// Denied: the accompaniment goes on.
        Denied = "denied",
    }
}

named! {
    /// Where a partner's full-sync session stands.
    SyncSessionStatus {
        /// Receiving batches.
        Open = "open",
        /// Completed: people it did not report are marked.
        Completed = "completed",
        /// Abandoned: nothing is marked.
        Abandoned = "abandoned",
    }
}

named! {
    /// Where a webhook delivery stands.
    DeliveryStatus {
        /// Waiting for its first attempt.
        Pending = "pending",
        /// Delivered.
        Delivered = "delivered",
        /// Failed; attempted again later.
        Failed = "failed",
        /// Given up after its last attempt (replayable).
        Dead = "dead",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_value_and_other_names_are_refused() {
        for kind in ConnectorKind::ALL {
            assert_eq!(kind.as_str().parse::<ConnectorKind>(), Ok(*kind));
        }
        for kind in ImportKind::ALL {
            assert_eq!(kind.as_str().parse::<ImportKind>(), Ok(*kind));
        }
        for status in ImportStatus::ALL {
            assert_eq!(status.to_string().parse::<ImportStatus>(), Ok(*status));
        }
        let error = "solis".parse::<ConnectorKind>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"solis\" is not one of france_travail, caf_msa, departement"
        );
        assert_eq!(
            serde_json::to_value(ImportMode::Commit).unwrap(),
            serde_json::json!("commit")
        );
        assert!(ImportKind::Rattachements.needs_structure());
        assert!(!ImportStatus::Committing.is_finished());
    }
}
