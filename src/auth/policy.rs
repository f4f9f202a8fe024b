//! The one policy: for a caller, which people, notebooks and directory entries are within
//! reach. The answer is a [`Reach`] that the store turns into SQL filters, so that the rules are
//! applied inside the queries and never by filtering results after loading them.

use uuid::Uuid;

use super::caller::{Caller, Principal};
pub use crate::domain::reach::{DirectoryReach, Reach, TombstoneReach};
use crate::domain::role::Role;
use crate::domain::states::ImportKind;

/// The beneficiaries within a caller's reach.
pub fn beneficiaries(caller: &Caller) -> Reach {
    match &caller.principal {
        Principal::Client(client) => {
            client_beneficiaries(client.deployment_id, client.structure_id)
        }
        Principal::Account(account) => {
            let (Some(deployment), Some(profile)) = (account.deployment_id, account.profile_id)
            else {
                return if account.role == Role::AdminCdb {
                    Reach::Everything
                } else {
                    Reach::Nothing
                };
            };
            match account.role {
                Role::AdminCdb => Reach::Everything,
                Role::Manager | Role::OrientationManager => Reach::Deployment(deployment),
                Role::AdminStructure => Reach::AdministeredStructures {
                    deployment,
                    admin_structure_id: profile,
                },
                Role::Professional => Reach::ActiveMember {
                    deployment,
                    account_id: account.account_id,
                },
                Role::Beneficiary => Reach::Own {
                    beneficiary_id: profile,
                },
            }
        }
    }
}

/// The beneficiaries within an API client's reach (also what its webhook subscriptions
/// receive): its deployment, or the structure it is narrowed to.
pub fn client_beneficiaries(deployment: Uuid, structure_id: Option<Uuid>) -> Reach {
    match structure_id {
        Some(structure_id) => Reach::Structure {
            deployment,
            structure_id,
        },
        None => Reach::Deployment(deployment),
    }
}

/// Which deployments' directory (deployment, structures, professionals) a caller may read:
/// `None` means every deployment.
pub fn directory(caller: &Caller) -> DirectoryReach {
    match (&caller.principal, caller.deployment_id()) {
        (Principal::Account(account), _) if account.role == Role::AdminCdb => {
            DirectoryReach::Everything
        }
        (_, Some(deployment)) => DirectoryReach::Deployment(deployment),
        _ => DirectoryReach::Nothing,
    }
}

/// Who may read a person's access journal: the deployment's managers, the national
/// administrators and the person themself. Applied on a beneficiary already within reach.
pub fn may_read_access_log(caller: &Caller) -> bool {
    match &caller.principal {
        Principal::Account(account) => matches!(
            account.role,
            Role::AdminCdb | Role::Manager | Role::Beneficiary
        ),
        Principal::Client(_) => false,
    }
}

/// Who sees the hub's background jobs (every deployment's): the national administrators, with
/// a session or a personal access token.
pub fn may_see_jobs(caller: &Caller) -> bool {
    matches!(&caller.principal, Principal::Account(account) if account.role == Role::AdminCdb)
}

/// Who may export all of a person's data (right of access): the same people as for the access
/// journal. Applied on a beneficiary already within reach.
pub fn may_export(caller: &Caller) -> bool {
    may_read_access_log(caller)
}

/// Who may purge a person (right to erasure): the deployment's managers and the national
/// administrators, in a session. A personal access token never purges: a leaked one must not
/// erase people. Applied on a beneficiary already within reach.
pub fn may_purge(caller: &Caller) -> bool {
    match &caller.principal {
        Principal::Account(account) => {
            account.is_session && matches!(account.role, Role::AdminCdb | Role::Manager)
        }
        Principal::Client(_) => false,
    }
}

