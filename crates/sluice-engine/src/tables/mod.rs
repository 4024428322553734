//! Table engines that live in the engine crate: `Memory`, `Null`.

pub mod memory;
pub mod null;
