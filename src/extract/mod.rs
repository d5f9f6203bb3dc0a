//! Extraction: turn a fetched page into typed [`Record`]s using a source's
//! selectors (CSS or an XPath subset) and schema.org data.
//!
//! [`Extractor::new`] compiles a source's selectors once; [`Extractor::results`]
//! reads a results page into cards, [`Extractor::detail`] reads a listing's
//! own page. Raw strings become typed values through [`parse`].
//!
//! A field's text goes through its modifiers in this order: `attr` (or the
//! element's text), `after`, `before`, `regex`, `split`, whitespace
//! collapsing, then `template`.

pub mod parse;
pub mod schema_org;
pub mod select;
pub mod xpath;

use std::collections::BTreeMap;

use ego_tree::NodeRef;
use regex::Regex;
use scraper::{Html, Node};
use url::Url;

use crate::model::Record;
use crate::sources::{FieldName, FieldSpec, SourceDef};
use select::{Sel, attr_of, collapse, text_of};
use xpath::XNode;

/// One result card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// What the card shows, typed.
    pub record: Record,
    /// Absolute URL of the listing's own page, if the card links to one.
    pub detail_url: Option<String>,
}

/// What a results page turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultsPage {
    /// The page says there are no results.
    NoResults,
    /// Result cards, and the next page's absolute URL if any.
    Results {
        /// Cards in page order.
        cards: Vec<Card>,
        /// Next results page.
        next_page: Option<String>,
    },
    /// Neither cards nor a no-results marker: the layout changed, or a block
    /// page we did not recognise. Never counted as absent.
    Unrecognised,
}

/// A source's selectors, compiled.
#[derive(Debug)]
pub struct Extractor {
    results: Option<ResultsPlan>,
    detail: Option<DetailPlan>,
}

/// A field spec with its selector and regex compiled.
#[derive(Debug)]
struct Field {
    sel: Sel,
    spec: FieldSpec,
    regex: Option<Regex>,
}

#[derive(Debug)]
struct ResultsPlan {
    card: Sel,
    no_results: Option<Sel>,
    no_results_text: Option<String>,
    next_page: Option<Field>,
    detail_link: Option<Field>,
    schema_org: bool,
    fields: Vec<(FieldName, Field)>,
}

#[derive(Debug)]
struct DetailPlan {
    root: Option<Sel>,
    schema_org: bool,
    fields: Vec<(FieldName, Field)>,
}

/// The snake_case key a field has in source files ("alt_names").
pub fn field_key(f: FieldName) -> &'static str {
    match f {
        FieldName::Name => "name",
        FieldName::AltNames => "alt_names",
        FieldName::Age => "age",
        FieldName::BirthDate => "birth_date",
        FieldName::Addresses => "addresses",
        FieldName::CityState => "city_state",
        FieldName::Phones => "phones",
        FieldName::Emails => "emails",
        FieldName::Relatives => "relatives",
        FieldName::Usernames => "usernames",
        FieldName::ProfileUrl => "profile_url",
    }
}

/// Collects `(field path, problem)` pairs while compiling.
struct Compiler(Vec<(String, String)>);

impl Compiler {
    fn sel(&mut self, path: &str, s: &str) -> Option<Sel> {
        Sel::compile(s)
            .map_err(|e| self.0.push((path.to_string(), e)))
            .ok()
    }

    fn field(&mut self, path: &str, spec: &FieldSpec) -> Option<Field> {
        let sel = self.sel(path, &spec.selector);
        let regex = match &spec.regex {
            Some(r) => match Regex::new(r) {
                Ok(re) => Some(re),
                Err(e) => {
                    self.0.push((
                        format!("{path}.regex"),
                        format!("{r:?} is not a valid regex: {e}"),
                    ));
                    return None;
                }
            },
            None => None,
        };
        if let Some(t) = &spec.template
            && !t.contains("{id}")
        {
            self.0.push((
                format!("{path}.template"),
                format!(
                    "{t:?} has no {{id}} slot; expected e.g. \"https://example.com/person/{{id}}\""
                ),
            ));
            return None;
        }
        if spec.split.as_deref() == Some("") {
            self.0.push((
                format!("{path}.split"),
                "empty separator; expected e.g. \",\"".into(),
            ));
            return None;
        }
        Some(Field {
            sel: sel?,
            spec: spec.clone(),
            regex,
        })
    }

