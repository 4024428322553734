//! ClickHouse's URL functions. Like ClickHouse they do not follow the RFC strictly: a URL is
//! scanned once with ClickHouse's simplified rules and a part of it is returned (empty when
//! the part is missing) or cut out (the URL unchanged when missing).
//!
//! Module map:
//! - [`host`] — the scheme and host scanners the other files share.
//! - [`parts`] — protocol, domain, domainWithoutWWW, topLevelDomain, path, pathFull,
//!   queryString, fragment, netloc, cutWWW, cutQueryString, cutFragment, port.
//! - [`params`] — extractURLParameter(s), extractURLParameterNames, cutURLParameter.
//! - [`codec`] — encode/decodeURLComponent and their form (`+` for space) variants.

pub(crate) mod codec;
pub(crate) mod host;
pub(crate) mod params;
pub(crate) mod parts;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(parts::functions());
    v.extend(params::functions());
    v.extend(codec::functions());
    v
}
