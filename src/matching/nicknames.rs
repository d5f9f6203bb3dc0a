//! Given-name equivalence: "Bob" ↔ "Robert", "Liz"/"Beth" ↔ "Elizabeth".
//!
//! The table ships as data (`nicknames.txt`, one group per line) so it can
//! grow without code changes. Groups are symmetric but not transitive: "Al"
//! is short for both Albert and Alfred, which does not make Albert an Alfred.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::normalize::name_key;

/// The shipped table: one group of equivalent given names per line.
pub const TABLE: &str = include_str!("nicknames.txt");

/// Parsed nickname groups with an index from name to the groups holding it.
#[derive(Debug, Default)]
pub struct Nicknames {
    groups: Vec<Vec<String>>,
    index: HashMap<String, Vec<usize>>,
}

impl Nicknames {
    /// Parses a table in the `nicknames.txt` format; `#` starts a comment.
    pub fn parse(text: &str) -> Nicknames {
        let mut n = Nicknames::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let group: Vec<String> = line
                .split_whitespace()
                .map(name_key)
                .filter(|k| !k.is_empty())
                .collect();
            if group.len() < 2 {
                continue;
            }
            let id = n.groups.len();
            for name in &group {
                let ids = n.index.entry(name.clone()).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            n.groups.push(group);
        }
        n
    }

    /// The shipped table, parsed once.
    pub fn shipped() -> &'static Nicknames {
        static TABLE_PARSED: OnceLock<Nicknames> = OnceLock::new();
        TABLE_PARSED.get_or_init(|| Nicknames::parse(TABLE))
    }

    /// True when two given names (any case, diacritics, punctuation) share
    /// a group. A name is not its own nickname: equal names return false so
    /// callers can tell "exact" from "nickname".
    pub fn equivalent(&self, a: &str, b: &str) -> bool {
        let (a, b) = (name_key(a), name_key(b));
        if a.is_empty() || a == b {
            return false;
        }
        match (self.index.get(&a), self.index.get(&b)) {
            (Some(ga), Some(gb)) => ga.iter().any(|g| gb.contains(g)),
            _ => false,
        }
    }

    /// Every name sharing a group with `name`, excluding itself.
    pub fn variants(&self, name: &str) -> Vec<&str> {
        let key = name_key(name);
        let mut out: Vec<&str> = Vec::new();
        for &g in self.index.get(&key).map(Vec::as_slice).unwrap_or_default() {
            for v in &self.groups[g] {
                if *v != key && !out.contains(&v.as_str()) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when the table holds no group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pairs_are_symmetric() {
        let n = Nicknames::shipped();
        for (a, b) in [
            ("Bob", "Robert"),
            ("Robbie", "Robert"),
            ("Liz", "Elizabeth"),
            ("Beth", "Elizabeth"),
            ("Betty", "Elizabeth"),
            ("Eliza", "Elizabeth"),
            ("Bill", "William"),
            ("Will", "William"),
            ("Billy", "William"),
            ("Peggy", "Margaret"),
            ("Jack", "John"),
            ("Dick", "Richard"),
            ("Kate", "Catherine"),
        ] {
            assert!(n.equivalent(a, b), "{a} ~ {b}");
            assert!(n.equivalent(b, a), "{b} ~ {a}");
        }
        assert!(n.len() > 250, "{} groups", n.len());
    }

    #[test]
    fn shared_short_forms_do_not_join_formal_names() {
        let n = Nicknames::shipped();
        assert!(n.equivalent("Al", "Albert"));
        assert!(n.equivalent("Al", "Alfred"));
        assert!(!n.equivalent("Albert", "Alfred"));
        assert!(!n.equivalent("Robert", "William"));
        assert!(!n.equivalent("Jane", "Jane"));
        assert!(n.variants("Peggy").contains(&"margaret"));
    }

    #[test]
    fn parse_skips_comments_and_single_names() {
        let n = Nicknames::parse("# c\nfoo bar # trailing\nlonely\n");
        assert_eq!(n.len(), 1);
        assert!(n.equivalent("FOO", "bar"));
    }
}
