//! Part names `<partition_id>_<min_block>_<max_block>_<level>[_<mutation>]` and the
//! "covers" relation used by merges and recovery.

use std::fmt;

/// The name of a part, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartName {
    /// Partition id (`all`, `202509`, a hash).
    pub partition_id: String,
    /// Smallest insert block number the part holds.
    pub min_block: i64,
    /// Largest insert block number the part holds.
    pub max_block: i64,
    /// Merge depth: 0 for inserted parts.
    pub level: u32,
    /// Block number of the last mutation applied, when any.
    pub mutation: Option<i64>,
}

impl PartName {
    /// Parses a directory name; `None` when it is not a part name.
    pub fn parse(s: &str) -> Option<PartName> {
        let pieces: Vec<&str> = s.rsplitn(5, '_').collect();
        let parse_tail = |n: usize| -> Option<(i64, i64, u32)> {
            Some((
                pieces.get(n + 2)?.parse().ok()?,
                pieces.get(n + 1)?.parse().ok()?,
                pieces.get(n)?.parse().ok()?,
            ))
        };
        // With a mutation suffix: [mutation, level, max, min, partition].
        if pieces.len() == 5
            && let Ok(mutation) = pieces[0].parse::<i64>()
            && let Some((min_block, max_block, level)) = parse_tail(1)
            && !pieces[4].is_empty()
            && !pieces[4].contains('_')
        {
            return Some(PartName {
                partition_id: pieces[4].to_string(),
                min_block,
                max_block,
                level,
                mutation: Some(mutation),
            });
        }
        let pieces: Vec<&str> = s.rsplitn(4, '_').collect();
        if pieces.len() != 4 || pieces[3].is_empty() || pieces[3].contains('_') {
            return None;
        }
        Some(PartName {
            partition_id: pieces[3].to_string(),
            min_block: pieces[2].parse().ok()?,
            max_block: pieces[1].parse().ok()?,
            level: pieces[0].parse().ok()?,
            mutation: None,
        })
    }

    /// The data version: the last mutation applied, else the first block number.
    pub fn data_version(&self) -> i64 {
        self.mutation.unwrap_or(self.min_block)
    }

    /// True when `self` contains all of `other`'s data (same partition, a block range that
    /// includes `other`'s, and newer: merged higher or mutated later).
    pub fn covers(&self, other: &PartName) -> bool {
        self != other
            && self.partition_id == other.partition_id
            && self.min_block <= other.min_block
            && self.max_block >= other.max_block
            && (self.level > other.level
                || self.data_version() > other.data_version()
                || (self.level == other.level
                    && self.data_version() == other.data_version()
                    && (self.min_block, -self.max_block) < (other.min_block, -other.max_block)))
    }
}

impl fmt::Display for PartName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}_{}_{}_{}",
            self.partition_id, self.min_block, self.max_block, self.level
        )?;
        if let Some(m) = self.mutation {
            write!(f, "_{m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_cover() {
        let a = PartName::parse("-1-20250901_1_1_0").unwrap();
        assert_eq!(a.partition_id, "-1-20250901");
        assert_eq!(a.to_string(), "-1-20250901_1_1_0");
        let m = PartName::parse("all_1_5_2_7").unwrap();
        assert_eq!(m.mutation, Some(7));
        assert_eq!(m.to_string(), "all_1_5_2_7");
        let b = PartName::parse("all_2_2_0").unwrap();
        assert!(m.covers(&b));
        assert!(!b.covers(&m));
        let mutated = PartName::parse("all_2_2_0_9").unwrap();
        assert!(mutated.covers(&b));
        assert!(PartName::parse("tmp_insert_all_1_1_0").is_none());
        assert!(PartName::parse("detached").is_none());
    }
}
