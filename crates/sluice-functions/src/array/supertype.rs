//! The least common supertype as the array functions need it (array literals, `has`/`indexOf`
//! comparisons, `arrayConcat`, `map` keys and values): ClickHouse has one `getLeastSupertype`
//! for arrays and conditionals alike, so this is [`crate::conditional::supertype`]'s rule
//! with its error carried as a DataFusion error.
//!
//! Where ClickHouse 26.x would unite types into a `Variant` (its default
//! `use_variant_as_common_type = 1`), Sluice reports what ClickHouse reports with that
//! setting off: `NO_COMMON_TYPE`.

use datafusion::common::Result;
use sluice_common::ChType;

use crate::util::ch_error;

/// The least supertype of `types` ([`crate::conditional::supertype::least_supertype`]).
pub fn least_supertype(types: &[ChType]) -> Result<ChType> {
    crate::conditional::supertype::least_supertype(types).map_err(ch_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(names: &[&str]) -> String {
        let types: Vec<ChType> = names
            .iter()
            .map(|n| ChType::parse(n).unwrap_or(ChType::Nothing))
            .collect();
        match least_supertype(&types) {
            Ok(t) => t.to_string(),
            Err(e) => crate::string::testkit::err_text(e),
        }
    }

    #[test]
    fn matches_oracle() {
        // Each expectation: toTypeName([...]) from the oracle, element type.
        assert_eq!(st(&["UInt8", "Int8"]), "Int16");
        assert_eq!(st(&["UInt32", "Int8"]), "Int64");
        assert_eq!(st(&["UInt8", "Float64"]), "Float64");
        assert_eq!(st(&["Float32", "UInt16"]), "Float32");
        assert_eq!(st(&["Float32", "Int32"]), "Float64");
        assert_eq!(st(&["UInt8", "Nullable(Nothing)"]), "Nullable(UInt8)");
        assert_eq!(st(&["Decimal(9, 2)", "UInt8"]), "Decimal(9, 2)");
        assert_eq!(st(&["Decimal(9, 2)", "Int64"]), "Decimal(38, 2)");
        assert_eq!(st(&["Decimal(9, 2)", "Decimal(18, 3)"]), "Decimal(18, 3)");
        assert_eq!(st(&["Decimal(9, 2)", "Decimal(9, 3)"]), "Decimal(9, 3)");
        assert_eq!(st(&["Decimal(10, 2)", "Decimal(12, 2)"]), "Decimal(10, 2)");
        assert_eq!(st(&["Decimal(10, 2)", "Decimal(12, 3)"]), "Decimal(18, 3)");
        assert_eq!(st(&["Decimal(10, 2)", "Decimal(20, 3)"]), "Decimal(38, 3)");
        assert_eq!(st(&["Decimal(5, 2)", "Int32"]), "Decimal(18, 2)");
        assert_eq!(st(&["Decimal(5, 2)", "Int16"]), "Decimal(9, 2)");
        assert_eq!(st(&["LowCardinality(String)", "String"]), "String");
        assert_eq!(
            st(&["LowCardinality(String)", "LowCardinality(String)"]),
            "LowCardinality(String)"
        );
        assert_eq!(st(&["FixedString(1)", "String"]), "String");
        assert_eq!(st(&["FixedString(1)", "FixedString(2)"]), "String");
        assert_eq!(st(&["Date", "DateTime"]), "DateTime");
        assert_eq!(st(&["Date", "DateTime64(3)"]), "DateTime64(3)");
        assert_eq!(st(&["Date32", "Date"]), "Date32");
        assert_eq!(st(&["DateTime('UTC')", "Date32"]), "DateTime64(0)");
        assert_eq!(
            st(&["DateTime64(3, 'UTC')", "Date"]),
            "DateTime64(3, 'UTC')"
        );
        assert_eq!(
            st(&["Tuple(UInt8, String)", "Tuple(Int8, Nullable(Nothing))"]),
            "Tuple(Int16, Nullable(String))"
        );
        assert_eq!(
            st(&["Map(UInt8, UInt8)", "Map(Int8, UInt8)"]),
            "Map(Int16, UInt8)"
        );
        assert_eq!(
            st(&["Array(UInt8)", "Array(Nullable(Nothing))"]),
            "Array(Nullable(UInt8))"
        );
        assert_eq!(st(&["Int128", "UInt64"]), "Int128");
        assert_eq!(st(&["UInt8", "Bool"]), "UInt8");
        assert_eq!(st(&["Bool", "UInt8"]), "Bool");
        assert_eq!(st(&["Bool", "Int8"]), "Int16");
        assert_eq!(st(&["Enum8('a' = 1)", "String"]), "String");
        // Oracle: Code 386 NO_COMMON_TYPE.
        assert!(st(&["UInt8", "String"]).contains("Code: 386"));
        // Oracle (use_variant_as_common_type = 0; on, it is Variant(Int8, UInt64)): Code 386.
        assert!(st(&["UInt64", "Int8"]).contains("Code: 386"));
        assert!(st(&["Float64", "Int64"]).contains("Code: 386"));
        assert!(st(&["Array(UInt8)", "Nullable(Nothing)"]).contains("Code: 386"));
    }
}