/// Whose purge tombstones a caller sees in the change feed: a tombstone holds only the former
/// person's id, so every reach within a deployment sees that deployment's; a person sees none.
pub fn purge_tombstones(reach: Reach) -> TombstoneReach {
    match reach {
        Reach::Everything => TombstoneReach::Everything,
        Reach::Deployment(deployment)
        | Reach::AdministeredStructures { deployment, .. }
        | Reach::Structure { deployment, .. }
        | Reach::ActiveMember { deployment, .. } => TombstoneReach::Deployment(deployment),
        Reach::Own { .. } | Reach::Nothing => TombstoneReach::Nothing,
    }
}

/// Who manages the retention of people and files: national administrators (every deployment)
/// and managers (their own). Answers the deployment filter, `Some(None)` for every deployment.
/// A personal access token reads but never changes it: a leaked one must not keep people past
/// their time nor shorten a deployment's retention.
pub fn retention_manager(caller: &Caller, change: bool) -> Option<Option<Uuid>> {
    match &caller.principal {
        Principal::Account(account) if change && !account.is_session => None,
        Principal::Account(account) => match account.role {
            Role::AdminCdb => Some(None),
            Role::Manager => account.deployment_id.map(Some),
            _ => None,
        },
        Principal::Client(_) => None,
    }
}

/// Who may manage API clients: national administrators (any deployment) and managers (their
/// own deployment). Answers the deployment filter to apply, `Some(None)` for every deployment.
pub fn client_management(caller: &Caller) -> Option<Option<Uuid>> {
    match &caller.principal {
        // A personal access token never manages credentials: a leaked one must not mint more.
        Principal::Account(account) if !account.is_session => None,
        Principal::Account(account) => match account.role {
            Role::AdminCdb => Some(None),
            Role::Manager => account.deployment_id.map(Some),
            _ => None,
        },
        Principal::Client(_) => None,
    }
}

/// Who may write the directory (structures and professionals), and over what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryWriter {
    /// Every deployment (national administrator).
    Everything,
    /// One whole deployment (its manager).
    Deployment(Uuid),
    /// The structures a structure administrator administers, and their professionals.
    AdministeredStructures {
        /// The deployment.
        deployment: Uuid,
        /// The administrator's profile.
        admin_structure_id: Uuid,
    },
    /// One's own professional profile.
    OwnProfile {
        /// The deployment.
        deployment: Uuid,
        /// The professional's profile.
        professional_id: Uuid,
    },
}

impl DirectoryWriter {
    /// The deployment whose directory is within reach; `None` for every deployment.
    pub fn deployment(self) -> Option<Uuid> {
        match self {
            DirectoryWriter::Everything => None,
            DirectoryWriter::Deployment(deployment)
            | DirectoryWriter::AdministeredStructures { deployment, .. }
            | DirectoryWriter::OwnProfile { deployment, .. } => Some(deployment),
        }
    }

    /// Whether this writer creates and edits whatever the deployment's directory holds.
    pub fn is_deployment_wide(self) -> bool {
        matches!(
            self,
            DirectoryWriter::Everything | DirectoryWriter::Deployment(_)
        )
    }
}

/// Who may write the directory, as the 2024 original allowed: national administrators every
/// deployment, a manager their own, a structure administrator the structures they administer
/// (and their professionals), a professional their own profile. `None` for everyone else,
/// API clients included (no scope covers the directory), and for personal access tokens:
/// creating an account or changing an e-mail hands out a login, which a leaked token must not.
pub fn directory_writer(caller: &Caller) -> Option<DirectoryWriter> {
    let Principal::Account(account) = &caller.principal else {
        return None;
    };
    if !account.is_session {
        return None;
    }
    if account.role == Role::AdminCdb {
        return Some(DirectoryWriter::Everything);
    }
    let (deployment, profile) = (account.deployment_id?, account.profile_id?);
    match account.role {
        Role::Manager => Some(DirectoryWriter::Deployment(deployment)),
        Role::AdminStructure => Some(DirectoryWriter::AdministeredStructures {
            deployment,
            admin_structure_id: profile,
        }),
        Role::Professional => Some(DirectoryWriter::OwnProfile {
            deployment,
            professional_id: profile,
        }),
        Role::AdminCdb | Role::OrientationManager | Role::Beneficiary => None,
    }
}

