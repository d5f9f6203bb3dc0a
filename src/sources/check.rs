//! Live drift checks: search each site for two synthetic names and say
//! whether its definition still reads the answers.
//!
//! A common placeholder name ("John Smith") must give named result cards; a
//! made-up name must give the no-results marker. Anything else — a block, a
//! moved page, a selector that finds nothing — is drift. This fetches real
//! sites, so it runs only when a maintainer asks (`sources check --live`).

use std::fmt;

use serde::Serialize;

use crate::crawl::{FetchRequest, Fetcher};
use crate::extract::{Extractor, ResultsPage};
use crate::model::CheckState;

use super::SourceDef;
use super::template::{self, Vars};

/// Which sources [`check_sources`] probes.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Only these source ids; empty means every source that can be searched.
    pub ids: Vec<String>,
}

/// The verdict on one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCheck {
    /// The source's id.
    pub id: String,
    /// True when every probe gave the expected answer.
    pub ok: bool,
    /// `field: problem` for selectors that do not compile; no probe is
    /// fetched then.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compile_errors: Vec<String>,
    /// One result per probe, in probe order.
    pub probes: Vec<ProbeResult>,
}

impl SourceCheck {
    /// The findings as one line: "selectors do not compile: …" or the
    /// probes' results joined by "; ".
    pub fn summary(&self) -> String {
        if !self.compile_errors.is_empty() {
            return format!(
                "selectors do not compile: {}",
                self.compile_errors.join(", ")
            );
        }
        self.probes
            .iter()
            .map(ProbeResult::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What one probe search found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeResult {
    /// Which probe: "common name" or "made-up name".
    pub probe: String,
    /// The URL searched, when a template could be filled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What came back.
    pub outcome: Outcome,
}

impl ProbeResult {
    /// True when the site answered as the probe expected.
    pub fn ok(&self) -> bool {
        matches!(self.outcome, Outcome::Cards { .. } | Outcome::NoResults)
    }
}

impl fmt::Display for ProbeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.probe;
        match &self.outcome {
            Outcome::Cards { cards } => write!(f, "ok ({p}: {cards} cards)"),
            Outcome::NoResults => write!(f, "ok ({p}: no-results marker)"),
            other => write!(f, "{p}: {other}"),
        }
    }
}

/// The answer to one probe. The first two are the expected answers; every
/// other variant is drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// Named result cards for the common name (expected).
    Cards {
        /// Cards on the first page.
        cards: usize,
    },
    /// The no-results marker for the made-up name (expected).
    NoResults,
    /// None of the source's URL templates could be filled with the probe.
    NoTemplate,
    /// A filled template is not a URL.
    BadUrl {
        /// The filled template.
        url: String,
    },
    /// The site refused: 401/403, 429/503, or a bot wall in the body.
    Blocked {
        /// Why it counts as blocked ("http 403", "page says \"captcha\"").
        reason: String,
    },
    /// The request failed for another reason.
    FetchFailed {
        /// The crawl state's label ("error", "timeout", …).
        state: String,
    },
    /// 404/410, or a redirect to another host.
    Moved {
        /// "http 404" or "redirected to HOST".
        reason: String,
    },
    /// Cards were found but the name selector read nothing from them.
    NamelessCards {
        /// Cards found.
        cards: usize,
    },
    /// The no-results marker on the common-name search.
    UnexpectedNoResults,
    /// Cards for the made-up name: the no-results marker is missing.
    UnexpectedCards {
        /// Cards found.
        cards: usize,
    },
    /// The common-name search matched no card.
    NoCards,
    /// The made-up name gave neither cards nor the no-results marker.
    NoMarker,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Cards { cards } => write!(f, "{cards} cards"),
            Outcome::NoResults => write!(f, "no-results marker"),
            Outcome::NoTemplate => write!(f, "no URL template could be filled"),
            Outcome::BadUrl { url } => write!(f, "{url:?} is not a URL"),
            Outcome::Blocked { reason } => write!(f, "blocked ({reason})"),
            Outcome::FetchFailed { state } => write!(f, "fetch failed ({state})"),
            Outcome::Moved { reason } => write!(f, "page moved ({reason})"),
            Outcome::NamelessCards { cards } => {
                write!(f, "{cards} cards but the name selector found nothing")
            }
            Outcome::UnexpectedNoResults => {
                write!(f, "no-results marker on a search that should find people")
            }
            Outcome::UnexpectedCards { cards } => write!(
                f,
                "{cards} cards for a made-up name; no-results marker missing"
            ),
            Outcome::NoCards => write!(f, "card selector found nothing"),
            Outcome::NoMarker => write!(f, "no-results marker missing and no cards"),
        }
    }
}