    fn fields(
        &mut self,
        prefix: &str,
        fields: &BTreeMap<FieldName, FieldSpec>,
    ) -> Vec<(FieldName, Field)> {
        fields
            .iter()
            .filter_map(|(k, f)| {
                self.field(&format!("{prefix}.{}", field_key(*k)), f)
                    .map(|c| (*k, c))
            })
            .collect()
    }
}

impl Extractor {
    /// Compiles every selector and regex of a source once; errors are
    /// `(field path, problem)` pairs such as
    /// `("search.results.fields.age", "\"//p[\" is not a valid XPath: …")`.
    pub fn new(def: &SourceDef) -> Result<Extractor, Vec<(String, String)>> {
        let mut c = Compiler(Vec::new());
        let results = def.search.as_ref().map(|s| {
            let r = &s.results;
            let card = c.sel("search.results.card", &r.card);
            let no_results = r
                .no_results
                .as_ref()
                .map(|s| c.sel("search.results.no_results", s));
            let next_page = r
                .next_page
                .as_ref()
                .map(|f| c.field("search.results.next_page", f));
            let detail_link = r
                .detail_link
                .as_ref()
                .map(|f| c.field("search.results.detail_link", f));
            let fields = c.fields("search.results.fields", &r.fields);
            (card, no_results, next_page, detail_link, fields, r)
        });
        let detail = def.detail.as_ref().map(|d| {
            let root = d.root.as_ref().map(|s| c.sel("detail.root", s));
            let fields = c.fields("detail.fields", &d.fields);
            (root, fields, d.schema_org)
        });
        if !c.0.is_empty() {
            return Err(c.0);
        }
        // No problems were recorded, so every `Option` from the compiler is `Some`.
        let results = results.and_then(|(card, nr, np, dl, fields, r)| {
            Some(ResultsPlan {
                card: card?,
                no_results: nr.flatten(),
                no_results_text: r.no_results_text.clone().filter(|t| !t.trim().is_empty()),
                next_page: np.flatten(),
                detail_link: dl.flatten(),
                schema_org: r.schema_org,
                fields,
            })
        });
        let detail = detail.map(|(root, fields, schema_org)| DetailPlan {
            root: root.flatten(),
            schema_org,
            fields,
        });
        Ok(Extractor { results, detail })
    }

    /// Reads a results page: a no-results marker wins, then cards (each
    /// with its schema.org data when the source asks for it), then — if no
    /// card selector matched — schema.org Persons as cards.
    pub fn results(&self, html: &str, page_url: &Url) -> ResultsPage {
        let Some(plan) = &self.results else {
            return ResultsPage::Unrecognised;
        };
        let doc = Html::parse_document(html);
        let root = doc.tree.root();
        if let Some(nr) = &plan.no_results
            && !nr.select(root).is_empty()
        {
            return ResultsPage::NoResults;
        }
        if let Some(t) = &plan.no_results_text
            && text_of(&XNode::Node(root))
                .to_lowercase()
                .contains(&collapse(t).to_lowercase())
        {
            return ResultsPage::NoResults;
        }
        let mut cards: Vec<Card> = plan
            .card
            .select(root)
            .into_iter()
            .filter_map(|n| match n {
                XNode::Node(n) => Some(n),
                XNode::Attr(..) => None,
            })
            .map(|el| {
                let mut record = read_fields(el, &plan.fields, page_url);
                if plan.schema_org {
                    for p in schema_org::persons(el, page_url) {
                        record = prefer(p, record);
                    }
                }
                let link = plan
                    .detail_link
                    .as_ref()
                    .and_then(|f| values(el, f).into_iter().next())
                    .and_then(|u| resolve(page_url, &u));
                finish_card(record, link)
            })
            .collect();
        if cards.is_empty() && plan.schema_org {
            cards = schema_org::persons(root, page_url)
                .into_iter()
                .map(|r| finish_card(r, None))
                .collect();
        }
        if cards.is_empty() {
            return ResultsPage::Unrecognised;
        }
        let next_page = plan
            .next_page
            .as_ref()
            .and_then(|f| values(root, f).into_iter().next())
            .and_then(|u| resolve(page_url, &u))
            .filter(|u| u.as_str() != page_url.as_str());
        ResultsPage::Results { cards, next_page }
    }