/// Who may upload and follow file imports, and into which deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importer {
    /// Any deployment, named with the upload (national administrator).
    AnyDeployment,
    /// Their own deployment (manager).
    Deployment(Uuid),
    /// The files of the structures a structure administrator administers.
    AdministeredStructures {
        /// Their deployment.
        deployment: Uuid,
        /// The administrator's profile.
        admin_structure_id: Uuid,
    },
    /// A partner system: its own deployment, and only the imports it uploaded itself.
    Client {
        /// Its deployment.
        deployment: Uuid,
        /// The API client.
        api_client_id: Uuid,
    },
}

impl Importer {
    /// The deployment the importer is bound to; `None` for every deployment.
    pub fn deployment(self) -> Option<Uuid> {
        match self {
            Importer::AnyDeployment => None,
            Importer::Deployment(deployment)
            | Importer::AdministeredStructures { deployment, .. }
            | Importer::Client { deployment, .. } => Some(deployment),
        }
    }
}

/// What a kind of file does, as far as access goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAccess {
    /// People's records (`beneficiaries`): goes through the inbound pipeline.
    People,
    /// A file for one structure (`professionals`, `rattachements`): creates professionals'
    /// accounts and gives them notebooks.
    OneStructure,
    /// The deployment's directory and orientations (`structures`, `orientation_managers`,
    /// `reorientations`): creates staff accounts and assigns referents.
    Deployment,
}

impl ImportAccess {
    /// What a kind of file gives access to.
    pub fn of(kind: ImportKind) -> Self {
        match kind {
            ImportKind::Beneficiaries => ImportAccess::People,
            kind if kind.needs_structure() => ImportAccess::OneStructure,
            _ => ImportAccess::Deployment,
        }
    }
}

/// The imports a caller may follow: whose they are (the importer the caller is for those
/// kinds) and the kinds of file; `None` when the caller imports nothing. A caller is the same
/// importer for every kind they may import (see [`importer`]).
pub fn followed_imports(caller: &Caller) -> Option<(Importer, Vec<ImportKind>)> {
    let mut found = None;
    let mut kinds = Vec::new();
    for kind in ImportKind::ALL {
        if let Some(importer) = importer(caller, ImportAccess::of(*kind)) {
            found.get_or_insert(importer);
            kinds.push(*kind);
        }
    }
    found.map(|importer| (importer, kinds))
}

/// Who may import a kind of file. Kinds that create accounts or hand out notebooks are for
/// people in a session: the deployment's managers and national administrators every kind, a
/// structure administrator the files of one of their structures (the handler checks they
/// administer it). API clients of a whole deployment (with `imports:write`, checked by the
/// handler) and a manager's personal access token import people's records only: a leaked
/// credential must not mint logins. `None` for everyone else.
pub fn importer(caller: &Caller, access: ImportAccess) -> Option<Importer> {
    match &caller.principal {
        Principal::Account(account) => {
            let in_session = account.is_session || access == ImportAccess::People;
            match account.role {
                Role::AdminCdb if in_session => Some(Importer::AnyDeployment),
                Role::Manager if in_session => account.deployment_id.map(Importer::Deployment),
                Role::AdminStructure
                    if account.is_session && access == ImportAccess::OneStructure =>
                {
                    Some(Importer::AdministeredStructures {
                        deployment: account.deployment_id?,
                        admin_structure_id: account.profile_id?,
                    })
                }
                _ => None,
            }
        }
        Principal::Client(client)
            if client.structure_id.is_none() && access == ImportAccess::People =>
        {
            Some(Importer::Client {
                deployment: client.deployment_id,
                api_client_id: client.api_client_id,
            })
        }
        Principal::Client(_) => None,
    }
}

