//! Writing the directory: structures, professionals and their accounts, and the deactivation
//! of a professional (their account closed, their memberships ended, their history kept).

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::changes::{self, PendingChange};
use super::directory::{ProfessionalRow, StructureRow};
use crate::domain::role::Role;
use crate::schema::{account, account_token, admin_structure_structure, professional, structure};

/// What a creation or an update did: the row written, or the existing row that holds the same
/// name (structure) or e-mail (professional) in the deployment.
#[derive(Debug, Clone)]
pub enum Written<T> {
    /// Written.
    Done(T),
    /// Another row of the deployment already has this name or e-mail.
    Duplicate(Uuid),
}

/// A structure to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = structure)]
pub struct NewStructureRow {
    pub deployment_id: Uuid,
    pub name: String,
    pub siret: Option<String>,
    pub short_desc: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub website: Option<String>,
    pub sensitive: bool,
}

/// Changes to a structure: `None` leaves a column alone, `Some(None)` empties it.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = structure)]
pub struct StructureChanges {
    pub name: Option<String>,
    pub siret: Option<Option<String>>,
    pub short_desc: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub address1: Option<Option<String>>,
    pub address2: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub sensitive: Option<bool>,
}

/// A professional to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = professional)]
pub struct NewProfessionalRow {
    pub deployment_id: Uuid,
    pub structure_id: Uuid,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub position: Option<String>,
    pub mobile_number: Option<String>,
}

/// Changes to a professional: `None` leaves a column alone, `Some(None)` empties it.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = professional)]
pub struct ProfessionalChanges {
    pub structure_id: Option<Uuid>,
    pub email: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub position: Option<Option<String>>,
    pub mobile_number: Option<Option<String>>,
}

