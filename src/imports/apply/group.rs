//! The follow-up columns of a beneficiaries line — the structures the person is attached to
//! and the professionals who join their group (the first as referent when the group has none)
//! — decided from the notebook's state and written, for one line or for a whole chunk with one
//! statement per table, through the same [`plan`].

use std::collections::{HashMap, HashSet};

use diesel::pg::PgConnection;
use diesel::prelude::QueryResult;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{LineFailure, RunContext, references};
use crate::imports::kinds::BeneficiaryRow;
use crate::store::changes::PendingChange;
use crate::store::members::{self, AccountPerson};
use crate::store::timeline::{self, Author, WriteError};

/// Whether the line has a follow-up column.
pub fn has_columns(row: &BeneficiaryRow) -> bool {
    !row.structures.is_empty() || !row.advisors.is_empty()
}

/// The structures and professionals named by lines, resolved in the import's deployment.
#[derive(Debug, Default)]
pub struct References {
    /// Structure name → the structure, `None` when the deployment has none of that name.
    structures: HashMap<String, Option<Uuid>>,
    /// E-mail → the professional's live account, `None` when nobody may join with it.
    professionals: HashMap<String, Option<AccountPerson>>,
}

impl References {
    /// Resolves what these lines name that is not resolved yet, each name once (an import
    /// keeps them from chunk to chunk).
    pub fn extend(
        &mut self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        rows: &[&BeneficiaryRow],
    ) -> QueryResult<()> {
        let deployment = context.import.deployment_id;
        let found = self;
        let mut accounts: HashMap<String, Uuid> = HashMap::new();
        for row in rows {
            for name in &row.structures {
                if found.structures.contains_key(name) {
                    continue;
                }
                let structure = match references::structure(conn, deployment, name, "") {
                    Ok(id) => Some(id),
                    Err(LineFailure::Database(error)) => return Err(error),
                    Err(_) => None,
                };
                found.structures.insert(name.clone(), structure);
            }
            for email in &row.advisors {
                let email = email.as_str();
                if found.professionals.contains_key(email) || accounts.contains_key(email) {
                    continue;
                }
                match references::professional(conn, deployment, None, email, "") {
                    Ok(professional) => {
                        accounts.insert(email.to_owned(), professional.account_id);
                    }
                    Err(LineFailure::Database(error)) => return Err(error),
                    Err(_) => {
                        found.professionals.insert(email.to_owned(), None);
                    }
                }
            }
        }
        let ids: Vec<Uuid> = accounts.values().copied().collect();
        let people: HashMap<Uuid, AccountPerson> = members::account_people(conn, &ids)?
            .into_iter()
            .filter(|person| members::may_join(person, deployment))
            .map(|person| (person.id, person))
            .collect();
        for (email, account) in accounts {
            found
                .professionals
                .insert(email, people.get(&account).cloned());
        }
        Ok(())
    }

    /// Whether the deployment has a structure of this name (resolved before).
    pub fn has_structure(&self, name: &str) -> bool {
        matches!(self.structures.get(name), Some(Some(_)))
    }

    /// Whether this e-mail is a professional who may join a group (resolved before).
    pub fn has_professional(&self, email: &str) -> bool {
        matches!(self.professionals.get(email), Some(Some(_)))
    }

    /// Whether everything the line names is known and may be written.
    pub fn resolve_all(&self, row: &BeneficiaryRow) -> bool {
        row.structures.iter().all(|name| self.has_structure(name))
            && row
                .advisors
                .iter()
                .all(|email| self.has_professional(email.as_str()))
    }
}

/// Resolves the line's names one by one, as a line alone reports them: the first structure or
/// e-mail nobody answers to is the error of its cell.
pub fn resolve_line(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    row: &BeneficiaryRow,
) -> Result<References, LineFailure> {
    let deployment = context.import.deployment_id;
    let mut found = References::default();
    let column = context.columns.get("structures");
    for name in &row.structures {
        let structure = references::structure(conn, deployment, name, &column)?;
        found.structures.insert(name.clone(), Some(structure));
    }
    let column = context.columns.get("advisors");
    for email in &row.advisors {
        let email = email.as_str();
        let professional = references::professional(conn, deployment, None, email, &column)?;
        let person = members::account_people(conn, &[professional.account_id])?
            .into_iter()
            .find(|person| members::may_join(person, deployment))
            .ok_or_else(|| {
                let refused = WriteError::Invalid(
                    "account_id must be a live professional or orientation manager account of the notebook's deployment".into(),
                );
                LineFailure::Rejected(vec![super::refused_line(&refused.to_string())])
            })?;
        found.professionals.insert(email.to_owned(), Some(person));
    }
    Ok(found)
}

/// A notebook's group as the follow-up columns see it.
#[derive(Debug, Clone, Default)]
pub struct GroupState {
    /// The structures the person is attached to now.
    pub structures: HashSet<Uuid>,
    /// The active members: account → member type.
    pub members: HashMap<Uuid, String>,
}

impl GroupState {
    fn referent(&self) -> Option<Uuid> {
        self.members
            .iter()
            .find(|(_, kind)| kind.as_str() == "referent")
            .map(|(account, _)| *account)
    }
}

