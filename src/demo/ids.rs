//! Deterministic ids of demo rows, so that loading twice finds what the first load wrote.

use uuid::Uuid;

/// Namespace of every demo id.
const NAMESPACE: Uuid = Uuid::from_u128(0x6364_625f_6875_625f_6465_6d6f_0000_0001);

/// The id of one demo row, named by its path (e.g. `26/beneficiary/42`).
pub fn demo_id(path: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(demo_id("26/beneficiary/1"), demo_id("26/beneficiary/1"));
        assert_ne!(demo_id("26/beneficiary/1"), demo_id("93/beneficiary/1"));
    }
}
