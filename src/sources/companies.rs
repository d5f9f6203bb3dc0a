//! `sources/companies.toml`: corporate families and the relations between
//! sites (front of, mirror of, opt-out via, similar to), each naming the
//! dataset it comes from and that dataset's licence.
//!
//! ```toml
//! [[company]]
//! id = "spokeo-inc"
//! name = "Spokeo, Inc."
//! sites = ["spokeo.com"]
//! source = "The Markup, California registry 2025"
//! license = "Apache-2.0"
//!
//! [[relation]]
//! child = "callersmart.com"
//! parent = "spokeo.com"
//! kind = "mirror_of"
//! source = "duckduckgo/macos-browser DataBrokerProtection JSON"
//! license = "Apache-2.0"
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{InputError, InputErrors, read_toml};

/// Relation kinds a companies file may use.
pub const RELATION_KINDS: [&str; 5] = [
    "front_of",
    "mirror_of",
    "opt_out_via",
    "similar_to",
    "operated_by",
];

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompaniesFile {
    /// Corporate families.
    #[serde(default)]
    pub company: Vec<Company>,
    /// Site-to-site (or site-to-company) relations.
    #[serde(default)]
    pub relation: Vec<Relation>,
}

/// A company and the sites it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// Stable id ("spokeo-inc").
    pub id: String,
    /// Legal or trading name.
    pub name: String,
    /// Company id of the owner, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Source ids of the sites it runs.
    #[serde(default)]
    pub sites: Vec<String>,
    /// Dataset the facts come from.
    pub source: String,
    /// That dataset's licence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub license: String,
}

/// `child` relates to `parent` as `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Source id.
    pub child: String,
    /// Source id or company id.
    pub parent: String,
    /// One of [`RELATION_KINDS`].
    pub kind: String,
    /// Dataset the relation comes from.
    pub source: String,
    /// That dataset's licence.
    pub license: String,
}

/// Loads `path` and checks it against the source ids of its folder.
pub fn load(path: &Path, source_ids: &BTreeSet<String>) -> Result<CompaniesFile, InputErrors> {
    let (file, text): (CompaniesFile, String) =
        read_toml(path).map_err(|e| InputErrors(vec![e]))?;
    let problems = validate(&file, source_ids);
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(InputErrors(
            problems
                .into_iter()
                .map(|(f, m)| InputError::at_field(path, &text, &f, m))
                .collect(),
        ))
    }
}

/// Checks references and required text; returns `(field, problem)` pairs.
pub fn validate(file: &CompaniesFile, source_ids: &BTreeSet<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut company_ids = BTreeSet::new();
    for (i, c) in file.company.iter().enumerate() {
        if !company_ids.insert(c.id.as_str()) {
            out.push((
                format!("company[{i}].id"),
                format!("{:?} is used twice", c.id),
            ));
        }
        if c.source.trim().is_empty() {
            out.push((
                format!("company[{i}].source"),
                "empty; name the dataset the company's facts come from".into(),
            ));
        }
        for (j, s) in c.sites.iter().enumerate() {
            if !source_ids.contains(s) {
                out.push((
                    format!("company[{i}].sites[{j}]"),
                    format!("{s:?} is not the id of any source in this folder"),
                ));
            }
        }
    }
    for (i, c) in file.company.iter().enumerate() {
        if let Some(p) = &c.parent
            && !company_ids.contains(p.as_str())
        {
            out.push((
                format!("company[{i}].parent"),
                format!("{p:?} is not the id of any company in this file"),
            ));
        }
    }
    for (i, r) in file.relation.iter().enumerate() {
        if !RELATION_KINDS.contains(&r.kind.as_str()) {
            out.push((
                format!("relation[{i}].kind"),
                format!(
                    "{:?} is not a relation kind; expected one of: {}",
                    r.kind,
                    RELATION_KINDS.join(", ")
                ),
            ));
        }
        if !source_ids.contains(&r.child) {
            out.push((
                format!("relation[{i}].child"),
                format!("{:?} is not the id of any source in this folder", r.child),
            ));
        }
        if !source_ids.contains(&r.parent) && !company_ids.contains(r.parent.as_str()) {
            out.push((
                format!("relation[{i}].parent"),
                format!(
                    "{:?} is neither a source id in this folder nor a company id",
                    r.parent
                ),
            ));
        }
        if r.source.trim().is_empty() || r.license.trim().is_empty() {
            out.push((
                format!("relation[{i}].source"),
                "every relation must name its source dataset and licence".into(),
            ));
        }
    }
    out
}

/// Header written above a generated companies file.
pub const HEADER: &str = "\
# Corporate families and site relations. Generated by
# `brokertrace sources import --format ddg ... --enrich DATA_DIR`; every entry
# names its dataset and licence (see sources/NOTICE). Regenerate rather than edit.
";

/// Serialises a companies file with [`HEADER`].
pub fn to_toml(file: &CompaniesFile) -> Result<String, String> {
    toml::to_string(file)
        .map(|b| format!("{HEADER}\n{b}"))
        .map_err(|e| format!("cannot serialise companies: {e}"))
}