/// An id in [`CheckOptions::ids`] that names no source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no source with id {0:?}; `brokertrace sources list` shows the ids")]
pub struct UnknownSource(pub String);

/// Probes every chosen source that has a `[search]`, one after another,
/// through `fetcher` (which keeps its politeness limits).
pub async fn check_sources(
    sources: &[SourceDef],
    fetcher: &Fetcher,
    opts: &CheckOptions,
) -> Result<Vec<SourceCheck>, UnknownSource> {
    if let Some(id) = opts
        .ids
        .iter()
        .find(|id| !sources.iter().any(|s| &s.id == *id))
    {
        return Err(UnknownSource(id.clone()));
    }
    let mut out = Vec::new();
    for def in sources
        .iter()
        .filter(|d| d.search.is_some() && (opts.ids.is_empty() || opts.ids.contains(&d.id)))
    {
        out.push(check_source(fetcher, def).await);
    }
    Ok(out)
}

/// Runs both probes against one source.
pub async fn check_source(fetcher: &Fetcher, def: &SourceDef) -> SourceCheck {
    let mut check = SourceCheck {
        id: def.id.clone(),
        ok: false,
        compile_errors: Vec::new(),
        probes: Vec::new(),
    };
    let extractor = match Extractor::new(def) {
        Ok(e) => e,
        Err(errs) => {
            check.compile_errors = errs.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            return check;
        }
    };
    for p in probes() {
        check
            .probes
            .push(run_probe(fetcher, def, &extractor, &p).await);
    }
    check.ok = check.probes.iter().all(ProbeResult::ok);
    check
}

async fn run_probe(
    fetcher: &Fetcher,
    def: &SourceDef,
    extractor: &Extractor,
    p: &Probe,
) -> ProbeResult {
    let mut result = ProbeResult {
        probe: p.label.to_string(),
        url: None,
        outcome: Outcome::NoTemplate,
    };
    let url = def.search.as_ref().and_then(|s| {
        s.urls
            .iter()
            .find_map(|t| template::expand(t, &p.vars).ok())
    });
    let Some(url) = url else {
        return result;
    };
    result.url = Some(url.clone());
    result.outcome = probe_outcome(fetcher, def, extractor, p, url).await;
    result
}

