//! Source definitions: one TOML file per site, describing how to search it,
//! how to read its pages and how to get a listing removed.
//!
//! The format is documented in `sources/README.md`. [`load_dir`] validates
//! every file up front and reports `file:line: field: problem`.

pub mod check;
pub mod companies;
pub mod enrich;
pub mod import;
pub mod registry;
pub mod sites;
pub mod template;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::diagnostics::{InputError, InputErrors, read_toml};
use crate::model::AttributeKind;

/// What kind of site a source is; decides how it is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A people-search broker searched by name and location.
    PeopleSearch,
    /// A site with profile pages at a URL built from a username.
    Username,
    /// Court, property or voter records sites.
    PublicRecords,
    /// A registered broker we cannot search; known only for opt-out drafts.
    Registry,
}

impl SourceKind {
    /// The kebab-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::PeopleSearch => "people-search",
            SourceKind::Username => "username",
            SourceKind::PublicRecords => "public-records",
            SourceKind::Registry => "registry",
        }
    }
}

/// One site. Field order mirrors the TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    /// Stable identifier, usually the site's host without "www." ("spokeo.com").
    pub id: String,
    /// Display name ("Spokeo").
    pub name: String,
    /// Home page URL.
    pub homepage: String,
    /// What kind of site this is.
    pub kind: SourceKind,
    /// Company that operates the site ("Spokeo, Inc.").
    #[serde(default)]
    pub operator: String,
    /// Parent company, when the operator is owned by another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_company: Option<String>,
    /// Source id whose opt-out also removes listings here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out_via: Option<String>,
    /// Source id this site is a front for (same back end, other brand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_of: Option<String>,
    /// Source id this site mirrors page for page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror_of: Option<String>,
    /// Source ids this site is known (declared, not inferred) to buy data from.
    #[serde(default)]
    pub copies_from: Vec<String>,
    /// Personal data categories the site shows.
    #[serde(default)]
    pub categories: Vec<AttributeKind>,
    /// Price of the site's paid report on one person, in US dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd: Option<f64>,
    /// Registered as a data broker in California.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_registered: Option<bool>,
    /// Date (YYYY-MM-DD) the definition was last compared with the live site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
    /// Whether selectors were verified against the live site on `last_checked`.
    #[serde(default)]
    pub verified: bool,
    /// Where the facts in this file come from (dataset names, licences).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provenance: String,
    /// Free-form notes for maintainers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Politeness overrides for this site's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub politeness: Option<Politeness>,
    /// Extra body markers (case-insensitive substrings) that mean "blocked".
    #[serde(default)]
    pub blocked_markers: Vec<String>,
    /// Re-scan schedule in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// How to search; absent for registry-only sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchSpec>,
    /// How to read a listing's own page, when the results page links to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<DetailSpec>,
    /// How to get a listing removed.
    #[serde(default)]
    pub optout: OptOut,
}

impl SourceDef {
    /// A definition with only identity filled in: a registry entry that
    /// cannot be searched, to be completed field by field.
    pub fn registry(id: &str, name: &str, homepage: &str) -> SourceDef {
        SourceDef {
            id: id.to_string(),
            name: name.to_string(),
            homepage: homepage.to_string(),
            kind: SourceKind::Registry,
            operator: String::new(),
            parent_company: None,
            opt_out_via: None,
            front_of: None,
            mirror_of: None,
            copies_from: Vec::new(),
            categories: Vec::new(),
            price_usd: None,
            ca_registered: None,
            last_checked: None,
            verified: false,
            provenance: String::new(),
            notes: String::new(),
            politeness: None,
            blocked_markers: Vec::new(),
            schedule: None,
            search: None,
            detail: None,
            optout: OptOut::default(),
        }
    }
}

/// Per-host crawl limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Politeness {
    /// Requests per minute to this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
    /// Requests to this host in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
}

/// Re-scan intervals in hours (from DuckDuckGo's recipes where known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// After an error, retry after this many hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_error_hours: Option<u32>,
    /// After an opt-out request, check it worked after this many hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_optout_hours: Option<u32>,
    /// Re-check for reappearance every this many hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_hours: Option<u32>,
}

/// How a site is searched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpec {
    /// URL templates with `{placeholder|transform}` slots; see [`template`].
    pub urls: Vec<String>,
    /// Result pages followed at most per search.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// How a results page looks.
    pub results: ResultsSpec,
}

fn default_max_pages() -> u32 {
    3
}

/// How a results page looks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsSpec {
    /// Selector (CSS, or XPath starting with `/`, `./` or `(`) of one result card.
    pub card: String,
    /// Selector whose presence means "no results".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_results: Option<String>,
    /// Text whose presence (case-insensitive) means "no results".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_results_text: Option<String>,
    /// Where the next results page's link is (page-level).
    #[serde(
        default,
        deserialize_with = "opt_field_de",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page: Option<FieldSpec>,
    /// Where a card's link to the listing's own page is (card-level).
    #[serde(
        default,
        deserialize_with = "opt_field_de",
        skip_serializing_if = "Option::is_none"
    )]
    pub detail_link: Option<FieldSpec>,
    /// Also read schema.org `Person` data (JSON-LD, microdata) inside cards.
    #[serde(default)]
    pub schema_org: bool,
    /// Field selectors relative to the card.
    #[serde(default, deserialize_with = "fields_de")]
    pub fields: BTreeMap<FieldName, FieldSpec>,
}

