//! `index.html`: the report as one self-contained page.
//!
//! Inline CSS and an inline SVG picture, no scripts and no external
//! requests; a CSP meta tag forbids everything else. Every value is escaped
//! by askama (the template never uses `|safe`), and only http(s) URLs become
//! links, so scraped text cannot run or navigate anywhere unexpected.

use std::collections::BTreeMap;
use std::path::Path;

use askama::Template;

use super::{ReportData, SourceSection};
use crate::model::MatchLevel;

/// The page's Content-Security-Policy: nothing but inline styles and data: images.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

#[derive(Template)]
#[template(path = "index.html")]
struct Page<'a> {
    d: &'a ReportData,
    csp: &'static str,
    found_on: usize,
    listings: Vec<ListingView>,
    picture: Picture,
    drafts: Vec<String>,
}

/// One listing, flattened for the template.
struct ListingView {
    source_name: String,
    id: i64,
    who: String,
    level: String,
    score: String,
    href: Option<String>,
    url_text: String,
    facts: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    seen_at: String,
    content_hash: String,
    fetches: Vec<(String, String, String, String)>,
}

/// The exposure picture: layered nodes and the lines between them.
struct Picture {
    width: u32,
    height: u32,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    columns: Vec<(u32, &'static str)>,
}

struct Node {
    x: u32,
    y: u32,
    label: String,
    class: &'static str,
}

struct Edge {
    x1: u32,
    y1: u32,
    x2: u32,
    y2: u32,
}

const COLS: [u32; 4] = [20, 230, 480, 760];
const NODE_W: u32 = 190;
const ROW: u32 = 34;
const TOP: u32 = 50;

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Lays out subject → attributes → brokers → companies in four columns.
fn picture(d: &ReportData) -> Picture {
    let found: Vec<&SourceSection> = d.sources.iter().filter(|s| s.state == "found").collect();
    let attrs: Vec<&crate::exposure::AttributeExposure> = d
        .exposure
        .attributes
        .iter()
        .filter(|a| !a.brokers.is_empty())
        .collect();
    let mut companies: Vec<String> = Vec::new();
    let mut company_of: BTreeMap<String, usize> = BTreeMap::new();
    for s in &found {
        let c = s
            .parent_company
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| s.operator.clone());
        if c.is_empty() {
            continue;
        }
        let i = match companies.iter().position(|x| *x == c) {
            Some(i) => i,
            None => {
                companies.push(c);
                companies.len() - 1
            }
        };
        company_of.insert(s.id.clone(), i);
    }
    let rows = attrs.len().max(found.len()).max(companies.len()).max(1) as u32;
    let height = TOP + rows * ROW + 20;
    let y_at = |i: usize, n: usize| -> u32 {
        // Centre shorter columns against the tallest one.
        let offset = (rows - n as u32) * ROW / 2;
        TOP + offset + i as u32 * ROW
    };
    let breached: Vec<&str> = d
        .exposure
        .broker_breaches
        .iter()
        .map(|b| b.source_id.as_str())
        .collect();
    let mut nodes = vec![Node {
        x: COLS[0],
        y: y_at(0, 1),
        label: truncate(&d.subject_name, 24),
        class: "subject",
    }];
    let mut edges = Vec::new();
    let mid = |y: u32| y + 12;
    for (i, a) in attrs.iter().enumerate() {
        let y = y_at(i, attrs.len());
        nodes.push(Node {
            x: COLS[1],
            y,
            label: truncate(&a.label, 24),
            class: "attr",
        });
        edges.push(Edge {
            x1: COLS[0] + NODE_W,
            y1: mid(y_at(0, 1)),
            x2: COLS[1],
            y2: mid(y),
        });
        for (j, s) in found.iter().enumerate() {
            if a.brokers.contains(&s.id) {
                edges.push(Edge {
                    x1: COLS[1] + NODE_W,
                    y1: mid(y),
                    x2: COLS[2],
                    y2: mid(y_at(j, found.len())),
                });
            }
        }
    }
    for (j, s) in found.iter().enumerate() {
        let y = y_at(j, found.len());
        nodes.push(Node {
            x: COLS[2],
            y,
            label: truncate(&s.name, 24),
            class: if breached.contains(&s.id.as_str()) {
                "broker breached"
            } else {
                "broker"
            },
        });
        if let Some(&c) = company_of.get(&s.id) {
            edges.push(Edge {
                x1: COLS[2] + NODE_W,
                y1: mid(y),
                x2: COLS[3],
                y2: mid(y_at(c, companies.len())),
            });
        }
    }
    for (c, name) in companies.iter().enumerate() {
        nodes.push(Node {
            x: COLS[3],
            y: y_at(c, companies.len()),
            label: truncate(name, 24),
            class: "company",
        });
    }
    Picture {
        width: COLS[3] + NODE_W + 20,
        height,
        nodes,
        edges,
        columns: vec![
            (COLS[0], "you"),
            (COLS[1], "what is exposed"),
            (COLS[2], "brokers listing you"),
            (COLS[3], "companies behind them"),
        ],
    }
}

