//! Reports of work done on a whole file, kept with it and told to the managers.

/// What the application of a CAF/MSA file found.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    /// Households read.
    pub households: u64,
    /// Persons read.
    pub persons: u64,
    /// Persons matched to someone of the deployment.
    pub matched: u64,
    /// Of them, changed by the file.
    pub updated: u64,
    /// Of them, unchanged.
    pub unchanged: u64,
    /// Entrants whose notebook the file created (instance option).
    pub created: u64,
    /// Persons nobody of the deployment matches.
    pub unknown: u64,
    /// Persons kept for a manager to decide (ambiguous, identity conflict).
    pub possible_matches: u64,
    /// Persons refused (an invalid value).
    pub errors: u64,
    /// The unknown persons (at most 1,000): the flux's record id, names and birth date.
    pub unknown_people: Vec<serde_json::Value>,
    /// The file's warnings (trailer counts that disagree…).
    pub warnings: Vec<String>,
}