/// The groups of these notebooks (notebook, person), read in two queries.
pub fn read_states(
    conn: &mut PgConnection,
    notebooks: &[(Uuid, Uuid)],
) -> QueryResult<HashMap<Uuid, GroupState>> {
    let ids: Vec<Uuid> = notebooks.iter().map(|(notebook, _)| *notebook).collect();
    let people: Vec<Uuid> = notebooks.iter().map(|(_, person)| *person).collect();
    let notebook_of: HashMap<Uuid, Uuid> = notebooks
        .iter()
        .map(|(notebook, person)| (*person, *notebook))
        .collect();
    let mut states: HashMap<Uuid, GroupState> = HashMap::new();
    for (person, structure) in crate::store::orientation::current_structures(conn, &people)? {
        if let Some(notebook) = notebook_of.get(&person) {
            states
                .entry(*notebook)
                .or_default()
                .structures
                .insert(structure);
        }
    }
    for (notebook, account, kind) in members::active_members(conn, &ids)? {
        states
            .entry(notebook)
            .or_default()
            .members
            .insert(account, kind);
    }
    Ok(states)
}

/// What a line's follow-up columns do to a notebook's group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupPlan {
    /// Structures the person is attached to.
    pub attach: Vec<Uuid>,
    /// Accounts joining: account and member type.
    pub joins: Vec<(Uuid, &'static str)>,
    /// column → {before, after, source}, as the line's result shows it.
    pub changes: Map<String, Value>,
    /// The timeline events, in order: type and payload.
    pub events: Vec<(&'static str, Value)>,
}

/// Decides what the line's follow-up columns change in a group in this state: structures not
/// attached yet, professionals not in the group yet (the first as referent when there is
/// none). Every name must be resolved (see [`References::resolve_all`]).
pub fn plan(row: &BeneficiaryRow, state: &GroupState, references: &References) -> GroupPlan {
    let mut plan = GroupPlan::default();
    let mut attached_names = Vec::new();
    for name in &row.structures {
        let Some(Some(structure)) = references.structures.get(name) else {
            continue;
        };
        if state.structures.contains(structure) || plan.attach.contains(structure) {
            continue;
        }
        plan.attach.push(*structure);
        plan.events.push((
            "orientation",
            json!({
                "event_label": format!("Rattachement à la structure {name}"),
                "before": null, "after": {"structure_id": structure, "structure": name},
            }),
        ));
        attached_names.push(name.clone());
    }
    if !attached_names.is_empty() {
        plan.changes.insert(
            "structures".into(),
            json!({"before": null, "after": attached_names, "source": null}),
        );
    }
    let mut members = state.members.clone();
    let mut referent = state.referent();
    let mut joined = Vec::new();
    for email in &row.advisors {
        let Some(Some(person)) = references.professionals.get(email.as_str()) else {
            continue;
        };
        let account = person.id;
        let as_referent = referent.is_none();
        let member_type = if as_referent {
            "referent"
        } else {
            "no_referent"
        };
        let current = members.get(&account).map(String::as_str);
        let unchanged = matches!(
            (as_referent, current),
            (true, Some("referent")) | (false, Some(_))
        );
        if !unchanged {
            plan.joins.push((account, member_type));
            members.insert(account, member_type.to_owned());
            plan.events.push((
                "member",
                json!({
                    "event_label": "Ajout au groupe de suivi",
                    "before": null,
                    "after": {"account_id": account, "name": person.name, "member_type": member_type},
                }),
            ));
            joined.push(email.as_str().to_owned());
        }
        if as_referent {
            referent = Some(account);
        }
    }
    if !joined.is_empty() {
        plan.changes.insert(
            "advisors".into(),
            json!({"before": null, "after": joined, "source": null}),
        );
    }
    plan
}

/// Writes the plans of several groups (notebook, person, plan), one statement per table, by
/// the import's author; answers each plan's change-feed entries, in order.
pub fn write(
    conn: &mut PgConnection,
    plans: &[(Uuid, Uuid, &GroupPlan)],
    author: Author,
) -> QueryResult<Vec<Vec<PendingChange>>> {
    write_rows(conn, plans, author)?;
    let events: Vec<(Uuid, &[(&'static str, Value)])> = plans
        .iter()
        .map(|(notebook, _, plan)| (*notebook, plan.events.as_slice()))
        .collect();
    timeline::stage_planned(conn, &events, author)
}

/// Writes the rows of several groups' plans, one statement per table, without their timeline
/// events (the caller stages them, with others of the same notebooks).
pub fn write_rows(
    conn: &mut PgConnection,
    plans: &[(Uuid, Uuid, &GroupPlan)],
    author: Author,
) -> QueryResult<()> {
    let attachments: Vec<(Uuid, Uuid)> = plans
        .iter()
        .flat_map(|(_, person, plan)| plan.attach.iter().map(move |s| (*person, *s)))
        .collect();
    crate::store::orientation::attach_all(conn, &attachments)?;
    let joins: Vec<(Uuid, Uuid, &str)> = plans
        .iter()
        .flat_map(|(notebook, _, plan)| {
            plan.joins
                .iter()
                .map(move |(account, kind)| (*notebook, *account, *kind))
        })
        .collect();
    members::join_all(conn, &joins, author)
}