async fn probe_outcome(
    fetcher: &Fetcher,
    def: &SourceDef,
    extractor: &Extractor,
    p: &Probe,
    url: String,
) -> Outcome {
    let Ok(parsed) = url::Url::parse(&url) else {
        return Outcome::BadUrl { url };
    };
    let mut req = FetchRequest::get(parsed.clone());
    req.politeness = def.politeness.clone();
    req.blocked_markers = def.blocked_markers.clone();
    let page = match fetcher.fetch(&req).await {
        Ok(page) => page,
        Err(CheckState::RateLimited) => {
            return Outcome::Blocked {
                reason: "rate limited: 429/503".into(),
            };
        }
        Err(CheckState::Error(e)) if e == "http 403" || e == "http 401" => {
            return Outcome::Blocked { reason: e };
        }
        Err(s) => {
            return Outcome::FetchFailed {
                state: s.label().to_string(),
            };
        }
    };
    if page.status == 404 || page.status == 410 {
        return Outcome::Moved {
            reason: format!("http {}", page.status),
        };
    }
    if let Some(kind) = block_kind(page.status, &page.body, &def.blocked_markers) {
        return Outcome::Blocked {
            reason: format!("page is a {kind} wall"),
        };
    }
    let final_url = url::Url::parse(&page.final_url).unwrap_or(parsed.clone());
    if final_url.host_str() != parsed.host_str() {
        return Outcome::Moved {
            reason: format!("redirected to {}", final_url.host_str().unwrap_or("?")),
        };
    }
    match (extractor.results(&page.body, &final_url), p.expect_results) {
        (ResultsPage::Results { cards, .. }, true) => {
            if cards.iter().any(|c| !c.record.names.is_empty()) {
                Outcome::Cards { cards: cards.len() }
            } else {
                Outcome::NamelessCards { cards: cards.len() }
            }
        }
        (ResultsPage::NoResults, false) => Outcome::NoResults,
        (ResultsPage::NoResults, true) => Outcome::UnexpectedNoResults,
        (ResultsPage::Results { cards, .. }, false) => {
            Outcome::UnexpectedCards { cards: cards.len() }
        }
        (ResultsPage::Unrecognised, true) => Outcome::NoCards,
        (ResultsPage::Unrecognised, false) => Outcome::NoMarker,
    }
}

/// The kind of wall ("captcha", "waf", "login_wall", or "marker" for one of
/// the source's own markers) a page shows, by the crawler's block detector.
fn block_kind(status: u16, body: &str, own: &[String]) -> Option<String> {
    crate::crawl::block::from_body(status, &reqwest::header::HeaderMap::new(), body, own)
}

/// One synthetic search.
struct Probe {
    label: &'static str,
    vars: Vars,
    expect_results: bool,
}

fn probes() -> [Probe; 2] {
    let base = |first: &str, last: &str| -> Vars {
        let mut v = Vars::new();
        v.insert("first", first.into());
        v.insert("last", last.into());
        v.insert("full_name", format!("{first} {last}"));
        v.insert("middle", String::new());
        v.insert("city", "New York".into());
        v.insert("state", "NY".into());
        v.insert("state_full", "New York".into());
        v.insert("zip", "10001".into());
        v.insert("age", "45".into());
        v.insert("birth_year", "1980".into());
        v
    };
    [
        // A placeholder name every US broker lists many of: cards expected.
        Probe {
            label: "common name",
            vars: base("John", "Smith"),
            expect_results: true,
        },
        // A made-up name nobody has: the no-results marker expected.
        Probe {
            label: "made-up name",
            vars: base("Qzxvy", "Wqpltrv"),
            expect_results: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_markers_win_and_case_is_ignored() {
        let own = vec!["Please Verify".to_string()];
        assert_eq!(
            block_kind(200, "<p>please verify — Are You A Robot?</p>", &own).as_deref(),
            Some("marker")
        );
        assert_eq!(
            block_kind(200, "Are you a ROBOT?", &[]).as_deref(),
            Some("captcha")
        );
        assert_eq!(block_kind(200, "<div class=card>", &own), None);
    }

    #[test]
    fn summaries_read_like_the_table() {
        let check = SourceCheck {
            id: "x.test".into(),
            ok: false,
            compile_errors: Vec::new(),
            probes: vec![
                ProbeResult {
                    probe: "common name".into(),
                    url: None,
                    outcome: Outcome::Cards { cards: 3 },
                },
                ProbeResult {
                    probe: "made-up name".into(),
                    url: None,
                    outcome: Outcome::Blocked {
                        reason: "http 403".into(),
                    },
                },
            ],
        };
        assert_eq!(
            check.summary(),
            "ok (common name: 3 cards); made-up name: blocked (http 403)"
        );
        let json = serde_json::to_value(&check.probes[1]).unwrap();
        assert_eq!(json["outcome"]["kind"], "blocked");
    }
}
