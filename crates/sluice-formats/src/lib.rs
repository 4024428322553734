//! sluice-formats
