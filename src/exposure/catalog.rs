//! The breach catalog: public metadata of known breaches from Have I Been
//! Pwned (CC BY 4.0, attribute "Have I Been Pwned"; see
//! `sources/breaches/NOTICE`).
//!
//! A copy ships inside the binary; `brokertrace breaches update` writes a
//! fresher one to the user data dir, which [`Catalog::load_default`] prefers.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::model::AttributeKind;

/// The catalog shipped with brokertrace (HIBP, 2025-03-03).
pub const BUILTIN_JSON: &str = include_str!("../../sources/breaches/hibp-breaches.json");

/// Attribution that must accompany the catalog wherever its facts are shown.
pub const ATTRIBUTION: &str =
    "Breach data: Have I Been Pwned (haveibeenpwned.com), licensed CC BY 4.0.";

/// One breach, with the fields of HIBP's breach model that brokertrace uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Breach {
    /// HIBP's stable identifier ("NationalPublicData").
    pub name: String,
    /// Display title ("National Public Data").
    pub title: String,
    /// Domain of the breached service; empty when HIBP names none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub domain: String,
    /// When the breach happened (YYYY-MM-DD).
    #[serde(default, deserialize_with = "null_as_default")]
    pub breach_date: String,
    /// When HIBP loaded it (RFC 3339).
    #[serde(default, deserialize_with = "null_as_default")]
    pub added_date: String,
    /// Number of accounts in it.
    #[serde(default)]
    pub pwn_count: u64,
    /// Kinds of data exposed, in HIBP's words ("Dates of birth").
    #[serde(default)]
    pub data_classes: Vec<String>,
    /// HIBP verified the breach is genuine.
    #[serde(default)]
    pub is_verified: bool,
    /// Sensitive: HIBP does not show it in public searches.
    #[serde(default)]
    pub is_sensitive: bool,
    /// A spam list rather than a breach of a service.
    #[serde(default)]
    pub is_spam_list: bool,
    /// Judged fabricated.
    #[serde(default)]
    pub is_fabricated: bool,
    /// Retired from HIBP.
    #[serde(default)]
    pub is_retired: bool,
    /// Collected by malware.
    #[serde(default)]
    pub is_malware: bool,
    /// Collected from info-stealer logs.
    #[serde(default)]
    pub is_stealer_log: bool,
}

fn null_as_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl Breach {
    /// The attribute kinds its data classes expose, deduplicated, in display order.
    pub fn attribute_kinds(&self) -> Vec<AttributeKind> {
        let mut out: Vec<AttributeKind> = self
            .data_classes
            .iter()
            .filter_map(|c| data_class_kind(c))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// True when a data class reveals passwords or password hints.
    pub fn exposes_passwords(&self) -> bool {
        self.data_classes
            .iter()
            .any(|c| c.to_ascii_lowercase().contains("password"))
    }
}

/// Maps an HIBP data class to the attribute kind it exposes, if any.
pub fn data_class_kind(class: &str) -> Option<AttributeKind> {
    let c = class.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| c.contains(w));
    Some(if c == "names" || c == "full names" || c == "aliases" {
        AttributeKind::Name
    } else if has(&["dates of birth"]) {
        AttributeKind::BirthDate
    } else if c == "ages" || c == "age groups" {
        AttributeKind::Age
    } else if has(&["physical addresses", "home addresses"]) {
        AttributeKind::Address
    } else if has(&["phone numbers"]) {
        AttributeKind::Phone
    } else if has(&["email addresses"]) {
        AttributeKind::Email
    } else if has(&[
        "social security",
        "government issued ids",
        "national ids",
        "tax",
    ]) {
        AttributeKind::Ssn
    } else if has(&[
        "credit",
        "bank",
        "income",
        "net worth",
        "financial",
        "payment",
        "salar",
        "partial credit",
    ]) {
        AttributeKind::Financial
    } else if has(&["family", "marital", "family members", "relatives"]) {
        AttributeKind::Relatives
    } else if c == "usernames" {
        AttributeKind::Username
    } else if has(&["employers", "job titles", "occupations"]) {
        AttributeKind::Employment
    } else if has(&["education"]) {
        AttributeKind::Education
    } else if has(&["geographic locations", "gps", "location"]) {
        AttributeKind::Location
    } else if has(&["photos", "profile photos", "avatars"]) {
        AttributeKind::Photo
    } else if has(&["social media"]) {
        AttributeKind::SocialMedia
    } else if has(&["criminal"]) {
        AttributeKind::CourtRecords
    } else if has(&["home ownership", "property"]) {
        AttributeKind::Property
    } else {
        return None;
    })
}

