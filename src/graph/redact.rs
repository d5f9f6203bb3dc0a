//! Redaction: every person-identifying value becomes a keyed pseudonym.
//!
//! Pseudonyms are HMAC-SHA256 of the value under a secret salt. The salt is
//! random per export unless the user gives one, so two exports cannot be
//! joined on their pseudonyms unless the user wants them to be. Brokers,
//! companies and breaches stay named; URLs of pages about a person keep
//! only their host.

use std::collections::HashMap;

use anyhow::{Context, Result};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::provenance::normalize_value;
use super::{ExposureGraph, NodeKind};

/// Keyed pseudonym maker.
#[derive(Clone)]
pub struct Redactor {
    salt: Vec<u8>,
}

impl Redactor {
    /// A redactor with this secret salt.
    pub fn new(salt: &[u8]) -> Redactor {
        Redactor {
            salt: salt.to_vec(),
        }
    }

    /// A redactor with a fresh random 32-byte salt (exports cannot be joined).
    pub fn random() -> Redactor {
        Redactor::new(&rand::random::<[u8; 32]>())
    }

    /// A redactor from a hex salt as given on the command line.
    pub fn from_hex(hex_salt: &str) -> Result<Redactor> {
        let salt = hex::decode(hex_salt.trim())
            .with_context(|| format!("--salt {hex_salt:?} is not hex; expected e.g. 3f9a01c2…"))?;
        anyhow::ensure!(
            salt.len() >= 8,
            "--salt is {} bytes; use at least 8 bytes (16 hex digits)",
            salt.len()
        );
        Ok(Redactor::new(&salt))
    }

    /// `prefix-` and 12 hex digits of HMAC(salt, prefix ‖ normalised value).
    pub fn pseudonym(&self, prefix: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.salt)
            .expect("HMAC takes any key length");
        mac.update(prefix.as_bytes());
        mac.update(b"\0");
        mac.update(normalize_value(value).as_bytes());
        let tag = mac.finalize().into_bytes();
        format!("{prefix}-{}", hex::encode(&tag[..6]))
    }
}

/// Prefix of an attribute kind's pseudonyms ("phone-91c2…").
fn attr_prefix(kind: &str) -> &str {
    match kind {
        "birth_date" => "birthdate",
        "relatives" => "relative",
        k => k,
    }
}

/// Keeps only `scheme://host/` of a URL (the path may hold a name or an id).
pub fn host_only(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(format!("{}://{}/", u.scheme(), u.host_str()?))
}

/// A copy of the graph with every person-identifying value pseudonymised.
pub fn redact(g: &ExposureGraph, r: &Redactor) -> ExposureGraph {
    redact_owned(g.clone(), r)
}

/// [`redact`] without the copy: the graph is pseudonymised in place, so a
/// large batch graph is not held twice.
pub fn redact_owned(g: ExposureGraph, r: &Redactor) -> ExposureGraph {
    let mut out = g;
    let subject_alias = |sid: &str| r.pseudonym("person", sid);
    // Personal strings to scrub from free text, longest first.
    let mut personal: Vec<(String, String)> = Vec::new();
    for i in out.graph.node_indices().collect::<Vec<_>>() {
        let n = &mut out.graph[i];
        match n.kind {
            NodeKind::Subject => {
                let sid = n.value.clone().unwrap_or_default();
                let alias = subject_alias(&sid);
                personal.push((n.label.clone(), alias.clone()));
                personal.push((sid, alias.clone()));
                n.id = alias.clone();
                n.label = alias.clone();
                n.value = Some(alias);
            }
            NodeKind::Attribute => {
                let kind = n.attr_kind.clone().unwrap_or_default();
                let value = n.value.clone().unwrap_or_else(|| n.label.clone());
                let alias = r.pseudonym(attr_prefix(&kind), &value);
                personal.push((value, alias.clone()));
                n.id = alias.clone();
                n.label = alias.clone();
                n.value = Some(alias);
            }
            NodeKind::Listing => {
                let alias = r.pseudonym("listing", &n.id);
                n.id = alias.clone();
                n.label = format!("{} listing", n.source.clone().unwrap_or_default());
                n.url = n.url.as_deref().and_then(host_only);
                n.subject = n.subject.as_deref().map(subject_alias);
            }
            NodeKind::Source | NodeKind::Company | NodeKind::Breach => {}
        }
    }
    personal.retain(|(v, _)| v.chars().count() >= 3);
    personal.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    // Reasons repeat across thousands of edges and each scrub tries every
    // personal value, so each distinct text is scrubbed once.
    let mut scrubbed: HashMap<String, String> = HashMap::new();
    let mut scrub = |text: &str| -> String {
        if let Some(t) = scrubbed.get(text) {
            return t.clone();
        }
        let mut t = text.to_string();
        for (v, alias) in &personal {
            if t.contains(v.as_str()) {
                t = t.replace(v.as_str(), alias);
            }
        }
        scrubbed.insert(text.to_string(), t.clone());
        t
    };
    for e in out.graph.edge_indices().collect::<Vec<_>>() {
        let ev = &mut out.graph[e].evidence;
        if ev.origin == "observed" {
            ev.urls = ev.urls.iter().filter_map(|u| host_only(u)).collect();
            ev.urls.dedup();
        }
        ev.content_hash = ev.content_hash.as_deref().map(|h| r.pseudonym("page", h));
        ev.reason = scrub(&ev.reason);
        ev.shared_values = ev
            .shared_values
            .iter()
            .map(|v| redact_shared(r, v))
            .collect();
    }
    for c in &mut out.copies {
        for v in &mut c.shared {
            v.value = r.pseudonym(attr_prefix(v.kind.as_str()), &v.value);
            v.subject = subject_alias(&v.subject);
        }
        c.reason = scrub(&c.reason);
    }
    out.subjects = out.subjects.iter().map(|s| subject_alias(s)).collect();
    out.index = out
        .graph
        .node_indices()
        .map(|i| (out.graph[i].id.clone(), i))
        .collect();
    out
}

/// "subject/kind: value" → "person-…/kind: kind-…".
fn redact_shared(r: &Redactor, s: &str) -> String {
    let Some((head, value)) = s.split_once(": ") else {
        return r.pseudonym("value", s);
    };
    let Some((subject, kind)) = head.rsplit_once('/') else {
        return r.pseudonym("value", s);
    };
    format!(
        "{}/{kind}: {}",
        r.pseudonym("person", subject),
        r.pseudonym(attr_prefix(kind), value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_salt_and_differ_across_salts() {
        let a = Redactor::new(b"salt-one");
        let b = Redactor::new(b"salt-two");
        assert_eq!(
            a.pseudonym("phone", "+14155550100"),
            a.pseudonym("phone", "+14155550100")
        );
        assert_ne!(
            a.pseudonym("phone", "+14155550100"),
            b.pseudonym("phone", "+14155550100")
        );
        assert!(a.pseudonym("person", "jane").starts_with("person-"));
        assert_eq!(a.pseudonym("person", "jane").len(), "person-".len() + 12);
    }

    #[test]
    fn host_only_drops_paths_and_queries() {
        assert_eq!(
            host_only("https://peoplefind.test/jane-doe/ca?x=1").as_deref(),
            Some("https://peoplefind.test/")
        );
        assert_eq!(host_only("not a url"), None);
    }

    #[test]
    fn salt_must_be_hex_and_long_enough() {
        assert!(Redactor::from_hex("zz").is_err());
        assert!(Redactor::from_hex("0011").is_err());
        assert!(Redactor::from_hex("00112233445566778899").is_ok());
    }
}
