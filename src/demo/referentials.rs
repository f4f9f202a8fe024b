//! The referentials the demo draws from (targets, actions, situations, ROME codes…), read
//! from the database where the migrations seeded them.

use std::collections::BTreeMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema;

/// Referential values, grouped for drawing.
#[derive(Debug, Default)]
pub struct Referentials {
    /// Targets (objectifs) per theme, for the themes that have some.
    pub targets: Vec<(String, Vec<String>)>,
    /// Actions per theme.
    pub actions: BTreeMap<String, Vec<String>>,
    /// Situation ids.
    pub situations: Vec<Uuid>,
    /// ROME code ids.
    pub rome_codes: Vec<Uuid>,
    /// Contract type keys.
    pub contract_types: Vec<String>,
    /// Employment type keys.
    pub employment_types: Vec<String>,
}

impl Referentials {
    /// Reads them.
    pub fn load(conn: &mut PgConnection) -> QueryResult<Self> {
        let mut targets: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (theme, description) in schema::ref_target::table
            .select((schema::ref_target::theme, schema::ref_target::description))
            .order((schema::ref_target::theme, schema::ref_target::description))
            .load::<(String, String)>(conn)?
        {
            targets.entry(theme).or_default().push(description);
        }
        let mut actions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (theme, description) in schema::ref_action::table
            .select((schema::ref_action::theme, schema::ref_action::description))
            .order((schema::ref_action::theme, schema::ref_action::description))
            .load::<(String, String)>(conn)?
        {
            actions.entry(theme).or_default().push(description);
        }
        Ok(Self {
            targets: targets.into_iter().collect(),
            actions,
            situations: schema::ref_situation::table
                .select(schema::ref_situation::id)
                .order(schema::ref_situation::id)
                .load(conn)?,
            rome_codes: schema::rome_code::table
                .select(schema::rome_code::id)
                .order(schema::rome_code::id)
                .load(conn)?,
            contract_types: schema::contract_type::table
                .select(schema::contract_type::id)
                .order(schema::contract_type::id)
                .load(conn)?,
            employment_types: schema::employment_type::table
                .select(schema::employment_type::id)
                .order(schema::employment_type::id)
                .load(conn)?,
        })
    }

    /// Actions of a theme; themes without actions of their own (job-search objectives) draw
    /// from the employment actions.
    pub fn actions_for(&self, theme: &str) -> &[String] {
        self.actions
            .get(theme)
            .or_else(|| self.actions.get("emploi"))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}