/// A set of breaches, sorted by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// Every breach, sorted by [`Breach::name`].
    pub breaches: Vec<Breach>,
}

impl Catalog {
    /// Parses a catalog (or a raw HIBP `/breaches` answer: unknown fields are ignored).
    pub fn from_json(json: &str) -> Result<Catalog> {
        let mut breaches: Vec<Breach> = serde_json::from_str(json)
            .context("breach catalog is not a JSON array of HIBP breaches")?;
        breaches.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Catalog { breaches })
    }

    /// The catalog compiled into the binary.
    pub fn builtin() -> Catalog {
        Catalog::from_json(BUILTIN_JSON).expect("the built-in breach catalog parses")
    }

    /// The user's refreshed catalog if one exists (see [`user_path`]), else the built-in one.
    pub fn load_default() -> Result<Catalog> {
        let path = user_path();
        if path.exists() {
            Catalog::load(&path)
        } else {
            Ok(Catalog::builtin())
        }
    }

    /// Reads a catalog file.
    pub fn load(path: &Path) -> Result<Catalog> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read breach catalog {}; delete it to fall back to the built-in one",
                path.display()
            )
        })?;
        Catalog::from_json(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The catalog in its canonical file form: a JSON array, one breach per line.
    pub fn to_json(&self) -> String {
        let rows: Vec<String> = self
            .breaches
            .iter()
            .map(|b| serde_json::to_string(b).expect("breaches serialise"))
            .collect();
        format!("[\n{}\n]\n", rows.join(",\n"))
    }

    /// A breach by its HIBP name.
    pub fn get(&self, name: &str) -> Option<&Breach> {
        self.breaches
            .binary_search_by(|b| b.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.breaches[i])
    }

    /// Newest `AddedDate` in the catalog (its effective date).
    pub fn newest_added(&self) -> Option<&str> {
        self.breaches.iter().map(|b| b.added_date.as_str()).max()
    }
}

/// Where `brokertrace breaches update` stores the refreshed catalog:
/// `<user data dir>/brokertrace/hibp-breaches.json`.
pub fn user_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("brokertrace")
        .join("hibp-breaches.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_canonical_and_complete() {
        let c = Catalog::builtin();
        assert_eq!(c.breaches.len(), 875);
        assert_eq!(
            c.to_json(),
            BUILTIN_JSON,
            "regenerate with Catalog::to_json"
        );
        for name in [
            "PDL",
            "NationalPublicData",
            "Whitepages",
            "TruthFinder",
            "InstantCheckmate",
        ] {
            assert!(c.get(name).is_some(), "{name} missing");
        }
        assert_eq!(c.newest_added().unwrap().get(..10), Some("2025-03-03"));
    }

    #[test]
    fn data_classes_map_to_attribute_kinds() {
        let npd = Catalog::builtin()
            .get("NationalPublicData")
            .unwrap()
            .clone();
        let kinds = npd.attribute_kinds();
        for k in [
            AttributeKind::Name,
            AttributeKind::BirthDate,
            AttributeKind::Address,
            AttributeKind::Phone,
            AttributeKind::Email,
            AttributeKind::Ssn,
        ] {
            assert!(kinds.contains(&k), "{k:?} not in {kinds:?}");
        }
        assert_eq!(data_class_kind("Passwords"), None);
        assert_eq!(
            data_class_kind("Credit status information"),
            Some(AttributeKind::Financial)
        );
    }
}