/// Serialises the directory writes of one deployment until commit, so that two requests cannot
/// both find a name or an e-mail free and both take it (the unique indexes ignore accents).
fn lock_deployment(conn: &mut PgConnection, deployment: Uuid) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('directory:' || $1::text, 0))")
        .bind::<SqlUuid, _>(deployment)
        .execute(conn)
        .map(|_| ())
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The structure of a deployment with this name, ignoring case and accents (`CCAS d'Évry` is
/// `ccas d'evry`), other than `except`.
pub fn structure_named(
    conn: &mut PgConnection,
    deployment: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> QueryResult<Option<Uuid>> {
    let found: Option<Id> = diesel::sql_query(
        "SELECT id FROM structure WHERE deployment_id = $1 \
         AND lower(unaccent(btrim(name))) = lower(unaccent(btrim($2))) \
         AND ($3::uuid IS NULL OR id <> $3) ORDER BY created_at LIMIT 1",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(name)
    .bind::<Nullable<SqlUuid>, _>(except)
    .get_result(conn)
    .optional()?;
    Ok(found.map(|row| row.id))
}

/// Creates a structure unless the deployment has one of the same name.
pub fn create_structure(
    conn: &mut PgConnection,
    row: &NewStructureRow,
) -> QueryResult<Written<StructureRow>> {
    conn.transaction(|conn| {
        lock_deployment(conn, row.deployment_id)?;
        if let Some(existing) = structure_named(conn, row.deployment_id, &row.name, None)? {
            return Ok(Written::Duplicate(existing));
        }
        diesel::insert_into(structure::table)
            .values(row)
            .returning(StructureRow::as_returning())
            .get_result(conn)
            .map(Written::Done)
    })
}

/// A structure by id, within one deployment (`None`: any).
pub fn structure(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Option<Uuid>,
) -> QueryResult<Option<StructureRow>> {
    let mut query = structure::table
        .find(id)
        .select(StructureRow::as_select())
        .into_boxed();
    if let Some(deployment) = deployment {
        query = query.filter(structure::deployment_id.eq(deployment));
    }
    query.first(conn).optional()
}

/// Whether a structure administrator currently administers a structure.
pub fn administers(
    conn: &mut PgConnection,
    admin_structure_id: Uuid,
    structure_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        admin_structure_structure::table
            .filter(admin_structure_structure::admin_structure_id.eq(admin_structure_id))
            .filter(admin_structure_structure::structure_id.eq(structure_id))
            .filter(admin_structure_structure::deleted_at.is_null()),
    ))
    .get_result(conn)
}

/// Applies changes to a structure, unless its new name is another structure's.
pub fn update_structure(
    conn: &mut PgConnection,
    current: &StructureRow,
    changes: &StructureChanges,
) -> QueryResult<Written<StructureRow>> {
    if *changes == StructureChanges::default() {
        return Ok(Written::Done(current.clone()));
    }
    conn.transaction(|conn| {
        lock_deployment(conn, current.deployment_id)?;
        if let Some(name) = &changes.name
            && let Some(existing) =
                structure_named(conn, current.deployment_id, name, Some(current.id))?
        {
            return Ok(Written::Duplicate(existing));
        }
        diesel::update(structure::table.find(current.id))
            .set(changes)
            .returning(StructureRow::as_returning())
            .get_result(conn)
            .map(Written::Done)
    })
}

/// The professional of a deployment with this e-mail (case-insensitive), other than `except`.
pub fn professional_with_email(
    conn: &mut PgConnection,
    deployment: Uuid,
    email: &str,
    except: Option<Uuid>,
) -> QueryResult<Option<Uuid>> {
    let found: Option<Id> = diesel::sql_query(
        "SELECT id FROM professional WHERE deployment_id = $1 AND lower(email) = lower($2) \
         AND ($3::uuid IS NULL OR id <> $3) LIMIT 1",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(email)
    .bind::<Nullable<SqlUuid>, _>(except)
    .get_result(conn)
    .optional()?;
    Ok(found.map(|row| row.id))
}

/// A professional created with their account.
#[derive(Debug, Clone)]
pub struct CreatedProfessional {
    /// The profile.
    pub professional: ProfessionalRow,
    /// Their account (role professional, confirmed: created by a manager or an administrator,
    /// as the original's imports did).
    pub account_id: Uuid,
}

/// Creates a professional and their account, unless the deployment has a professional with
/// this e-mail. Runs in the caller's transaction when there is one.
pub fn create_professional(
    conn: &mut PgConnection,
    row: &NewProfessionalRow,
) -> QueryResult<Written<CreatedProfessional>> {
    conn.transaction(|conn| {
        lock_deployment(conn, row.deployment_id)?;
        if let Some(existing) = professional_with_email(conn, row.deployment_id, &row.email, None)?
        {
            return Ok(Written::Duplicate(existing));
        }
        let created: ProfessionalRow = diesel::insert_into(professional::table)
            .values(row)
            .returning(ProfessionalRow::as_returning())
            .get_result(conn)?;
        let account_id = diesel::insert_into(account::table)
            .values((
                account::role.eq(Role::Professional.as_str()),
                account::deployment_id.eq(row.deployment_id),
                account::professional_id.eq(created.id),
                account::confirmed.eq(true),
            ))
            .returning(account::id)
            .get_result(conn)?;
        Ok(Written::Done(CreatedProfessional {
            professional: created,
            account_id,
        }))
    })
}

/// A professional by id, within one deployment (`None`: any).
pub fn professional(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Option<Uuid>,
) -> QueryResult<Option<ProfessionalRow>> {
    let mut query = professional::table
        .find(id)
        .select(ProfessionalRow::as_select())
        .into_boxed();
    if let Some(deployment) = deployment {
        query = query.filter(professional::deployment_id.eq(deployment));
    }
    query.first(conn).optional()
}

/// Applies changes to a professional, unless their new e-mail is another professional's.
pub fn update_professional(
    conn: &mut PgConnection,
    current: &ProfessionalRow,
    changes: &ProfessionalChanges,
) -> QueryResult<Written<ProfessionalRow>> {
    if *changes == ProfessionalChanges::default() {
        return Ok(Written::Done(current.clone()));
    }
    conn.transaction(|conn| {
        lock_deployment(conn, current.deployment_id)?;
        if let Some(email) = &changes.email
            && let Some(existing) =
                professional_with_email(conn, current.deployment_id, email, Some(current.id))?
        {
            return Ok(Written::Duplicate(existing));
        }
        diesel::update(professional::table.find(current.id))
            .set(changes)
            .returning(ProfessionalRow::as_returning())
            .get_result(conn)
            .map(Written::Done)
    })
}

#[derive(QueryableByName)]
struct EndedMembership {
    #[diesel(sql_type = SqlUuid)]
    notebook_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
    #[diesel(sql_type = Text)]
    member_type: String,
}

/// What a deactivation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deactivation {
    /// Whether the account was live until now (false when it was already closed).
    pub account_closed: bool,
    /// Memberships ended.
    pub memberships_ended: usize,
}

/// Deactivates a professional: their account is closed (it no longer logs in nor calls the
/// API, and its tokens are revoked) and their active memberships end; each notebook concerned
/// gets a `member` event, a new version and a `notebook.updated` change. The profile and
/// the former memberships stay, as history. Doing it again changes nothing.
pub fn deactivate_professional(
    conn: &mut PgConnection,
    professional_id: Uuid,
    author: Option<Uuid>,
) -> QueryResult<Deactivation> {
    conn.transaction(|conn| {
        let now = Utc::now();
        let Some((account_id, deleted_at)) = account::table
            .filter(account::professional_id.eq(professional_id))
            .select((account::id, account::deleted_at))
            .first::<(Uuid, Option<chrono::DateTime<Utc>>)>(conn)
            .optional()?
        else {
            return Ok(Deactivation {
                account_closed: false,
                memberships_ended: 0,
            });
        };
        if deleted_at.is_none() {
            diesel::update(account::table.find(account_id))
                .set(account::deleted_at.eq(now))
                .execute(conn)?;
            diesel::update(
                account_token::table
                    .filter(account_token::account_id.eq(account_id))
                    .filter(account_token::revoked_at.is_null()),
            )
            .set(account_token::revoked_at.eq(now))
            .execute(conn)?;
        }
        let ended: Vec<EndedMembership> = diesel::sql_query(
            "UPDATE notebook_member m SET active = false, membership_ended_at = $2 \
             FROM notebook n WHERE n.id = m.notebook_id AND m.account_id = $1 AND m.active \
             RETURNING m.notebook_id, m.deployment_id, n.beneficiary_id, m.member_type",
        )
        .bind::<SqlUuid, _>(account_id)
        .bind::<Timestamptz, _>(now)
        .load(conn)?;
        let mut pending = Vec::with_capacity(ended.len());
        for membership in &ended {
            diesel::sql_query("UPDATE notebook SET version = version + 1 WHERE id = $1")
                .bind::<SqlUuid, _>(membership.notebook_id)
                .execute(conn)?;
            let payload = serde_json::json!({
                "change": "membership_ended",
                "reason": "account_deactivated",
                "account_id": account_id,
                "professional_id": professional_id,
                "member_type": membership.member_type,
            });
            diesel::sql_query(
                "INSERT INTO notebook_event (deployment_id, notebook_id, event_type, event_date, author_account_id, payload) \
                 VALUES ($1, $2, 'member', $3, $4, $5)",
            )
            .bind::<SqlUuid, _>(membership.deployment_id)
            .bind::<SqlUuid, _>(membership.notebook_id)
            .bind::<Timestamptz, _>(now)
            .bind::<Nullable<SqlUuid>, _>(author)
            .bind::<Jsonb, _>(&payload)
            .execute(conn)?;
            pending.push(PendingChange {
                deployment_id: membership.deployment_id,
                beneficiary_id: membership.beneficiary_id,
                notebook_id: Some(membership.notebook_id),
                kind: "notebook.updated",
                fields: vec!["members".to_owned()],
                source_system: None,
            });
        }
        // Last statement of the transaction: it holds the change counter until commit.
        changes::record(conn, &pending)?;
        Ok(Deactivation {
            account_closed: deleted_at.is_none(),
            memberships_ended: ended.len(),
        })
    })
}

/// A structure administrator (gestionnaire de structure) or an orientation manager (chargé
/// d'orientation) to create with their account.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    /// Their deployment.
    pub deployment_id: Uuid,
    /// E-mail, the account key.
    pub email: &'a str,
    /// First name.
    pub firstname: Option<&'a str>,
    /// Last name.
    pub lastname: Option<&'a str>,
    /// Phone numbers, comma-separated.
    pub phone_numbers: Option<&'a str>,
    /// Job title (administrators only).
    pub position: Option<&'a str>,
}