fn listing_views(d: &ReportData) -> Vec<ListingView> {
    let mut out = Vec::new();
    for s in d.sources.iter().filter(|s| !s.listings.is_empty()) {
        for l in &s.listings {
            let r = &l.record;
            let mut facts = Vec::new();
            for n in r.names.iter().skip(1) {
                facts.push(("also known as".into(), n.full()));
            }
            if let Some(a) = r.age {
                facts.push(("age".into(), a.to_string()));
            }
            if let Some(b) = r.birth_date.clone().or(r.birth_year.map(|y| y.to_string())) {
                facts.push(("born".into(), b));
            }
            for a in &r.addresses {
                facts.push(("address".into(), a.one_line()));
            }
            for p in &r.phones {
                facts.push(("phone".into(), p.clone()));
            }
            for e in &r.emails {
                facts.push(("e-mail".into(), e.clone()));
            }
            if !r.relatives.is_empty() {
                facts.push(("relatives".into(), r.relatives.join(", ")));
            }
            for u in &r.usernames {
                facts.push(("username".into(), u.clone()));
            }
            let href = l
                .url
                .as_deref()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(str::to_string);
            let fetches = s
                .evidence
                .iter()
                .filter(|e| e.listing_id == l.id)
                .map(|e| {
                    (
                        e.fetched_at.clone(),
                        e.status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into()),
                        e.url.clone(),
                        e.content_hash.clone().unwrap_or_default(),
                    )
                })
                .collect();
            out.push(ListingView {
                source_name: s.name.clone(),
                id: l.id,
                who: r.names.first().map(|n| n.full()).unwrap_or_default(),
                level: if l.level == MatchLevel::Possible {
                    "possible — please review".into()
                } else {
                    l.level.as_str().into()
                },
                score: format!("{:.1}", l.score),
                href,
                url_text: l.url.clone().unwrap_or_default(),
                facts,
                reasons: l
                    .evidence
                    .iter()
                    .map(|e| (format!("{:+.1}", e.weight), e.reason.clone()))
                    .collect(),
                seen_at: l.last_seen.clone(),
                content_hash: l.content_hash.clone().unwrap_or_default(),
                fetches,
            });
        }
    }
    out
}

/// Files in `<dir>/drafts/` (written by `optout draft`), sorted.
fn drafts_in(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir.join("drafts"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Renders the page for a report folder (drafts already in `dir` are listed).
pub fn render(d: &ReportData, dir: &Path) -> String {
    let page = Page {
        d,
        csp: CSP,
        found_on: d.sources.iter().filter(|s| s.state == "found").count(),
        listings: listing_views(d),
        picture: picture(d),
        drafts: drafts_in(dir),
    };
    page.render().expect("the report template renders")
}