    /// Reads a listing's own page: schema.org data (when the source asks
    /// for it) first, selector fields filling what the markup lacks.
    pub fn detail(&self, html: &str, page_url: &Url) -> Record {
        let Some(plan) = &self.detail else {
            return Record::default();
        };
        let doc = Html::parse_document(html);
        let page = doc.tree.root();
        let root = plan
            .root
            .as_ref()
            .and_then(|s| match s.select(page).first() {
                Some(XNode::Node(n)) => Some(*n),
                _ => None,
            })
            .unwrap_or(page);
        let mut record = read_fields(root, &plan.fields, page_url);
        if plan.schema_org {
            // The page's first Person is the listing; later ones are usually
            // "people also viewed" boxes, so only those with the same name
            // (the listing marked up twice, e.g. JSON-LD and microdata) merge in.
            let mut persons = schema_org::persons(page, page_url).into_iter();
            if let Some(mut main) = persons.next() {
                let same = |a: &Record, b: &Record| {
                    a.names.first().zip(b.names.first()).is_some_and(|(x, y)| {
                        x.first.eq_ignore_ascii_case(&y.first)
                            && x.last.eq_ignore_ascii_case(&y.last)
                    })
                };
                for p in persons {
                    if same(&main, &p) {
                        main = prefer(main, p);
                    }
                }
                record = prefer(main, record);
            }
        }
        record
    }
}

/// `primary` with lists extended by `extra` and missing scalars filled from it.
fn prefer(mut primary: Record, extra: Record) -> Record {
    fn union<T: PartialEq>(into: &mut Vec<T>, from: Vec<T>) {
        for v in from {
            if !into.contains(&v) {
                into.push(v);
            }
        }
    }
    union(&mut primary.names, extra.names);
    primary.age = primary.age.or(extra.age);
    primary.birth_year = primary.birth_year.or(extra.birth_year);
    primary.birth_date = primary.birth_date.or(extra.birth_date);
    union(&mut primary.addresses, extra.addresses);
    union(&mut primary.phones, extra.phones);
    union(&mut primary.emails, extra.emails);
    union(&mut primary.relatives, extra.relatives);
    union(&mut primary.usernames, extra.usernames);
    primary.profile_url = primary.profile_url.or(extra.profile_url);
    primary
}

/// A card's detail link and profile URL stand in for each other.
fn finish_card(mut record: Record, link: Option<String>) -> Card {
    let detail_url = link.or_else(|| record.profile_url.clone());
    if record.profile_url.is_none() {
        record.profile_url = detail_url.clone();
    }
    Card { record, detail_url }
}

