//! Extraction: turn a fetched page into typed [`Record`]s using a source's
//! selectors (CSS or an XPath subset) and schema.org data.
//!
//! [`Extractor::new`] compiles a source's selectors once; [`Extractor::results`]
//! reads a results page into cards, [`Extractor::detail`] reads a listing's
//! own page. Raw strings become typed values through [`parse`].

pub mod parse;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::model::Record;
use crate::sources::{DetailSpec, FieldName, FieldSpec, ResultsSpec, SourceDef};

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
    results: Option<ResultsSpec>,
    detail: Option<DetailSpec>,
}

impl Extractor {
    /// Compiles every selector of a source; errors are `(field path, problem)`.
    pub fn new(def: &SourceDef) -> Result<Extractor, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut check = |path: String, sel: &str| {
            if Selector::parse(sel).is_err() {
                problems.push((path, format!("{sel:?} is not a valid CSS selector")));
            }
        };
        if let Some(s) = &def.search {
            check("search.results.card".into(), &s.results.card);
            for (k, f) in &s.results.fields {
                check(format!("search.results.fields.{k:?}"), &f.selector);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Extractor {
            results: def.search.as_ref().map(|s| s.results.clone()),
            detail: def.detail.clone(),
        })
    }

    /// Reads a results page.
    pub fn results(&self, html: &str, page_url: &Url) -> ResultsPage {
        let Some(spec) = &self.results else {
            return ResultsPage::Unrecognised;
        };
        let doc = Html::parse_document(html);
        if let Some(nr) = &spec.no_results
            && let Ok(sel) = Selector::parse(nr)
            && doc.select(&sel).next().is_some()
        {
            return ResultsPage::NoResults;
        }
        if let Some(t) = &spec.no_results_text
            && html.to_lowercase().contains(&t.to_lowercase())
        {
            return ResultsPage::NoResults;
        }
        let Ok(card_sel) = Selector::parse(&spec.card) else {
            return ResultsPage::Unrecognised;
        };
        let cards: Vec<Card> = doc
            .select(&card_sel)
            .map(|el| Card {
                record: read_fields(el, &spec.fields, page_url),
                detail_url: spec
                    .detail_link
                    .as_ref()
                    .and_then(|f| values(el, f).into_iter().next())
                    .and_then(|u| page_url.join(&u).ok())
                    .map(|u| u.to_string()),
            })
            .collect();
        if cards.is_empty() {
            return ResultsPage::Unrecognised;
        }
        let next_page = spec
            .next_page
            .as_ref()
            .and_then(|f| values(doc.root_element(), f).into_iter().next())
            .and_then(|u| page_url.join(&u).ok())
            .map(|u| u.to_string());
        ResultsPage::Results { cards, next_page }
    }

    /// Reads a listing's own page.
    pub fn detail(&self, html: &str, page_url: &Url) -> Record {
        let Some(spec) = &self.detail else {
            return Record::default();
        };
        let doc = Html::parse_document(html);
        read_fields(doc.root_element(), &spec.fields, page_url)
    }
}

fn values(el: ElementRef<'_>, f: &FieldSpec) -> Vec<String> {
    let Ok(sel) = Selector::parse(&f.selector) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in el.select(&sel) {
        let mut v = match &f.attr {
            Some(a) => m.value().attr(a).unwrap_or_default().to_string(),
            None => m.text().collect::<Vec<_>>().join(" "),
        };
        if let Some(after) = &f.after {
            v = v
                .split_once(after.as_str())
                .map(|x| x.1.to_string())
                .unwrap_or(v);
        }
        if let Some(before) = &f.before {
            v = v
                .split_once(before.as_str())
                .map(|x| x.0.to_string())
                .unwrap_or(v);
        }
        match &f.split {
            Some(sep) => out.extend(sep_values(&v, sep)),
            None => out.push(v.split_whitespace().collect::<Vec<_>>().join(" ")),
        }
        if !f.all {
            break;
        }
    }
    out.retain(|v| !v.is_empty());
    out
}

fn sep_values(v: &str, sep: &str) -> Vec<String> {
    v.split(sep)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn read_fields(
    el: ElementRef<'_>,
    fields: &std::collections::BTreeMap<FieldName, FieldSpec>,
    page_url: &Url,
) -> Record {
    let mut r = Record::default();
    for (name, spec) in fields {
        let vals = values(el, spec);
        match name {
            FieldName::Name | FieldName::AltNames => {
                r.names.extend(vals.iter().filter_map(|v| parse::name(v)))
            }
            FieldName::Age => r.age = vals.iter().find_map(|v| parse::age(v)),
            FieldName::BirthDate => {}
            FieldName::Addresses | FieldName::CityState => r
                .addresses
                .extend(vals.iter().filter_map(|v| parse::address(v))),
            FieldName::Phones => r.phones.extend(vals.iter().filter_map(|v| parse::phone(v))),
            FieldName::Emails => r.emails.extend(vals.iter().map(|v| v.to_lowercase())),
            FieldName::Relatives => r.relatives.extend(vals),
            FieldName::Usernames => r.usernames.extend(vals),
            FieldName::ProfileUrl => {
                r.profile_url = vals
                    .first()
                    .and_then(|u| page_url.join(u).ok())
                    .map(|u| u.to_string())
            }
        }
    }
    r
}
