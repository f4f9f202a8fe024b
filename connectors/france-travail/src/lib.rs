//! France Travail connector.