/// Resolves a link against the page; only http(s) results count.
fn resolve(page_url: &Url, link: &str) -> Option<String> {
    let u = page_url.join(link.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// Finds `needle` ignoring ASCII case; returns its byte range in `hay`.
fn find_ci(hay: &str, needle: &str) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    let h = hay.to_ascii_lowercase();
    let n = needle.to_ascii_lowercase();
    h.find(&n).map(|i| (i, i + n.len()))
}

/// A field's values under `ctx`, after all modifiers.
fn values(ctx: NodeRef<'_, Node>, f: &Field) -> Vec<String> {
    let spec = &f.spec;
    let mut out = Vec::new();
    for m in f.sel.select(ctx) {
        let raw = match &spec.attr {
            Some(a) => attr_of(&m, a).map(collapse),
            None => Some(text_of(&m)),
        };
        let Some(mut v) = raw else { continue };
        if let Some(after) = &spec.after
            && let Some((_, end)) = find_ci(&v, after)
        {
            v = v[end..].to_string();
        }
        if let Some(before) = &spec.before
            && let Some((start, _)) = find_ci(&v, before)
        {
            v = v[..start].to_string();
        }
        if let Some(re) = &f.regex {
            let Some(c) = re.captures(&v) else { continue };
            v = c
                .get(1)
                .or_else(|| c.get(0))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default();
        }
        let parts: Vec<String> = match &spec.split {
            Some(sep) => v.split(sep.as_str()).map(collapse).collect(),
            None => vec![collapse(&v)],
        };
        for p in parts {
            let p = p.trim_matches(|c: char| c == ',' || c == ';' || c == ':' || c.is_whitespace());
            if p.is_empty() {
                continue;
            }
            out.push(match &spec.template {
                Some(t) => fill_template(t, p),
                None => p.to_string(),
            });
        }
        if !spec.all {
            break;
        }
    }
    out
}

/// `{id}` in `template` replaced by `id`, without doubling the slash in
/// "https://x.com/{id}" + "/person/1".
fn fill_template(template: &str, id: &str) -> String {
    let id = if template.contains("/{id}") {
        id.trim_start_matches('/')
    } else {
        id
    };
    template.replace("{id}", &id.replace(' ', "%20"))
}

fn read_fields(ctx: NodeRef<'_, Node>, fields: &[(FieldName, Field)], page_url: &Url) -> Record {
    let mut r = Record::default();
    for (name, spec) in fields {
        let vals = values(ctx, spec);
        match name {
            FieldName::Name => {
                if let Some(n) = vals.iter().find_map(|v| parse::name(v)) {
                    r.names.insert(0, n);
                }
            }
            FieldName::AltNames => {
                for n in vals.iter().filter_map(|v| parse::name(v)) {
                    if !r.names.contains(&n) {
                        r.names.push(n);
                    }
                }
            }
            FieldName::Age => {
                r.age = r.age.or_else(|| vals.iter().find_map(|v| parse::age(v)));
                if let Some(b) = vals.iter().find_map(|v| parse::birth(v))
                    && r.birth_year.is_none()
                {
                    r.birth_year = Some(b.year);
                    r.birth_date = b.date;
                }
            }
            FieldName::BirthDate => {
                if let Some(b) = vals.iter().find_map(|v| parse::birth(v)) {
                    r.birth_year = Some(b.year);
                    r.birth_date = b.date.or(r.birth_date.take());
                }
            }
            FieldName::Addresses | FieldName::CityState => {
                for a in vals.iter().filter_map(|v| parse::address(v)) {
                    if !r.addresses.contains(&a) {
                        r.addresses.push(a);
                    }
                }
            }
            FieldName::Phones => {
                for p in vals.iter().filter_map(|v| parse::phone(v)) {
                    if !r.phones.contains(&p) {
                        r.phones.push(p);
                    }
                }
            }
            FieldName::Emails => {
                for e in vals.iter().filter_map(|v| parse::email(v)) {
                    if !r.emails.contains(&e) {
                        r.emails.push(e);
                    }
                }
            }
            FieldName::Relatives => {
                for rel in vals.iter().flat_map(|v| parse::relatives(v)) {
                    if !r.relatives.contains(&rel) {
                        r.relatives.push(rel);
                    }
                }
            }
            FieldName::Usernames => {
                for u in vals.iter().map(|v| v.trim_start_matches('@').to_string()) {
                    if !u.is_empty() && !r.usernames.contains(&u) {
                        r.usernames.push(u);
                    }
                }
            }
            FieldName::ProfileUrl => {
                r.profile_url = vals.iter().find_map(|u| resolve(page_url, u));
            }
        }
    }
    r
}