/// Which staff profile: the profile table and the account role and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    /// `admin_structure`.
    AdminStructure,
    /// `orientation_manager`.
    OrientationManager,
}

impl Staff {
    fn table(self) -> &'static str {
        match self {
            Staff::AdminStructure => "admin_structure",
            Staff::OrientationManager => "orientation_manager",
        }
    }

    fn role(self) -> Role {
        match self {
            Staff::AdminStructure => Role::AdminStructure,
            Staff::OrientationManager => Role::OrientationManager,
        }
    }
}

/// A staff profile as read back.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct StaffRow {
    /// The profile.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// E-mail.
    #[diesel(sql_type = Text)]
    pub email: String,
    /// First name.
    #[diesel(sql_type = Nullable<Text>)]
    pub firstname: Option<String>,
    /// Last name.
    #[diesel(sql_type = Nullable<Text>)]
    pub lastname: Option<String>,
    /// Phone numbers.
    #[diesel(sql_type = Nullable<Text>)]
    pub phone_numbers: Option<String>,
}

/// The staff profile of a deployment with this e-mail (case-insensitive).
pub fn staff_with_email(
    conn: &mut PgConnection,
    staff: Staff,
    deployment: Uuid,
    email: &str,
) -> QueryResult<Option<StaffRow>> {
    diesel::sql_query(format!(
        "SELECT id, email, firstname, lastname, phone_numbers FROM {} \
         WHERE deployment_id = $1 AND lower(email) = lower($2)",
        staff.table()
    ))
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(email)
    .get_result(conn)
    .optional()
}

