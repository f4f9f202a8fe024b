//! Synthetic demo deployments (being written).