/// How a listing's own page looks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailSpec {
    /// Read schema.org `Person` data (JSON-LD, microdata) from the page.
    #[serde(default)]
    pub schema_org: bool,
    /// Selector of the element holding the listing, if not the whole page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Field selectors relative to `root` (or the page).
    #[serde(default, deserialize_with = "fields_de")]
    pub fields: BTreeMap<FieldName, FieldSpec>,
}

/// The fields a page can show about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldName {
    /// Primary name ("Jane Q Doe", "DOE, JANE").
    Name,
    /// Other names ("AKA: Janie Doe, Jane Smith").
    AltNames,
    /// Age ("Age 42", "42 years old").
    Age,
    /// Birth date or year ("Born May 1984").
    BirthDate,
    /// Full addresses ("12 Oak St, San Francisco, CA 94110").
    Addresses,
    /// "City, ST" lines without street.
    CityState,
    /// Phone numbers.
    Phones,
    /// E-mail addresses.
    Emails,
    /// Relatives and associates.
    Relatives,
    /// Usernames.
    Usernames,
    /// The listing's own URL.
    ProfileUrl,
}

/// Where a value sits in the page and how to cut it out.
///
/// In TOML either a bare selector string (`name = "h2.name"`) or a table
/// (`age = { selector = ".title", after = "Age" }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// CSS selector, or XPath starting with `/`, `./` or `(`.
    pub selector: String,
    /// Take this attribute's value instead of the element's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attr: Option<String>,
    /// Keep only the text before this marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Keep only the text after this marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Split the text into several values at this separator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// Take every matching element, not only the first.
    #[serde(default)]
    pub all: bool,
    /// Keep the first capture group (or the whole match) of this regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Build a URL from the value: `{id}` is replaced by it
    /// ("https://example.com/person/{id}").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl<'de> Deserialize<'de> for FieldSpecOrSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldSpecOrSelector;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a selector string or a table with `selector`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(FieldSpecOrSelector(FieldSpec {
                    selector: s.to_string(),
                    ..FieldSpec::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                FieldSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(FieldSpecOrSelector)
            }
        }
        d.deserialize_any(V)
    }
}

/// Wrapper that lets a field be written as a bare selector string.
struct FieldSpecOrSelector(FieldSpec);

/// Deserialises `BTreeMap<FieldName, FieldSpec>` accepting bare strings.
fn fields_de<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<FieldName, FieldSpec>, D::Error> {
    let raw = BTreeMap::<FieldName, FieldSpecOrSelector>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k, v.0)).collect())
}

fn opt_field_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FieldSpec>, D::Error> {
    Ok(Some(FieldSpecOrSelector::deserialize(d)?.0))
}

/// How to get a listing removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptOut {
    /// The route the site offers.
    #[serde(default)]
    pub method: OptOutMethod,
    /// Opt-out web page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Privacy / opt-out e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Postal address for letters, lines separated by "\n".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal: Option<String>,
    /// What the site demands before it removes a listing.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Free-form steps or caveats shown in the checklist.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// Opt-out routes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptOutMethod {
    /// A web form (possibly with search-first and e-mail confirmation).
    WebForm,
    /// An e-mail to a privacy address.
    Email,
    /// A letter.
    Postal,
    /// The site removes listings when its parent's opt-out is used
    /// (`opt_out_via` names the parent).
    Parent,
    /// Only through an account's privacy controls.
    Account,
    /// No known route.
    #[default]
    Unknown,
}

impl OptOutMethod {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OptOutMethod::WebForm => "web-form",
            OptOutMethod::Email => "email",
            OptOutMethod::Postal => "postal",
            OptOutMethod::Parent => "parent",
            OptOutMethod::Account => "account",
            OptOutMethod::Unknown => "unknown",
        }
    }
}

/// Things an opt-out can require of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// Click a link sent by e-mail.
    EmailConfirmation,
    /// Send a copy of an ID document.
    IdDocument,
    /// Answer or place a phone call.
    PhoneCall,
    /// Pay a fee.
    Payment,
    /// Solve a captcha.
    Captcha,
    /// Create an account.
    Account,
    /// Give the exact listing URL.
    ListingUrl,
}

/// Errors found while loading a sources folder.
pub type LoadResult<T> = Result<T, InputErrors>;

/// A loaded source with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedSource {
    /// The definition.
    pub def: SourceDef,
    /// Its file.
    pub path: PathBuf,
}

