//! Date/time tests.
