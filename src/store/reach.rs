//! The policy's reach as SQL: filters on the beneficiary table, applied inside every query that
//! reads a person's data.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Uuid as SqlUuid};

use crate::auth::policy::Reach;
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
