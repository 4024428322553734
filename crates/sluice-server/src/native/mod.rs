//! The native TCP protocol (port 9000): a hand-written codec and the connection loop.
//!
//! - [`wire`]: VarUInt, strings, fixed-width integers; incomplete vs invalid input.
//! - [`handshake`]: Hello both ways, addendum, revision constants.
//! - [`packets`]: Query/ClientInfo/settings in, Exception/Progress/ProfileInfo/… out.
//! - [`block`]: native blocks; [`columns`]: their column data.
//! - [`compression`]: LZ4/ZSTD frames with CityHash128 v1.0.2 checksums.
//! - [`connection`]: one client connection, from Hello to close.

pub mod block;
pub mod columns;
pub mod compression;
pub mod connection;
pub mod handshake;
pub mod io;
pub mod packets;
pub mod query;
pub use sluice_formats::native::wire;
