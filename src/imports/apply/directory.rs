//! Directory files: structures with their administrator, the professionals of one structure,
//! orientation managers. Each line creates, updates or leaves its record as it is; accounts
//! are created confirmed and told by e-mail, as the original's imports did.

use crate::domain::states::LineStatus;
use diesel::pg::PgConnection;
use serde_json::{Map, Value, json};

use super::{Applied, KindLines, LineApplier, LineFailure, RunContext};
use crate::imports::kinds::{
    OrientationManagerRow, OrientationManagers, ProfessionalRow, Professionals, StructureRow,
    Structures,
};
use crate::imports::values::PhoneNumber;
use crate::notify;
use crate::store::directory_writes::{
    self as store, NewProfessionalRow, NewStaff, NewStructureRow, ProfessionalChanges, Staff,
    StructureChanges, Written,
};
use crate::store::outbox;

/// Phone numbers as the directory stores them.
fn phones(numbers: &[PhoneNumber]) -> Option<String> {
    (!numbers.is_empty()).then(|| {
        numbers
            .iter()
            .map(PhoneNumber::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// Compares a value of the file with the current one: `Some(new)` when the file gives a
/// different value (an empty cell leaves the current value alone); the change is noted.
fn differs(
    changes: &mut Map<String, Value>,
    field: &str,
    current: Option<&str>,
    incoming: Option<&str>,
) -> Option<Option<String>> {
    let incoming = incoming?;
    if current == Some(incoming) {
        return None;
    }
    changes.insert(
        field.to_owned(),
        json!({"before": current, "after": incoming, "source": null}),
    );
    Some(Some(incoming.to_owned()))
}

/// A known record's line: `update` with its changes, or `unchanged`.
fn written(changes: Map<String, Value>, record: uuid::Uuid) -> Applied {
    let mut applied = if changes.is_empty() {
        Applied::new(LineStatus::Unchanged)
    } else {
        let mut applied = Applied::new(LineStatus::Update);
        applied.changes = Some(Value::Object(changes));
        applied
    };
    applied.record_id = Some(record);
    applied
}

fn duplicate(column: String, value: &str, what: &str) -> LineFailure {
    LineFailure::cell(
        column,
        value,
        "duplicate",
        format!(
            "{what} « {value} » a été créé(e) en même temps par une autre opération : réessayez"
        ),
    )
}

/// Applies the lines of a structures file.
pub struct StructureLines;

impl KindLines for StructureLines {
    type Kind = Structures;

    fn kind_for(_header: &[String]) -> Structures {
        Structures
    }
}

impl LineApplier for StructureLines {
    type Row = StructureRow;

    fn new(_context: &RunContext<'_>) -> Self {
        Self
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &StructureRow,
    ) -> Result<Applied, LineFailure> {
        let deployment = context.import.deployment_id;
        let phone = phones(&row.phones);
        let mut applied;
        let structure = match store::structure_named(conn, deployment, &row.name, None)? {
            None => {
                let new = NewStructureRow {
                    deployment_id: deployment,
                    name: row.name.clone(),
                    siret: row.siret.as_ref().map(|s| s.as_str().to_owned()),
                    short_desc: row.short_desc.clone(),
                    phone,
                    email: row.email.as_ref().map(|e| e.as_str().to_owned()),
                    address1: row.address1.clone(),
                    address2: row.address2.clone(),
                    postal_code: Some(row.postal_code.as_str().to_owned()),
                    city: Some(row.city.clone()),
                    website: row.website.as_ref().map(|w| w.as_str().to_owned()),
                    sensitive: false,
                };
                match store::create_structure(conn, &new)? {
                    Written::Done(created) => {
                        applied = Applied::new(LineStatus::Create);
                        created
                    }
                    Written::Duplicate(_) => {
                        return Err(duplicate(
                            context.columns.get("name"),
                            &row.name,
                            "La structure",
                        ));
                    }
                }
            }
            Some(id) => {
                let current = store::structure(conn, id, Some(deployment))?
                    .ok_or(diesel::result::Error::NotFound)?;
                let mut changes = Map::new();
                let update = StructureChanges {
                    short_desc: differs(
                        &mut changes,
                        "short_desc",
                        current.short_desc.as_deref(),
                        row.short_desc.as_deref(),
                    ),
                    phone: differs(
                        &mut changes,
                        "phone",
                        current.phone.as_deref(),
                        phone.as_deref(),
                    ),
                    address1: differs(
                        &mut changes,
                        "address1",
                        current.address1.as_deref(),
                        row.address1.as_deref(),
                    ),
                    address2: differs(
                        &mut changes,
                        "address2",
                        current.address2.as_deref(),
                        row.address2.as_deref(),
                    ),
                    postal_code: differs(
                        &mut changes,
                        "postal_code",
                        current.postal_code.as_deref(),
                        Some(row.postal_code.as_str()),
                    ),
                    city: differs(
                        &mut changes,
                        "city",
                        current.city.as_deref(),
                        Some(&row.city),
                    ),
                    website: differs(
                        &mut changes,
                        "website",
                        current.website.as_deref(),
                        row.website.as_ref().map(|w| w.as_str()),
                    ),
                    email: differs(
                        &mut changes,
                        "email",
                        current.email.as_deref(),
                        row.email.as_ref().map(|e| e.as_str()),
                    ),
                    siret: differs(
                        &mut changes,
                        "siret",
                        current.siret.as_deref(),
                        row.siret.as_ref().map(|s| s.as_str()),
                    ),
                    ..StructureChanges::default()
                };
                if changes.is_empty() {
                    applied = Applied::new(LineStatus::Unchanged);
                } else if !context.import.overwrite {
                    let fields = changes.keys().cloned().collect::<Vec<_>>().join(", ");
                    return Err(LineFailure::cell(
                        context.columns.get("name"),
                        &row.name,
                        "structure_exists",
                        format!(
                            "La structure « {} » existe déjà avec d'autres informations ({fields}) : \
                             cochez « Écraser les informations des structures existantes » pour les mettre à jour",
                            row.name
                        ),
                    ));
                } else {
                    store::update_structure(conn, &current, &update)?;
                    applied = Applied::new(LineStatus::Update);
                    applied.changes = Some(Value::Object(changes));
                }
                current
            }
        };
        applied.record_id = Some(structure.id);
        if admin(conn, context, row, &structure.name, structure.id)? {
            if applied.status == LineStatus::Unchanged {
                applied.status = LineStatus::Update;
            }
            let mut changes = match applied.changes.take() {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            };
            changes.insert(
                "admin_email".into(),
                json!({"before": null, "after": row.admin.email.as_str(), "source": null}),
            );
            applied.changes = Some(Value::Object(changes));
        }
        Ok(applied)
    }
}

/// The structure's administrator: created with their account when unknown, given the
/// structure when not administering it yet; e-mailed when the import asks. Whether anything
/// was done.
fn admin(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    row: &StructureRow,
    structure_name: &str,
    structure: uuid::Uuid,
) -> Result<bool, LineFailure> {
    let deployment = context.import.deployment_id;
    let email = row.admin.email.as_str();
    let send = context.import.send_account_email;
    let name = || {
        let full = [
            row.admin.firstname.as_deref(),
            row.admin.lastname.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        if full.is_empty() {
            email.to_owned()
        } else {
            full
        }
    };
    match store::staff_with_email(conn, Staff::AdminStructure, deployment, email)? {
        None => {
            let phone_numbers = phones(&row.admin.phones);
            let (admin_id, _account) = store::create_staff(
                conn,
                Staff::AdminStructure,
                &NewStaff {
                    deployment_id: deployment,
                    email,
                    firstname: row.admin.firstname.as_deref(),
                    lastname: row.admin.lastname.as_deref(),
                    phone_numbers: phone_numbers.as_deref(),
                    position: row.admin.position.as_deref(),
                },
            )?;
            store::attach_admin(conn, deployment, admin_id, structure)?;
            if send {
                let notice = notify::account_created(
                    context.app_url,
                    &name(),
                    email,
                    "gestionnaire de structure",
                    &format!(", pour la structure « {structure_name} »"),
                );
                outbox::queue(conn, email, &notice.subject, &notice.body)?;
            }
            Ok(true)
        }
        Some(existing) => {
            let attached = store::attach_admin(conn, deployment, existing.id, structure)?;
            if attached && send {
                let notice = notify::structure_added(context.app_url, &name(), structure_name);
                outbox::queue(conn, email, &notice.subject, &notice.body)?;
            }
            Ok(attached)
        }
    }
}

/// Applies the lines of a professionals file, for the import's structure.
pub struct ProfessionalLines;

impl KindLines for ProfessionalLines {
    type Kind = Professionals;

    fn kind_for(_header: &[String]) -> Professionals {
        Professionals
    }
}

impl LineApplier for ProfessionalLines {
    type Row = ProfessionalRow;

    fn new(_context: &RunContext<'_>) -> Self {
        Self
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &ProfessionalRow,
    ) -> Result<Applied, LineFailure> {
        let deployment = context.import.deployment_id;
        let Some(structure_id) = context.import.structure_id else {
            return Err(LineFailure::Rejected(vec![super::refused_line(
                "l'import de professionnels doit désigner leur structure",
            )]));
        };
        let email = row.email.as_str();
        let mobile = row.mobile_number.as_ref().map(|m| m.as_str().to_owned());
        let Some(existing) = store::professional_with_email(conn, deployment, email, None)? else {
            let new = NewProfessionalRow {
                deployment_id: deployment,
                structure_id,
                email: email.to_lowercase(),
                firstname: row.firstname.clone(),
                lastname: row.lastname.clone(),
                position: row.position.clone(),
                mobile_number: mobile,
            };
            let created = match store::create_professional(conn, &new)? {
                Written::Done(created) => created,
                Written::Duplicate(_) => {
                    return Err(duplicate(
                        context.columns.get("email"),
                        email,
                        "Le professionnel",
                    ));
                }
            };
            let structure = store::structure(conn, structure_id, Some(deployment))?
                .map(|s| s.name)
                .unwrap_or_default();
            let notice = notify::account_created(
                context.app_url,
                &format!("{} {}", row.firstname, row.lastname),
                email,
                "professionnel",
                &format!(", pour la structure « {structure} »"),
            );
            outbox::queue(conn, email, &notice.subject, &notice.body)?;
            let mut applied = Applied::new(LineStatus::Create);
            applied.record_id = Some(created.professional.id);
            return Ok(applied);
        };
        let current = store::professional(conn, existing, Some(deployment))?
            .ok_or(diesel::result::Error::NotFound)?;
        if current.structure_id != structure_id {
            return Err(LineFailure::cell(
                context.columns.get("email"),
                email,
                "professional_of_another_structure",
                format!(
                    "Le courriel « {email} » est déjà celui d'un professionnel d'une autre structure"
                ),
            ));
        }
        let mut changes = Map::new();
        let update = ProfessionalChanges {
            firstname: differs(
                &mut changes,
                "firstname",
                Some(&current.firstname),
                Some(&row.firstname),
            )
            .flatten(),
            lastname: differs(
                &mut changes,
                "lastname",
                Some(&current.lastname),
                Some(&row.lastname),
            )
            .flatten(),
            position: differs(
                &mut changes,
                "position",
                current.position.as_deref(),
                row.position.as_deref(),
            ),
            mobile_number: differs(
                &mut changes,
                "mobile_number",
                current.mobile_number.as_deref(),
                mobile.as_deref(),
            ),
            ..ProfessionalChanges::default()
        };
        if !changes.is_empty() {
            store::update_professional(conn, &current, &update)?;
        }
        Ok(written(changes, current.id))
    }
}

/// Applies the lines of an orientation managers file.
pub struct OrientationManagerLines;

impl KindLines for OrientationManagerLines {
    type Kind = OrientationManagers;

    fn kind_for(_header: &[String]) -> OrientationManagers {
        OrientationManagers
    }
}

impl LineApplier for OrientationManagerLines {
    type Row = OrientationManagerRow;

    fn new(_context: &RunContext<'_>) -> Self {
        Self
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &OrientationManagerRow,
    ) -> Result<Applied, LineFailure> {
        let deployment = context.import.deployment_id;
        let email = row.email.as_str();
        let phone_numbers = phones(&row.phone_numbers);
        let staff = Staff::OrientationManager;
        let Some(current) = store::staff_with_email(conn, staff, deployment, email)? else {
            let (id, _account) = store::create_staff(
                conn,
                staff,
                &NewStaff {
                    deployment_id: deployment,
                    email,
                    firstname: row.firstname.as_deref(),
                    lastname: row.lastname.as_deref(),
                    phone_numbers: phone_numbers.as_deref(),
                    position: None,
                },
            )?;
            let name = [row.firstname.as_deref(), row.lastname.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let notice = notify::account_created(
                context.app_url,
                if name.is_empty() { email } else { &name },
                email,
                "chargé d'orientation",
                "",
            );
            outbox::queue(conn, email, &notice.subject, &notice.body)?;
            let mut applied = Applied::new(LineStatus::Create);
            applied.record_id = Some(id);
            return Ok(applied);
        };
        let mut changes = Map::new();
        let firstname = differs(
            &mut changes,
            "firstname",
            current.firstname.as_deref(),
            row.firstname.as_deref(),
        );
        let lastname = differs(
            &mut changes,
            "lastname",
            current.lastname.as_deref(),
            row.lastname.as_deref(),
        );
        let phones = differs(
            &mut changes,
            "phone_numbers",
            current.phone_numbers.as_deref(),
            phone_numbers.as_deref(),
        );
        if !changes.is_empty() {
            store::update_staff(
                conn,
                staff,
                current.id,
                firstname
                    .flatten()
                    .as_deref()
                    .or(current.firstname.as_deref()),
                lastname
                    .flatten()
                    .as_deref()
                    .or(current.lastname.as_deref()),
                phones
                    .flatten()
                    .as_deref()
                    .or(current.phone_numbers.as_deref()),
            )?;
        }
        Ok(written(changes, current.id))
    }
}
