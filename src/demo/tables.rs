//! The demo's pending rows per table and their bulk load, parents before children.

use std::io::Write;

use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;

use super::DemoError;
use super::rows::Rows;
use crate::schema;

/// Pending rows of every table the demo fills; each buffer's column order is the one listed
/// in [`Tables::copy_into`].
#[derive(Default)]
pub struct Tables {
    pub deployment: Rows,
    pub orientation_system: Rows,
    pub structure: Rows,
    pub structure_orientation_system: Rows,
    pub professional: Rows,
    pub professional_orientation_system: Rows,
    pub manager: Rows,
    pub orientation_manager: Rows,
    pub admin_structure: Rows,
    pub admin_structure_structure: Rows,
    pub account: Rows,
    pub beneficiary: Rows,
    pub notebook: Rows,
    pub beneficiary_structure: Rows,
    pub notebook_member: Rows,
    pub notebook_focus: Rows,
    pub notebook_target: Rows,
    pub notebook_action: Rows,
    pub notebook_appointment: Rows,
    pub notebook_situation: Rows,
    pub professional_project: Rows,
    pub notebook_event: Rows,
    pub notebook_creation: Rows,
}

macro_rules! copy_rows {
    ($conn:expr, $rows:expr, $total:expr, $table:ident, ($($column:ident),+ $(,)?)) => {
        if !$rows.is_empty() {
            $total += $rows.len();
            let data = $rows.take()?;
            diesel::copy_from(schema::$table::table)
                .from_raw_data(($(schema::$table::$column,)+), move |out: &mut dyn Write| {
                    out.write_all(&data)
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
                })
                .with_format(CopyFormat::Csv)
                .execute($conn)?;
        }
    };
}

impl Tables {
    /// Loads every pending row with `COPY`, parents first; answers the number of rows.
    pub fn copy_into(&mut self, conn: &mut PgConnection) -> Result<usize, DemoError> {
        let mut total = 0;
        copy_rows!(
            conn,
            self.deployment,
            total,
            deployment,
            (id, label, department_code, config)
        );
        copy_rows!(
            conn,
            self.orientation_system,
            total,
            orientation_system,
            (id, deployment_id, name, orientation_type)
        );
        copy_rows!(
            conn,
            self.structure,
            total,
            structure,
            (
                id,
                deployment_id,
                name,
                short_desc,
                phone,
                email,
                address1,
                postal_code,
                city
            )
        );
        copy_rows!(
            conn,
            self.structure_orientation_system,
            total,
            structure_orientation_system,
            (id, deployment_id, structure_id, orientation_system_id)
        );
        copy_rows!(
            conn,
            self.professional,
            total,
            professional,
            (
                id,
                deployment_id,
                structure_id,
                email,
                firstname,
                lastname,
                position,
                mobile_number
            )
        );
        copy_rows!(
            conn,
            self.professional_orientation_system,
            total,
            professional_orientation_system,
            (id, deployment_id, professional_id, orientation_system_id)
        );
        copy_rows!(
            conn,
            self.manager,
            total,
            manager,
            (id, deployment_id, email, firstname, lastname)
        );
        copy_rows!(
            conn,
            self.orientation_manager,
            total,
            orientation_manager,
            (id, deployment_id, email, firstname, lastname, phone_numbers)
        );
        copy_rows!(
            conn,
            self.admin_structure,
            total,
            admin_structure,
            (id, deployment_id, email, firstname, lastname, position)
        );
        copy_rows!(
            conn,
            self.admin_structure_structure,
            total,
            admin_structure_structure,
            (id, deployment_id, admin_structure_id, structure_id)
        );
        copy_rows!(
            conn,
            self.account,
            total,
            account,
            (
                id,
                role,
                deployment_id,
                manager_id,
                admin_structure_id,
                orientation_manager_id,
                professional_id,
                confirmed
            )
        );
        copy_rows!(
            conn,
            self.beneficiary,
            total,
            beneficiary,
            (
                id,
                deployment_id,
                firstname,
                lastname,
                date_of_birth,
                place_of_birth,
                nir,
                caf_organisation,
                caf_number,
                household_role,
                france_travail_id,
                external_id,
                external_role,
                email,
                mobile_number,
                address1,
                postal_code,
                city,
                right_rsa,
                right_are,
                right_ass,
                right_bonus,
                is_homeless,
                subject_to_right_and_duty,
                rsa_suspension_reason,
                family_situation,
                created_at,
            )
        );
        copy_rows!(
            conn,
            self.notebook,
            total,
            notebook,
            (
                id,
                deployment_id,
                beneficiary_id,
                right_rqth,
                work_situation,
                work_situation_date,
                education_level,
                contract_type,
                contract_sign_date,
                contract_start_date,
                contract_end_date,
                orientation_system_id,
                created_at,
            )
        );
        copy_rows!(
            conn,
            self.beneficiary_structure,
            total,
            beneficiary_structure,
            (
                id,
                deployment_id,
                beneficiary_id,
                structure_id,
                status,
                created_at
            )
        );
        copy_rows!(
            conn,
            self.notebook_member,
            total,
            notebook_member,
            (
                id,
                deployment_id,
                notebook_id,
                account_id,
                member_type,
                active,
                last_visited_at,
                creator_account_id,
                created_at
            )
        );
        copy_rows!(
            conn,
            self.notebook_focus,
            total,
            notebook_focus,
            (
                id,
                deployment_id,
                notebook_id,
                theme,
                creator_account_id,
                created_at
            )
        );
        copy_rows!(
            conn,
            self.notebook_target,
            total,
            notebook_target,
            (
                id,
                deployment_id,
                notebook_id,
                focus_id,
                target,
                status,
                linked_to,
                user_consent,
                creator_account_id,
                created_at
            )
        );
        copy_rows!(
            conn,
            self.notebook_action,
            total,
            notebook_action,
            (
                id,
                deployment_id,
                notebook_id,
                target_id,
                action,
                status,
                starting_at,
                creator_account_id,
                created_at
            )
        );
        copy_rows!(
            conn,
            self.notebook_appointment,
            total,
            notebook_appointment,
            (
                id,
                deployment_id,
                notebook_id,
                account_id,
                date,
                status,
                created_at
            )
        );
        copy_rows!(
            conn,
            self.notebook_situation,
            total,
            notebook_situation,
            (
                id,
                deployment_id,
                notebook_id,
                situation_id,
                created_at,
                created_by_account_id
            )
        );
        copy_rows!(
            conn,
            self.professional_project,
            total,
            professional_project,
            (
                id,
                deployment_id,
                notebook_id,
                rome_code_id,
                mobility_radius,
                hourly_rate_cents,
                contract_type_id,
                employment_type_id,
                updated_by_account_id,
            )
        );
        copy_rows!(
            conn,
            self.notebook_event,
            total,
            notebook_event,
            (
                id,
                deployment_id,
                notebook_id,
                event_type,
                event_date,
                author_account_id,
                payload
            )
        );
        copy_rows!(
            conn,
            self.notebook_creation,
            total,
            notebook_creation,
            (id, deployment_id, notebook_id, source, created_at)
        );
        Ok(total)
    }
}
