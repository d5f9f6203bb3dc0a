//! Importers that turn other projects' broker definitions into source files.
//!
//! [`from_ddg`] converts DuckDuckGo's Personal Information Removal recipes
//! (the JSON files shipped with their browser, Apache-2.0) into
//! [`SourceDef`]s: `${firstName}`-style URL placeholders become our
//! `{first}` templates, the `extract` step becomes `[search.results]`, and
//! the opt-out step becomes `[optout]`. [`write_toml`] serialises through
//! serde so a written file always loads again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::template::DEFAULT_AGE_RANGES;
use super::{
    FieldName, FieldSpec, OptOut, OptOutMethod, Requirement, ResultsSpec, Schedule, SearchSpec,
    SourceDef, SourceKind,
};
use crate::model::AttributeKind;

/// Provenance line for everything taken from DuckDuckGo's recipes.
pub const DDG_PROVENANCE: &str = "DuckDuckGo PIR broker definitions (duckduckgo/macos-browser DataBrokerProtection JSON, Apache-2.0, (c) 2023 Duck Duck Go, Inc.)";

/// Header written above every file converted from DuckDuckGo's recipes.
pub const DDG_HEADER: &str = "\
# Converted by `brokertrace sources import --format ddg` from DuckDuckGo's
# Personal Information Removal broker definitions (duckduckgo/macos-browser,
# LocalPackages/DataBrokerProtection/.../Resources/JSON).
# Copyright 2023 Duck Duck Go, Inc. Licensed under the Apache License,
# Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Modified: converted
# to the brokertrace source format and merged with other datasets named in
# `provenance`. See sources/NOTICE. Regenerate rather than edit by hand.
";