/// Whether a caller may upload any kind of file at all (checked before reading the upload).
pub fn imports_anything(caller: &Caller) -> bool {
    [
        ImportAccess::People,
        ImportAccess::OneStructure,
        ImportAccess::Deployment,
    ]
    .into_iter()
    .any(|access| importer(caller, access).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::caller::{AccountPrincipal, ClientPrincipal};
    use crate::domain::scopes::Scopes;

    fn account(role: Role) -> Caller {
        Caller {
            principal: Principal::Account(AccountPrincipal {
                account_id: Uuid::from_u128(1),
                role,
                deployment_id: (role != Role::AdminCdb).then_some(Uuid::from_u128(2)),
                profile_id: Some(Uuid::from_u128(3)),
                structure_id: None,
                token_id: Uuid::from_u128(4),
                is_session: true,
            }),
            scopes: role.scopes(),
        }
    }

    #[test]
    fn each_role_has_its_reach() {
        let deployment = Uuid::from_u128(2);
        assert_eq!(beneficiaries(&account(Role::AdminCdb)), Reach::Everything);
        assert_eq!(
            beneficiaries(&account(Role::Manager)),
            Reach::Deployment(deployment)
        );
        assert_eq!(
            beneficiaries(&account(Role::OrientationManager)),
            Reach::Deployment(deployment)
        );
        assert!(matches!(
            beneficiaries(&account(Role::AdminStructure)),
            Reach::AdministeredStructures { .. }
        ));
        assert!(matches!(
            beneficiaries(&account(Role::Professional)),
            Reach::ActiveMember { .. }
        ));
        assert_eq!(
            beneficiaries(&account(Role::Beneficiary)),
            Reach::Own {
                beneficiary_id: Uuid::from_u128(3)
            }
        );
    }

    #[test]
    fn a_client_narrowed_to_a_structure_sees_that_structure_only() {
        let caller = Caller {
            principal: Principal::Client(ClientPrincipal {
                api_client_id: Uuid::from_u128(9),
                client_id: "cdb_x".into(),
                deployment_id: Uuid::from_u128(2),
                structure_id: Some(Uuid::from_u128(7)),
            }),
            scopes: Scopes::NONE,
        };
        assert_eq!(
            beneficiaries(&caller),
            Reach::Structure {
                deployment: Uuid::from_u128(2),
                structure_id: Uuid::from_u128(7)
            }
        );
        assert!(!may_read_access_log(&caller));
        assert_eq!(client_management(&caller), None);
    }

    #[test]
    fn only_managers_and_admins_purge_and_only_in_a_session() {
        assert!(may_purge(&account(Role::Manager)));
        assert!(may_purge(&account(Role::AdminCdb)));
        for role in [
            Role::OrientationManager,
            Role::AdminStructure,
            Role::Professional,
            Role::Beneficiary,
        ] {
            assert!(!may_purge(&account(role)), "{role}");
        }
        let mut token = account(Role::Manager);
        if let Principal::Account(account) = &mut token.principal {
            account.is_session = false;
        }
        assert!(!may_purge(&token), "a personal access token");
        assert!(may_export(&token), "exporting is a read");
    }

    #[test]
    fn only_national_administrators_see_the_jobs() {
        assert!(may_see_jobs(&account(Role::AdminCdb)));
        for role in [
            Role::Manager,
            Role::OrientationManager,
            Role::AdminStructure,
            Role::Professional,
            Role::Beneficiary,
        ] {
            assert!(!may_see_jobs(&account(role)), "{role}");
        }
    }

    #[test]
    fn managers_and_admins_manage_retention_and_a_token_only_reads_it() {
        let deployment = Some(Uuid::from_u128(2));
        assert_eq!(
            retention_manager(&account(Role::Manager), true),
            Some(deployment)
        );
        assert_eq!(
            retention_manager(&account(Role::AdminCdb), true),
            Some(None)
        );
        for role in [
            Role::OrientationManager,
            Role::AdminStructure,
            Role::Professional,
            Role::Beneficiary,
        ] {
            assert_eq!(retention_manager(&account(role), false), None, "{role}");
        }
        let mut token = account(Role::Manager);
        if let Principal::Account(account) = &mut token.principal {
            account.is_session = false;
        }
        assert_eq!(retention_manager(&token, false), Some(deployment));
        assert_eq!(retention_manager(&token, true), None);
    }

    #[test]
    fn tombstones_follow_the_deployment_of_the_reach() {
        let deployment = Uuid::from_u128(2);
        for role in [
            Role::Manager,
            Role::OrientationManager,
            Role::AdminStructure,
            Role::Professional,
        ] {
            assert_eq!(
                purge_tombstones(beneficiaries(&account(role))),
                TombstoneReach::Deployment(deployment),
                "{role}"
            );
        }
        assert_eq!(
            purge_tombstones(beneficiaries(&account(Role::AdminCdb))),
            TombstoneReach::Everything
        );
        assert_eq!(
            purge_tombstones(beneficiaries(&account(Role::Beneficiary))),
            TombstoneReach::Nothing
        );
    }

    #[test]
    fn only_managers_admins_and_the_person_read_the_access_log() {
        assert!(may_read_access_log(&account(Role::Manager)));
        assert!(may_read_access_log(&account(Role::Beneficiary)));
        assert!(!may_read_access_log(&account(Role::Professional)));
        assert!(!may_read_access_log(&account(Role::OrientationManager)));
    }

    #[test]
    fn accounts_are_imported_only_in_a_session_and_clients_import_people_only() {
        for access in [ImportAccess::OneStructure, ImportAccess::Deployment] {
            let mut token = account(Role::Manager);
            if let Principal::Account(a) = &mut token.principal {
                a.is_session = false;
            }
            assert_eq!(importer(&token, access), None, "{access:?} with a token");
            assert!(importer(&account(Role::Manager), access).is_some());
        }
        let client = Caller {
            principal: Principal::Client(ClientPrincipal {
                api_client_id: Uuid::from_u128(9),
                client_id: "cdb_x".into(),
                deployment_id: Uuid::from_u128(2),
                structure_id: None,
            }),
            scopes: Scopes::NONE,
        };
        assert!(importer(&client, ImportAccess::People).is_some());
        assert_eq!(importer(&client, ImportAccess::OneStructure), None);
        assert_eq!(importer(&client, ImportAccess::Deployment), None);
        assert_eq!(
            importer(&account(Role::AdminStructure), ImportAccess::People),
            None
        );
        assert!(matches!(
            importer(&account(Role::AdminStructure), ImportAccess::OneStructure),
            Some(Importer::AdministeredStructures { .. })
        ));
    }

    #[test]
    fn the_directory_is_written_by_sessions_of_managers_admins_and_professionals() {
        let deployment = Uuid::from_u128(2);
        assert_eq!(
            directory_writer(&account(Role::AdminCdb)),
            Some(DirectoryWriter::Everything)
        );
        assert_eq!(
            directory_writer(&account(Role::Manager)),
            Some(DirectoryWriter::Deployment(deployment))
        );
        assert!(matches!(
            directory_writer(&account(Role::AdminStructure)),
            Some(DirectoryWriter::AdministeredStructures { .. })
        ));
        assert_eq!(
            directory_writer(&account(Role::Professional)),
            Some(DirectoryWriter::OwnProfile {
                deployment,
                professional_id: Uuid::from_u128(3)
            })
        );
        assert_eq!(directory_writer(&account(Role::OrientationManager)), None);
        assert_eq!(directory_writer(&account(Role::Beneficiary)), None);
        let mut personal = account(Role::Manager);
        if let Principal::Account(a) = &mut personal.principal {
            a.is_session = false;
        }
        assert_eq!(directory_writer(&personal), None);
    }
}
