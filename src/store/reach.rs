//! The policy's reach as SQL: filters on the beneficiary table, applied inside every query that
//! reads a person's data.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Uuid as SqlUuid};

use crate::domain::reach::Reach;
use crate::schema::beneficiary;

/// A boolean filter on `beneficiary`.
pub type BeneficiaryFilter = Box<dyn BoxableExpression<beneficiary::table, Pg, SqlType = Bool>>;

const FOLLOWED_BY_STRUCTURE_PROFESSIONAL: &str = "beneficiary.id IN (SELECT n.beneficiary_id FROM notebook n \
     JOIN notebook_member m ON m.notebook_id = n.id AND m.active \
     JOIN account a ON a.id = m.account_id \
     JOIN professional p ON p.id = a.professional_id WHERE p.structure_id ";

/// The SQL filter of a reach.
pub fn beneficiaries(reach: Reach) -> BeneficiaryFilter {
    match reach {
        Reach::Everything => Box::new(sql::<Bool>("TRUE")),
        Reach::Nothing => Box::new(sql::<Bool>("FALSE")),
        Reach::Deployment(deployment) => Box::new(beneficiary::deployment_id.eq(deployment)),
        Reach::Own { beneficiary_id } => Box::new(beneficiary::id.eq(beneficiary_id)),
        Reach::ActiveMember { deployment, account_id } => Box::new(
            beneficiary::deployment_id.eq(deployment).and(
                sql::<Bool>(
                    "beneficiary.id IN (SELECT n.beneficiary_id FROM notebook n \
                     JOIN notebook_member m ON m.notebook_id = n.id WHERE m.active AND m.account_id = ",
                )
                .bind::<SqlUuid, _>(account_id)
                .sql(")"),
            ),
        ),
        Reach::Structure { deployment, structure_id } => Box::new(
            beneficiary::deployment_id.eq(deployment).and(
                sql::<Bool>(
                    "(beneficiary.id IN (SELECT bs.beneficiary_id FROM beneficiary_structure bs \
                     WHERE bs.status = 'current' AND bs.structure_id = ",
                )
                .bind::<SqlUuid, _>(structure_id)
                .sql(") OR ")
                .sql(FOLLOWED_BY_STRUCTURE_PROFESSIONAL)
                .sql("= ")
                .bind::<SqlUuid, _>(structure_id)
                .sql("))"),
            ),
        ),
        Reach::AdministeredStructures {
            deployment,
            admin_structure_id,
        } => {
            let administered = "(SELECT ass.structure_id FROM admin_structure_structure ass \
                                WHERE ass.deleted_at IS NULL AND ass.admin_structure_id = ";
            Box::new(
                beneficiary::deployment_id.eq(deployment).and(
                    sql::<Bool>(
                        "(beneficiary.id IN (SELECT bs.beneficiary_id FROM beneficiary_structure bs \
                         WHERE bs.status = 'current' AND bs.structure_id IN ",
                    )
                    .sql(administered)
                    .bind::<SqlUuid, _>(admin_structure_id)
                    .sql(")) OR ")
                    .sql(FOLLOWED_BY_STRUCTURE_PROFESSIONAL)
                    .sql("IN ")
                    .sql(administered)
                    .bind::<SqlUuid, _>(admin_structure_id)
                    .sql(")))"),
                ),
            )
        }
    }
}

/// Whether every one of these people is within a reach (a write is held otherwise).
pub fn contains_all(
    conn: &mut diesel::pg::PgConnection,
    reach: Reach,
    deployment: uuid::Uuid,
    people: &[uuid::Uuid],
) -> QueryResult<bool> {
    if people.is_empty() || reach.covers_deployment(deployment) {
        return Ok(true);
    }
    let within: i64 = beneficiary::table
        .filter(beneficiary::id.eq_any(people))
        .filter(beneficiaries(reach))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(within).is_ok_and(|within| within == people.len()))
}

/// Puts a person a writer has just created within that writer's reach: attached to the
/// structure of a client narrowed to it, or with the professional who created them as a
/// member of their notebook (so that the writer can go on updating whom it created).
pub fn attach_created(
    conn: &mut diesel::pg::PgConnection,
    reach: Reach,
    person: uuid::Uuid,
    notebook: uuid::Uuid,
) -> QueryResult<()> {
    use diesel::sql_types::Uuid as Id;
    match reach {
        Reach::Structure { structure_id, .. } => diesel::sql_query(
            "INSERT INTO beneficiary_structure (deployment_id, beneficiary_id, structure_id, status) \
             SELECT deployment_id, id, $2, 'current' FROM beneficiary WHERE id = $1",
        )
        .bind::<Id, _>(person)
        .bind::<Id, _>(structure_id)
        .execute(conn)
        .map(|_| ()),
        Reach::ActiveMember { account_id, .. } => diesel::sql_query(
            "INSERT INTO notebook_member (deployment_id, notebook_id, account_id, member_type, creator_account_id) \
             SELECT deployment_id, id, $2, 'no_referent', $2 FROM notebook WHERE id = $1",
        )
        .bind::<Id, _>(notebook)
        .bind::<Id, _>(account_id)
        .execute(conn)
        .map(|_| ()),
        Reach::Everything
        | Reach::Deployment(_)
        | Reach::AdministeredStructures { .. }
        | Reach::Own { .. }
        | Reach::Nothing => Ok(()),
    }
}