/// Loads every `*.toml` file directly in `dir` except `companies.toml` and
/// files starting with `_`, sorted by id. Subfolders are not read, so
/// `sources/sim/` is loaded only when named.
pub fn load_dir(dir: &Path) -> LoadResult<Vec<LoadedSource>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputErrors(vec![InputError::file(
            dir,
            format!(
                "cannot read sources folder: {e}; pass --sources DIR with a folder of *.toml files"
            ),
        )])
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n != "companies.toml" && !n.starts_with('_'))
        })
        .collect();
    paths.sort();
    let mut errors = Vec::new();
    let mut out: Vec<LoadedSource> = Vec::new();
    for path in paths {
        match load_file(&path) {
            Ok(def) => out.push(LoadedSource { def, path }),
            Err(InputErrors(e)) => errors.extend(e),
        }
    }
    // Cross-file checks: unique ids, relations that point at known ids.
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for s in &out {
        if let Some(first) = seen.insert(&s.def.id, &s.path) {
            errors.push(InputError::file(
                &s.path,
                format!(
                    "id {:?} is also used by {}; ids must be unique",
                    s.def.id,
                    first.display()
                ),
            ));
        }
    }
    let ids: std::collections::BTreeSet<&str> = out.iter().map(|s| s.def.id.as_str()).collect();
    for s in &out {
        let text = std::fs::read_to_string(&s.path).unwrap_or_default();
        let relations = [
            ("opt_out_via", s.def.opt_out_via.iter().collect::<Vec<_>>()),
            ("front_of", s.def.front_of.iter().collect()),
            ("mirror_of", s.def.mirror_of.iter().collect()),
            ("copies_from", s.def.copies_from.iter().collect()),
        ];
        for (field, targets) in relations {
            for t in targets {
                if !ids.contains(t.as_str()) {
                    errors.push(InputError::at_field(
                        &s.path,
                        &text,
                        field,
                        format!("{t:?} is not the id of any source in this folder"),
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        out.sort_by(|a, b| a.def.id.cmp(&b.def.id));
        Ok(out)
    } else {
        Err(InputErrors(errors))
    }
}

/// Loads and validates one source file.
pub fn load_file(path: &Path) -> LoadResult<SourceDef> {
    let (def, text): (SourceDef, String) = read_toml(path).map_err(|e| InputErrors(vec![e]))?;
    let problems = validate(&def);
    if problems.is_empty() {
        Ok(def)
    } else {
        Err(InputErrors(
            problems
                .into_iter()
                .map(|(f, m)| InputError::at_field(path, &text, &f, m))
                .collect(),
        ))
    }
}

/// Checks one definition on its own; returns `(field, problem)` pairs.
pub fn validate(def: &SourceDef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if def.id.is_empty()
        || !def
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        out.push((
            "id".into(),
            format!("{:?} is not a valid id; expected letters, digits, '-', '.' or '_' (e.g. \"spokeo.com\")", def.id),
        ));
    }
    if def.name.trim().is_empty() {
        out.push((
            "name".into(),
            "empty; expected the site's display name".into(),
        ));
    }
    if url::Url::parse(&def.homepage).map(|u| u.scheme().starts_with("http")) != Ok(true) {
        out.push((
            "homepage".into(),
            format!("{:?} is not an http(s) URL", def.homepage),
        ));
    }
    if let Some(d) = &def.last_checked
        && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        out.push((
            "last_checked".into(),
            format!("{d:?} is not a date; expected YYYY-MM-DD"),
        ));
    }
    match (&def.search, def.kind) {
        (None, SourceKind::PeopleSearch | SourceKind::Username) => out.push((
            "search".into(),
            format!(
                "a {} source needs a [search] table with `urls` and [search.results]",
                def.kind.as_str()
            ),
        )),
        (Some(search), _) => {
            if search.urls.is_empty() {
                out.push((
                    "search.urls".into(),
                    "empty; expected at least one URL template".into(),
                ));
            }
            for (i, u) in search.urls.iter().enumerate() {
                if let Err(e) = template::check(u) {
                    out.push((format!("search.urls[{i}]"), e));
                }
            }
            if search.results.card.trim().is_empty() {
                out.push((
                    "search.results.card".into(),
                    "empty; expected the selector of one result card".into(),
                ));
            }
            if search.max_pages == 0 {
                out.push(("search.max_pages".into(), "must be at least 1".into()));
            }
        }
        _ => {}
    }
    let o = &def.optout;
    match o.method {
        OptOutMethod::WebForm if o.url.is_none() => out.push((
            "optout.url".into(),
            "method is web-form but no `url` is given; expected the opt-out page".into(),
        )),
        OptOutMethod::Email if o.email.is_none() => out.push((
            "optout.email".into(),
            "method is email but no `email` is given".into(),
        )),
        OptOutMethod::Postal if o.postal.is_none() => out.push((
            "optout.postal".into(),
            "method is postal but no `postal` address is given".into(),
        )),
        OptOutMethod::Parent if def.opt_out_via.is_none() => out.push((
            "optout.method".into(),
            "method is parent but `opt_out_via` does not name the parent source".into(),
        )),
        _ => {}
    }
    if let Some(e) = &o.email
        && (!e.contains('@') || e.contains(char::is_whitespace))
    {
        out.push((
            "optout.email".into(),
            format!("{e:?} is not an e-mail address"),
        ));
    }
    if let Some(u) = &o.url
        && url::Url::parse(u).is_err()
    {
        out.push(("optout.url".into(), format!("{u:?} is not a URL")));
    }
    out
}
