//! Offline linting of a whole sources folder: everything [`super::load_file`]
//! checks per file, plus what only the folder as a whole can tell (unique
//! ids and hosts, relations that point at real sources, `companies.toml`)
//! and every selector compiled by the real extractor.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostics::InputError;
use crate::extract::Extractor;

use super::{LoadedSource, OptOutMethod, SourceDef, companies, enrich, load_file};

/// Every problem in the source files directly in `dir`, each located as
/// `file:line: field: problem`; empty when the folder is clean.
///
/// Files named `companies.toml` or starting with `_` are not sources;
/// `companies.toml` is checked against the ids found.
pub fn validate_dir(dir: &Path) -> Vec<InputError> {
    let mut errors = Vec::new();
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "toml")
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n != "companies.toml" && !n.starts_with('_'))
            })
            .collect(),
        Err(e) => {
            errors.push(InputError::file(
                dir,
                format!("cannot read sources folder: {e}"),
            ));
            return errors;
        }
    };
    paths.sort();
    let mut loaded: Vec<LoadedSource> = Vec::new();
    for path in paths {
        match load_file(&path) {
            Ok(def) => loaded.push(LoadedSource { def, path }),
            Err(e) => errors.extend(e.0),
        }
    }
    let ids: BTreeSet<String> = loaded.iter().map(|s| s.def.id.clone()).collect();
    let mut seen_ids: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut seen_hosts: BTreeMap<String, &Path> = BTreeMap::new();
    for s in &loaded {
        let text = std::fs::read_to_string(&s.path).unwrap_or_default();
        let at = |field: &str, msg: String| InputError::at_field(&s.path, &text, field, msg);
        if let Some(first) = seen_ids.insert(&s.def.id, &s.path) {
            errors.push(at(
                "id",
                format!(
                    "{:?} is also used by {}; ids must be unique",
                    s.def.id,
                    first.display()
                ),
            ));
        }
        if let Some(h) = enrich::host_of(&s.def.homepage)
            && let Some(first) = seen_hosts.insert(h.clone(), &s.path)
        {
            errors.push(at(
                "homepage",
                format!("host {h:?} is also used by {}", first.display()),
            ));
        }
        for (field, target) in [
            ("opt_out_via", &s.def.opt_out_via),
            ("front_of", &s.def.front_of),
            ("mirror_of", &s.def.mirror_of),
        ] {
            if let Some(t) = target {
                if !ids.contains(t) {
                    errors.push(at(
                        field,
                        format!("{t:?} is not the id of any source in this folder"),
                    ));
                } else if t == &s.def.id {
                    errors.push(at(field, "points at the source itself".into()));
                }
            }
        }
        for t in &s.def.copies_from {
            if !ids.contains(t) {
                errors.push(at(
                    "copies_from",
                    format!("{t:?} is not the id of any source in this folder"),
                ));
            }
        }
        if s.def.optout.method == OptOutMethod::Unknown {
            errors.push(at(
                "optout.method",
                "no opt-out route; set method to web-form, email, postal, parent or account with its url/email/postal".into(),
            ));
        }
        errors.extend(
            selector_problems(&s.def)
                .into_iter()
                .map(|(f, m)| at(&f, m)),
        );
    }
    let companies_path = dir.join("companies.toml");
    if companies_path.exists()
        && let Err(e) = companies::load(&companies_path, &ids)
    {
        errors.extend(e.0);
    }
    errors
}

/// `(field path, problem)` for every selector, regex and link template of a
/// source that the extractor would reject, plus link templates that are not
/// URLs once `{id}` is filled in (the extractor only insists on the slot).
fn selector_problems(def: &SourceDef) -> Vec<(String, String)> {
    let mut out = Extractor::new(def).err().unwrap_or_default();
    let search_fields = def.search.iter().flat_map(|s| {
        let r = &s.results;
        let named = r.fields.iter().map(|(k, f)| {
            (
                format!("search.results.fields.{}", crate::extract::field_key(*k)),
                f,
            )
        });
        r.next_page
            .iter()
            .map(|f| ("search.results.next_page".to_string(), f))
            .chain(
                r.detail_link
                    .iter()
                    .map(|f| ("search.results.detail_link".to_string(), f)),
            )
            .chain(named)
    });
    let detail_fields = def.detail.iter().flat_map(|d| {
        d.fields.iter().map(|(k, f)| {
            (
                format!("detail.fields.{}", crate::extract::field_key(*k)),
                f,
            )
        })
    });
    for (field, f) in search_fields.chain(detail_fields) {
        if let Some(t) = &f.template
            && t.contains("{id}")
            && url::Url::parse(&t.replace("{id}", "x")).is_err()
        {
            out.push((
                format!("{field}.template"),
                format!("{t:?} must be a URL containing {{id}}"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def_with_card(card: &str) -> SourceDef {
        let text = format!(
            r#"
id = "x.test"
name = "X"
homepage = "http://x.test/"
kind = "people-search"
[search]
urls = ["http://x.test/{{first}}"]
[search.results]
card = "{card}"
fields.name = {{ selector = ".n", template = "not a url {{id}}" }}
"#
        );
        toml::from_str(&text).unwrap()
    }

    #[test]
    fn bad_xpath_and_bad_template_are_both_named_by_field() {
        let p = selector_problems(&def_with_card("//div[@class='x'"));
        let fields: Vec<&str> = p.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["search.results.card", "search.results.fields.name.template"],
            "{p:?}"
        );
        assert!(p[0].1.contains("not a valid XPath"), "{p:?}");
    }

    #[test]
    fn good_xpath_passes() {
        let mut def = def_with_card(".//div[@class='x']");
        def.search.as_mut().unwrap().results.fields.clear();
        assert_eq!(selector_problems(&def), Vec::<(String, String)>::new());
    }
}