/// Creates a staff profile and its confirmed account (as the original's imports did):
/// answers the profile and the account.
pub fn create_staff(
    conn: &mut PgConnection,
    staff: Staff,
    new: &NewStaff<'_>,
) -> QueryResult<(Uuid, Uuid)> {
    lock_deployment(conn, new.deployment_id)?;
    let position = match staff {
        Staff::AdminStructure => ", position",
        Staff::OrientationManager => "",
    };
    let value = match staff {
        Staff::AdminStructure => ", $6",
        Staff::OrientationManager => "",
    };
    let profile: Id = diesel::sql_query(format!(
        "INSERT INTO {} (deployment_id, email, firstname, lastname, phone_numbers{position}) \
         VALUES ($1, $2, $3, $4, $5{value}) RETURNING id",
        staff.table()
    ))
    .bind::<SqlUuid, _>(new.deployment_id)
    .bind::<Text, _>(new.email)
    .bind::<Nullable<Text>, _>(new.firstname)
    .bind::<Nullable<Text>, _>(new.lastname)
    .bind::<Nullable<Text>, _>(new.phone_numbers)
    .bind::<Nullable<Text>, _>(new.position)
    .get_result(conn)?;
    let account: Id = diesel::sql_query(format!(
        "INSERT INTO account (role, deployment_id, {}_id, confirmed) VALUES ($1, $2, $3, true) RETURNING id",
        staff.table()
    ))
    .bind::<Text, _>(staff.role().as_str())
    .bind::<SqlUuid, _>(new.deployment_id)
    .bind::<SqlUuid, _>(profile.id)
    .get_result(conn)?;
    Ok((profile.id, account.id))
}

/// Makes a structure administrator administer a structure, unless they already do: whether
/// it was done.
pub fn attach_admin(
    conn: &mut PgConnection,
    deployment: Uuid,
    admin_structure_id: Uuid,
    structure_id: Uuid,
) -> QueryResult<bool> {
    if administers(conn, admin_structure_id, structure_id)? {
        return Ok(false);
    }
    diesel::insert_into(admin_structure_structure::table)
        .values((
            admin_structure_structure::deployment_id.eq(deployment),
            admin_structure_structure::admin_structure_id.eq(admin_structure_id),
            admin_structure_structure::structure_id.eq(structure_id),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Sets a staff profile's names and phone numbers.
pub fn update_staff(
    conn: &mut PgConnection,
    staff: Staff,
    id: Uuid,
    firstname: Option<&str>,
    lastname: Option<&str>,
    phone_numbers: Option<&str>,
) -> QueryResult<()> {
    diesel::sql_query(format!(
        "UPDATE {} SET firstname = $2, lastname = $3, phone_numbers = $4 WHERE id = $1",
        staff.table()
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<Text>, _>(firstname)
    .bind::<Nullable<Text>, _>(lastname)
    .bind::<Nullable<Text>, _>(phone_numbers)
    .execute(conn)
    .map(|_| ())
}
