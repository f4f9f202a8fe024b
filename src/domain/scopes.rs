//! OAuth2 scopes: what an API client or a token may do, independently of what it may see.

use std::fmt;

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read beneficiaries.
    BeneficiariesRead,
    /// Create and update beneficiaries.
    BeneficiariesWrite,
    /// Read notebooks.
    NotebooksRead,
    /// Write notebooks.
    NotebooksWrite,
    /// Upload import files.
    ImportsWrite,
    /// Manage connector instances.
    ConnectorsAdmin,
    /// Manage webhook subscriptions.
    WebhooksAdmin,
    /// See the NIR (social security number).
    NirRead,
}

impl Scope {
    /// Every scope, in a stable order.
    pub const ALL: [Scope; 8] = [
        Scope::BeneficiariesRead,
        Scope::BeneficiariesWrite,
        Scope::NotebooksRead,
        Scope::NotebooksWrite,
        Scope::ImportsWrite,
        Scope::ConnectorsAdmin,
        Scope::WebhooksAdmin,
        Scope::NirRead,
    ];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::BeneficiariesRead => "beneficiaries:read",
            Scope::BeneficiariesWrite => "beneficiaries:write",
            Scope::NotebooksRead => "notebooks:read",
            Scope::NotebooksWrite => "notebooks:write",
            Scope::ImportsWrite => "imports:write",
            Scope::ConnectorsAdmin => "connectors:admin",
            Scope::WebhooksAdmin => "webhooks:admin",
            Scope::NirRead => "nir:read",
        }
    }

    /// What the scope allows, for the contract.
    pub fn description(self) -> &'static str {
        match self {
            Scope::BeneficiariesRead => "Read beneficiaries",
            Scope::BeneficiariesWrite => "Create and update beneficiaries",
            Scope::NotebooksRead => "Read notebooks",
            Scope::NotebooksWrite => "Write notebooks",
            Scope::ImportsWrite => "Upload import files",
            Scope::ConnectorsAdmin => "Manage connector instances",
            Scope::WebhooksAdmin => "Manage webhook subscriptions",
            Scope::NirRead => "See the NIR (social security number)",
        }
    }

    /// Parses a scope name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u16);

/// A scope name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

impl Scopes {
    /// No scope.
    pub const NONE: Scopes = Scopes(0);

    /// Every scope.
    pub fn all() -> Self {
        Self::from_iter(Scope::ALL)
    }

    /// Parses names separated by spaces (OAuth2) or commas.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        text.split([' ', ','])
            .filter(|name| !name.is_empty())
            .map(|name| Scope::parse(name).ok_or_else(|| UnknownScope(name.to_owned())))
            .collect()
    }

    /// Parses a list of names.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownScope> {
        names
            .iter()
            .map(|name| {
                Scope::parse(name.as_ref()).ok_or_else(|| UnknownScope(name.as_ref().to_owned()))
            })
            .collect()
    }

    /// Whether the set holds a scope.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `other` is in this set.
    pub fn includes(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    /// The scopes of both sets.
    pub fn intersect(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in stable order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// The names, for storage.
    pub fn names(self) -> Vec<String> {
        self.iter().map(|scope| scope.as_str().to_owned()).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Scopes(iter.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_in_a_stable_order() {
        let scopes = Scopes::parse("nir:read beneficiaries:read").unwrap();
        assert!(scopes.contains(Scope::NirRead));
        assert!(!scopes.contains(Scope::NotebooksRead));
        assert_eq!(scopes.to_string(), "beneficiaries:read nir:read");
    }

    #[test]
    fn an_unknown_scope_is_named() {
        assert_eq!(
            Scopes::parse("beneficiaries:read admin"),
            Err(UnknownScope("admin".into()))
        );
    }

    #[test]
    fn inclusion_and_intersection() {
        let all = Scopes::all();
        let some = Scopes::parse("notebooks:read").unwrap();
        assert!(all.includes(some));
        assert!(!some.includes(all));
        assert_eq!(all.intersect(some), some);
    }
}