/// Converts a DuckDuckGo recipe URL (`https://x/${firstName}-${state|stateFull}`)
/// into a brokertrace template (`https://x/{first}-{state_full}`).
pub fn ddg_template(url: &str, age_ranges: Option<&[String]>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = url;
    while let Some(i) = rest.find(['$', '{', '}']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        if c != b'$' || !rest[i + 1..].starts_with('{') {
            // Literal braces must be doubled in our syntax; a lone '$' is text.
            out.push_str(match c {
                b'{' => "{{",
                b'}' => "}}",
                _ => "$",
            });
            rest = &rest[i + 1..];
            continue;
        }
        let inner_start = i + 2;
        let close = rest[inner_start..]
            .find('}')
            .ok_or_else(|| format!("unclosed placeholder in {url:?}"))?;
        let inner = &rest[inner_start..inner_start + close];
        out.push('{');
        out.push_str(&ddg_placeholder(inner, age_ranges)?);
        out.push('}');
        rest = &rest[inner_start + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn ddg_placeholder(inner: &str, age_ranges: Option<&[String]>) -> Result<String, String> {
    let mut parts = inner.split('|');
    let name = parts.next().unwrap_or_default();
    let mut name = match name {
        "firstName" => "first",
        "lastName" => "last",
        "middleName" => "middle",
        "city" => "city",
        "state" => "state",
        "zip" | "zipCode" => "zip",
        "age" => "age",
        "phone" | "phoneNumber" => "phone",
        "email" => "email",
        other => return Err(format!("unknown DuckDuckGo placeholder ${{{other}}}")),
    };
    let mut transforms = Vec::new();
    for t in parts {
        let (base, arg) = t.split_once(':').unwrap_or((t, ""));
        match base {
            "stateFull" if name == "state" => name = "state_full",
            "upcase" => transforms.push("upper".to_string()),
            "downcase" => transforms.push("lower".to_string()),
            "capitalize" => transforms.push("capitalize".to_string()),
            "hyphenated" => transforms.push("hyphenated".to_string()),
            "defaultIfEmpty" => transforms.push(format!("default:{arg}")),
            "ageRange" => {
                let list = age_ranges.map(|r| r.join(",")).unwrap_or_default();
                if list.is_empty() || list == DEFAULT_AGE_RANGES {
                    transforms.push("age_range".to_string());
                } else {
                    transforms.push(format!("age_range:{list}"));
                }
            }
            other => {
                return Err(format!(
                    "unknown DuckDuckGo transform {other:?} in ${{{inner}}}"
                ));
            }
        }
    }
    let mut s = name.to_string();
    for t in transforms {
        s.push('|');
        s.push_str(&t);
    }
    Ok(s)
}

/// Converts every recipe in a DuckDuckGo JSON file (one recipe object or an
/// array of them). Each source's `last_checked` is `dataset_date` (the
/// snapshot's date), never today: we did not look at the live sites.
pub fn from_ddg(json: &str, dataset_date: Option<&str>) -> Result<Vec<SourceDef>, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let recipes = match v {
        Value::Array(a) => a,
        o @ Value::Object(_) => vec![o],
        _ => return Err("expected a recipe object or an array of recipes".into()),
    };
    let mut out = Vec::new();
    for r in &recipes {
        let name = r["name"].as_str().unwrap_or("?");
        let mut defs =
            recipe_to_sources(r, dataset_date).map_err(|e| format!("recipe {name:?}: {e}"))?;
        out.append(&mut defs);
    }
    Ok(out)
}

/// One recipe becomes its source plus one source per mirror site.
fn recipe_to_sources(r: &Value, dataset_date: Option<&str>) -> Result<Vec<SourceDef>, String> {
    let host = r["url"].as_str().ok_or("no `url`")?.trim().to_lowercase();
    let name = r["name"].as_str().unwrap_or(&host).to_string();
    let steps = r["steps"].as_array().ok_or("no `steps`")?;
    let scan = steps
        .iter()
        .find(|s| s["stepType"] == "scan")
        .ok_or("no scan step")?;
    let actions = scan["actions"]
        .as_array()
        .ok_or("scan step has no actions")?;
    let nav = actions
        .iter()
        .find(|a| a["actionType"] == "navigate")
        .ok_or("scan step has no navigate action")?;
    let extract = actions
        .iter()
        .find(|a| a["actionType"] == "extract")
        .ok_or("scan step has no extract action")?;
    let raw_url = nav["url"].as_str().ok_or("navigate action has no url")?;
    let ranges: Option<Vec<String>> = nav["ageRange"].as_array().map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    });
    let search_url = ddg_template(raw_url, ranges.as_deref())?;
    let homepage = url::Url::parse(raw_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{}://{h}/", u.scheme())))
        .unwrap_or_else(|| format!("https://{host}/"));

    let (fields, mut notes) = ddg_fields(&extract["profile"]);
    let categories = categories_of(&fields);
    let no_results = extract["noResultsSelector"]
        .as_str()
        .or_else(|| extract["noResultsFound"].as_str())
        .map(str::to_string);
    let card = extract["selector"].as_str().unwrap_or_default().to_string();

    let parent = r["parent"]
        .as_str()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty());
    let opt_url = r["optOutUrl"].as_str().map(str::to_string);
    let optout_step = steps.iter().find(|s| s["stepType"] == "optOut");
    let mut optout = OptOut {
        url: opt_url.clone(),
        ..OptOut::default()
    };
    match optout_step.and_then(|s| s["optOutType"].as_str()) {
        Some("parentSiteOptOut") if parent.is_some() => {
            optout.method = OptOutMethod::Parent;
            optout.notes = format!(
                "DuckDuckGo opts out through the parent site {}; removal there removes this listing.",
                parent.as_deref().unwrap_or_default()
            );
        }
        Some(_) | None => {
            optout.method = if opt_url.is_some() {
                OptOutMethod::WebForm
            } else {
                OptOutMethod::Unknown
            };
        }
    }
    if let Some(step) = optout_step {
        optout.requires = ddg_requirements(step);
    }

    let schedule = r.get("schedulingConfig").map(|s| Schedule {
        retry_error_hours: s["retryError"].as_u64().map(|h| h as u32),
        confirm_optout_hours: s["confirmOptOutScan"].as_u64().map(|h| h as u32),
        maintenance_hours: s["maintenanceScan"].as_u64().map(|h| h as u32),
    });

    let file = r["_source_file"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{host}.json"));
    let version = r["version"].as_str().unwrap_or("?");
    let provenance = format!("{DDG_PROVENANCE}: {file} v{version}");
    if !notes.is_empty() {
        notes.insert(0, "Imported from DuckDuckGo's recipe.".to_string());
    }

    let main = SourceDef {
        id: host.clone(),
        name,
        homepage,
        kind: SourceKind::PeopleSearch,
        operator: String::new(),
        parent_company: None,
        opt_out_via: parent.clone(),
        front_of: None,
        mirror_of: None,
        copies_from: Vec::new(),
        categories,
        price_usd: None,
        ca_registered: None,
        last_checked: dataset_date.map(str::to_string),
        verified: false,
        provenance: provenance.clone(),
        notes: notes.join(" "),
        politeness: None,
        blocked_markers: Vec::new(),
        schedule,
        search: Some(SearchSpec {
            urls: vec![search_url],
            max_pages: 1,
            results: ResultsSpec {
                card,
                no_results,
                no_results_text: None,
                next_page: None,
                detail_link: None,
                schema_org: false,
                fields,
            },
        }),
        detail: None,
        optout,
    };

    let mut out = vec![main];
    for m in r["mirrorSites"].as_array().into_iter().flatten() {
        if !m["removedAt"].is_null() {
            continue;
        }
        let Some(mhost) = m["url"].as_str().map(|h| h.trim().to_lowercase()) else {
            continue;
        };
        let murl = m["optOutUrl"].as_str().map(str::to_string);
        let parent_host = host.trim_start_matches("www.");
        let via_parent = murl
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_string())
            })
            .is_some_and(|h| h == parent_host);
        out.push(SourceDef {
            id: mhost.clone(),
            name: m["name"].as_str().unwrap_or(&mhost).to_string(),
            homepage: format!("https://{mhost}/"),
            kind: SourceKind::Registry,
            operator: String::new(),
            parent_company: None,
            opt_out_via: via_parent.then(|| host.clone()),
            front_of: None,
            mirror_of: Some(host.clone()),
            copies_from: Vec::new(),
            categories: out[0].categories.clone(),
            price_usd: None,
            ca_registered: None,
            last_checked: dataset_date.map(str::to_string),
            verified: false,
            provenance: provenance.clone(),
            notes: format!(
                "Mirror of {host}: shows the same listings, so it is found by searching {host}."
            ),
            politeness: None,
            blocked_markers: Vec::new(),
            schedule: None,
            search: None,
            detail: None,
            optout: OptOut {
                method: if via_parent {
                    OptOutMethod::Parent
                } else if murl.is_some() {
                    OptOutMethod::WebForm
                } else {
                    OptOutMethod::Unknown
                },
                url: murl,
                ..OptOut::default()
            },
        });
    }
    Ok(out)
}

/// Maps DuckDuckGo profile fields to ours. Where two DuckDuckGo fields land
/// on one of ours (`addressCityState` and `addressCityStateList`), the list
/// wins and a note says what was dropped.
fn ddg_fields(profile: &Value) -> (BTreeMap<FieldName, FieldSpec>, Vec<String>) {
    let mut fields = BTreeMap::new();
    let mut notes = Vec::new();
    let Some(obj) = profile.as_object() else {
        return (fields, notes);
    };
    // Lists first so the singular variant only fills a gap.
    let order = [
        ("name", FieldName::Name),
        ("alternativeNamesList", FieldName::AltNames),
        ("alternativeNames", FieldName::AltNames),
        ("age", FieldName::Age),
        ("addressFullList", FieldName::Addresses),
        ("addressFull", FieldName::Addresses),
        ("addressCityStateList", FieldName::CityState),
        ("addressCityState", FieldName::CityState),
        ("phoneList", FieldName::Phones),
        ("phone", FieldName::Phones),
        ("relativesList", FieldName::Relatives),
        ("relatives", FieldName::Relatives),
        ("profileUrl", FieldName::ProfileUrl),
    ];
    for (key, _) in obj {
        if !order.iter().any(|(k, _)| k == key) {
            notes.push(format!(
                "Field {key:?} has no brokertrace equivalent; dropped."
            ));
        }
    }
    for (key, ours) in order {
        let Some(spec) = obj.get(key).filter(|v| v.is_object()) else {
            continue;
        };
        let Some(selector) = spec["selector"].as_str() else {
            continue;
        };
        if fields.contains_key(&ours) {
            notes.push(format!(
                "Field {key:?} ({selector}) dropped: one selector per field, the list variant was kept."
            ));
            continue;
        }
        let mut f = FieldSpec {
            selector: selector.to_string(),
            before: spec["beforeText"].as_str().map(str::to_string),
            after: spec["afterText"].as_str().map(str::to_string),
            split: spec["separator"].as_str().map(str::to_string),
            all: spec["findElements"].as_bool().unwrap_or(false),
            ..FieldSpec::default()
        };
        if ours == FieldName::ProfileUrl {
            f.attr = Some("href".into());
            if spec["identifierType"] == "path"
                && let Some(id) = spec["identifier"].as_str()
                && let Some((regex, template)) = path_identifier(id)
            {
                f.regex = Some(regex);
                f.template = Some(template);
            }
        }
        fields.insert(ours, f);
    }
    (fields, notes)
}

/// For a DuckDuckGo path identifier whose only placeholder is `${id}`
/// (`https://x.com/view/${id}`), a regex that captures the id from a link
/// and the template that rebuilds the canonical URL from it.
fn path_identifier(identifier: &str) -> Option<(String, String)> {
    let u = url::Url::parse(&identifier.replace("${id}", "ID_SLOT")).ok()?;
    let placeholders = identifier.matches("${").count();
    if placeholders != 1 || !identifier.contains("${id}") {
        return None;
    }
    let path = u.path();
    let (prefix, suffix) = path.split_once("ID_SLOT")?;
    let regex = format!(
        "{}([^/?#]+){}",
        regex::escape(prefix),
        regex::escape(suffix)
    );
    Some((regex, identifier.replace("${id}", "{id}")))
}

fn categories_of(fields: &BTreeMap<FieldName, FieldSpec>) -> Vec<AttributeKind> {
    let mut out = vec![AttributeKind::Name];
    for f in fields.keys() {
        let k = match f {
            FieldName::Age => AttributeKind::Age,
            FieldName::BirthDate => AttributeKind::BirthDate,
            FieldName::Addresses | FieldName::CityState => AttributeKind::Address,
            FieldName::Phones => AttributeKind::Phone,
            FieldName::Emails => AttributeKind::Email,
            FieldName::Relatives => AttributeKind::Relatives,
            FieldName::Usernames => AttributeKind::Username,
            _ => continue,
        };
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// What a recipe's opt-out actions ask of the person.
fn ddg_requirements(step: &Value) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut add = |r| {
        if !out.contains(&r) {
            out.push(r)
        }
    };
    for a in step["actions"].as_array().into_iter().flatten() {
        match a["actionType"].as_str() {
            Some("emailConfirmation") => add(Requirement::EmailConfirmation),
            Some("solveCaptcha") | Some("getCaptchaInfo") => add(Requirement::Captcha),
            Some("fillForm") => {
                for e in a["elements"].as_array().into_iter().flatten() {
                    if e["type"] == "profileUrl" {
                        add(Requirement::ListingUrl);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Serialises a definition as TOML below `header` (comment lines).
pub fn to_toml(def: &SourceDef, header: &str) -> Result<String, String> {
    let body = toml::to_string(def).map_err(|e| format!("{}: cannot serialise: {e}", def.id))?;
    Ok(format!("{header}\n{body}"))
}

/// Writes each definition to `DIR/<id>.toml`; returns the paths written.
pub fn write_toml(defs: &[SourceDef], dir: &Path, header: &str) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for d in defs {
        let path = dir.join(format!("{}.toml", d.id));
        let text = to_toml(d, header).map_err(anyhow::Error::msg)?;
        std::fs::write(&path, text)?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_placeholders_and_transforms() {
        let ranges: Vec<String> = DEFAULT_AGE_RANGES.split(',').map(String::from).collect();
        assert_eq!(
            ddg_template(
                "https://x.test/${firstName}-${lastName}/${state|stateFull|hyphenated}/${city|capitalize}/${middleName|defaultIfEmpty:~}?a=${age|ageRange}&s=${state|upcase}&c=${city|downcase}",
                Some(&ranges)
            )
            .unwrap(),
            "https://x.test/{first}-{last}/{state_full|hyphenated}/{city|capitalize}/{middle|default:~}?a={age|age_range}&s={state|upper}&c={city|lower}"
        );
        assert!(ddg_template("https://x.test/${shoeSize}", None).is_err());
    }

    #[test]
    fn path_identifiers_become_regex_and_template() {
        let (re, t) = path_identifier("https://verecor.com/view/${id}").unwrap();
        assert_eq!(t, "https://verecor.com/view/{id}");
        let caps = regex::Regex::new(&re)
            .unwrap()
            .captures("/view/abc123?x=1")
            .unwrap();
        assert_eq!(&caps[1], "abc123");
        assert!(path_identifier("https://x.test/${firstName}/${id}").is_none());
    }
}
