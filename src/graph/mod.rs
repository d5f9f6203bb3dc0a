//! The exposure graph: subject → attributes → listings → sources → companies,
//! with inferred copy edges between sources and breaches.
//!
//! [`build`] reads the store and the source definitions into a petgraph
//! [`StableDiGraph`] of typed [`Node`]s and [`Edge`]s; every edge carries
//! its [`EdgeEvidence`] (URLs, fetch time, content hash, confidence, reason).
//! [`provenance`] infers which sources copy from which; [`export`] writes
//! the graph for Gephi, Graphviz, Cytoscape, Neo4j and networkx; [`redact`]
//! replaces every person-identifying value with a keyed pseudonym first.

pub mod export;
pub mod provenance;
pub mod redact;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use serde::{Deserialize, Serialize};

use crate::model::{AttributeKind, MatchLevel, PersonName, Record};
use crate::profile::Profile;
use crate::sources::SourceDef;
use crate::store::{ListingRow, SightingRow, Store};
use provenance::{
    CopyEdge, DeclaredKind, DeclaredLink, InferConfig, Observation, RemovalStep, ValueStatus,
    normalize_value,
};

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NodeKind {
    /// A person scanned for.
    Subject,
    /// One distinct value (a phone, an address, a name…).
    Attribute,
    /// One page about the subject on one source.
    Listing,
    /// A broker or site.
    Source,
    /// An operator or parent company.
    Company,
    /// A data breach.
    Breach,
}

impl NodeKind {
    /// The label used in exports ("Subject").
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Subject => "Subject",
            NodeKind::Attribute => "Attribute",
            NodeKind::Listing => "Listing",
            NodeKind::Source => "Source",
            NodeKind::Company => "Company",
            NodeKind::Breach => "Breach",
        }
    }
}

/// What an edge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EdgeKind {
    /// Subject → attribute: the value is exposed about the subject.
    Has,
    /// Listing → subject: the page is about the subject (at the listing's level).
    About,
    /// Listing → attribute: the page shows the value.
    Exposes,
    /// Listing → source: the page is on the site.
    On,
    /// Source → company: the company runs the site.
    OperatedBy,
    /// Company → company: the parent owns the operator.
    OwnedBy,
    /// Source → source: a front (other brand) of the same back end.
    FrontOf,
    /// Source → source: a page-for-page mirror.
    MirrorOf,
    /// Source → source: the other's opt-out removes listings here.
    OptOutVia,
    /// Source → source: copies records from the other (declared or inferred).
    CopiesFrom,
    /// Attribute or source → breach: exposed in that breach.
    BreachedIn,
}

impl EdgeKind {
    /// The relationship name used in exports ("COPIES_FROM").
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Has => "HAS",
            EdgeKind::About => "ABOUT",
            EdgeKind::Exposes => "EXPOSES",
            EdgeKind::On => "ON",
            EdgeKind::OperatedBy => "OPERATED_BY",
            EdgeKind::OwnedBy => "OWNED_BY",
            EdgeKind::FrontOf => "FRONT_OF",
            EdgeKind::MirrorOf => "MIRROR_OF",
            EdgeKind::OptOutVia => "OPT_OUT_VIA",
            EdgeKind::CopiesFrom => "COPIES_FROM",
            EdgeKind::BreachedIn => "BREACHED_IN",
        }
    }
}

/// A node. Optional fields are set where they apply to the node's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Stable identifier within the graph ("source:peoplefind.test").
    pub id: String,
    /// What it stands for.
    pub kind: NodeKind,
    /// Display label.
    pub label: String,
    /// Attribute kind ("phone"), for attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attr_kind: Option<String>,
    /// The attribute value as first shown, or the subject id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Listing page or site home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Match level, for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Matcher score, for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Source id, for listings and sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Subject id, for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Position in the upstream-first removal order, for sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_rank: Option<u32>,
}

impl Node {
    fn new(id: String, kind: NodeKind, label: String) -> Node {
        Node {
            id,
            kind,
            label,
            attr_kind: None,
            value: None,
            url: None,
            level: None,
            score: None,
            source: None,
            subject: None,
            removal_rank: None,
        }
    }
}

/// Why an edge is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeEvidence {
    /// Pages that show it.
    #[serde(default)]
    pub urls: Vec<String>,
    /// When the newest of those pages was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    /// SHA-256 of that page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// How sure we are (0–1).
    pub confidence: f64,
    /// Why, in words (never containing personal values).
    pub reason: String,
    /// "observed" (read from pages), "declared" (source files, catalogs) or "inferred".
    pub origin: String,
    /// Values behind an inferred copy edge, as "subject/kind: value".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_values: Vec<String>,
    /// Confidence in the direction of a copy edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction_confidence: Option<f64>,
}

impl EdgeEvidence {
    fn declared(url: Option<&str>, confidence: f64, reason: String) -> EdgeEvidence {
        EdgeEvidence {
            urls: url.map(str::to_string).into_iter().collect(),
            fetched_at: None,
            content_hash: None,
            confidence,
            reason,
            origin: "declared".into(),
            shared_values: Vec::new(),
            direction_confidence: None,
        }
    }
}

/// An edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    /// What it says.
    pub kind: EdgeKind,
    /// Why it is there.
    pub evidence: EdgeEvidence,
}

/// A link from the breach catalog: an attribute value or a whole source
/// appeared in a breach. Built by the caller from whatever catalog it has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreachLink {
    /// Breach name ("Adobe").
    pub breach: String,
    /// Date of the breach (YYYY-MM-DD), if known.
    #[serde(default)]
    pub date: Option<String>,
    /// Subject whose value was in it (with `kind` and `value`).
    #[serde(default)]
    pub subject: Option<String>,
    /// Kind of the breached value.
    #[serde(default)]
    pub kind: Option<AttributeKind>,
    /// The breached value (an e-mail, a phone…).
    #[serde(default)]
    pub value: Option<String>,
    /// Source that was itself breached.
    #[serde(default)]
    pub source: Option<String>,
    /// Where the breach is described.
    #[serde(default)]
    pub url: Option<String>,
    /// How sure the catalog is (0–1).
    pub confidence: f64,
    /// Why, in words, without personal values.
    pub reason: String,
}

/// The exposure graph of one or more subjects.
#[derive(Debug, Clone, Default)]
pub struct ExposureGraph {
    /// Nodes and edges.
    pub graph: StableDiGraph<Node, Edge>,
    /// Node id → index.
    pub index: HashMap<String, NodeIndex>,
    /// Subjects covered.
    pub subjects: Vec<String>,
    /// Copy edges (declared and inferred over every subject in the database).
    pub copies: Vec<CopyEdge>,
    /// Upstream-first removal order over the sources in the graph.
    pub removal_order: Vec<RemovalStep>,
}

impl ExposureGraph {
    /// Copy flows whose direction the evidence supports, as
    /// `(upstream, downstream)` pairs.
    pub fn directed_flows(&self) -> Vec<(String, String)> {
        self.copies
            .iter()
            .filter(|c| c.directed)
            .map(|c| c.flow_pair())
            .collect()
    }

    /// The node with this id, adding it if new.
    pub fn node(&mut self, node: Node) -> NodeIndex {
        if let Some(i) = self.index.get(&node.id) {
            return *i;
        }
        let id = node.id.clone();
        let i = self.graph.add_node(node);
        self.index.insert(id, i);
        i
    }

    /// Adds an edge between two node ids (both must exist).
    pub fn edge(&mut self, from: &str, to: &str, kind: EdgeKind, evidence: EdgeEvidence) {
        let (a, b) = (self.index[from], self.index[to]);
        self.graph.add_edge(a, b, Edge { kind, evidence });
    }

    /// Nodes in a stable order (by kind, then id).
    pub fn nodes_sorted(&self) -> Vec<&Node> {
        let mut v: Vec<&Node> = self.graph.node_weights().collect();
        v.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.id.cmp(&b.id)));
        v
    }

    /// `(from id, to id, edge)` in a stable order.
    pub fn edges_sorted(&self) -> Vec<(&str, &str, &Edge)> {
        let mut v: Vec<(&str, &str, &Edge)> = self
            .graph
            .edge_indices()
            .map(|e| {
                let (a, b) = self.graph.edge_endpoints(e).expect("edge");
                (
                    self.graph[a].id.as_str(),
                    self.graph[b].id.as_str(),
                    &self.graph[e],
                )
            })
            .collect();
        v.sort_by(|x, y| {
            (x.2.kind, x.0, x.1)
                .cmp(&(y.2.kind, y.0, y.1))
                .then(x.2.evidence.reason.cmp(&y.2.evidence.reason))
        });
        v
    }

    /// Count of nodes of a kind.
    pub fn count(&self, kind: NodeKind) -> usize {
        self.graph.node_weights().filter(|n| n.kind == kind).count()
    }
}

/// The attribute kinds that become graph nodes (age is left out: shared by
/// too many people to say anything).
const GRAPH_KINDS: [AttributeKind; 7] = [
    AttributeKind::Name,
    AttributeKind::Phone,
    AttributeKind::Email,
    AttributeKind::Address,
    AttributeKind::BirthDate,
    AttributeKind::Relatives,
    AttributeKind::Username,
];

fn level_confidence(level: MatchLevel) -> f64 {
    match level {
        MatchLevel::Confirmed => 0.95,
        MatchLevel::Probable => 0.75,
        MatchLevel::Possible => 0.4,
        MatchLevel::Rejected => 0.0,
    }
}

/// Builds the graph of `subject_ids` (every subject in the store if empty).
///
/// Listings at level probable or better (after the user's decisions) are
/// included. Copy edges are inferred over *every* subject in the store (a
/// batch gives more evidence) plus the relations declared in `sources`.
pub fn build(
    store: &Store,
    subject_ids: &[String],
    sources: &[SourceDef],
    breaches: &[BreachLink],
) -> Result<ExposureGraph> {
    let all = store.subject_ids()?;
    let wanted: Vec<String> = if subject_ids.is_empty() {
        all.clone()
    } else {
        for id in subject_ids {
            if !all.contains(id) {
                anyhow::bail!(
                    "no subject {id:?} in the database; known subjects: {}",
                    all.join(", ")
                );
            }
        }
        subject_ids.to_vec()
    };
    let defs: BTreeMap<&str, &SourceDef> = sources.iter().map(|s| (s.id.as_str(), s)).collect();

    // Provenance looks at every subject (a batch gives more evidence); the
    // graph only at the wanted ones. Each subject's listings are dropped once
    // used, so memory does not grow with the batch.
    let load = |id: &str| -> Result<(Profile, Vec<ListingRow>)> {
        let profile = store
            .subject(id)?
            .with_context(|| format!("subject {id} vanished from the database"))?;
        let mut listings: Vec<ListingRow> = store
            .listings_of_subject(id)?
            .into_iter()
            .filter(|l| l.level >= MatchLevel::Probable)
            .collect();
        for l in &mut listings {
            // Matcher evidence is not part of the graph.
            l.evidence = Vec::new();
        }
        Ok((profile, listings))
    };
    let observe = |observations: &mut Vec<Observation>,
                   id: &str,
                   profile: &Profile,
                   listings: &[ListingRow]| {
        for l in listings {
            for (kind, value, status) in classify_record(profile, &l.record) {
                observations.push(Observation {
                    subject: id.to_string(),
                    source: l.source_id.clone(),
                    kind,
                    value,
                    status,
                });
            }
        }
    };
    let mut observations = Vec::new();
    let mut g = ExposureGraph {
        subjects: wanted.clone(),
        ..ExposureGraph::default()
    };
    let mut source_ids: BTreeSet<String> = BTreeSet::new();
    let newest_sightings = store.newest_sightings()?;
    if wanted == all {
        // Every subject is wanted, in the same order: one pass.
        for id in &all {
            let (profile, listings) = load(id)?;
            observe(&mut observations, id, &profile, &listings);
            add_subject(
                &mut g,
                id,
                &profile,
                &listings,
                &newest_sightings,
                &defs,
                &mut source_ids,
            );
        }
    } else {
        for id in &all {
            let (profile, listings) = load(id)?;
            observe(&mut observations, id, &profile, &listings);
        }
        for id in &wanted {
            let (profile, listings) = load(id)?;
            add_subject(
                &mut g,
                id,
                &profile,
                &listings,
                &newest_sightings,
                &defs,
                &mut source_ids,
            );
        }
    }
    let declared = declared_links(sources);
    let copies = provenance::infer_copies_with(&observations, &declared, &InferConfig::default());
    drop(observations);

    // Declared relations, followed from the sources with listings.
    let mut queue: Vec<String> = source_ids.iter().cloned().collect();
    let mut seen: BTreeSet<String> = source_ids.clone();
    while let Some(id) = queue.pop() {
        let Some(def) = defs.get(id.as_str()) else {
            continue;
        };
        let node = add_source(&mut g, &id, Some(def));
        if !def.operator.is_empty() {
            let company = add_company(&mut g, &def.operator);
            g.edge(
                &node,
                &company,
                EdgeKind::OperatedBy,
                EdgeEvidence::declared(
                    Some(&def.homepage),
                    1.0,
                    format!("operator named in {id}'s source file"),
                ),
            );
            if let Some(parent) = def.parent_company.as_deref().filter(|p| !p.is_empty()) {
                let p = add_company(&mut g, parent);
                if p != company && !has_edge(&g, &company, &p, EdgeKind::OwnedBy) {
                    g.edge(
                        &company,
                        &p,
                        EdgeKind::OwnedBy,
                        EdgeEvidence::declared(
                            Some(&def.homepage),
                            1.0,
                            format!("parent company named in {id}'s source file"),
                        ),
                    );
                }
            }
        }
        let relations = [
            (EdgeKind::FrontOf, def.front_of.as_deref()),
            (EdgeKind::MirrorOf, def.mirror_of.as_deref()),
            (EdgeKind::OptOutVia, def.opt_out_via.as_deref()),
        ];
        for (kind, other) in relations {
            let Some(other) = other.filter(|o| !o.is_empty() && *o != id) else {
                continue;
            };
            let other_node = add_source(&mut g, other, defs.get(other));
            g.edge(
                &node,
                &other_node,
                kind,
                EdgeEvidence::declared(
                    Some(&def.homepage),
                    1.0,
                    format!("declared in {id}'s source file"),
                ),
            );
            if seen.insert(other.to_string()) {
                queue.push(other.to_string());
            }
        }
        for other in &def.copies_from {
            if seen.insert(other.clone()) {
                queue.push(other.clone());
            }
        }
    }

    // Copy edges touching the graph's sources.
    let in_graph: BTreeSet<String> = g
        .graph
        .node_weights()
        .filter(|n| n.kind == NodeKind::Source)
        .filter_map(|n| n.source.clone())
        .collect();
    let copies: Vec<CopyEdge> = copies
        .into_iter()
        .filter(|c| in_graph.contains(&c.upstream) || in_graph.contains(&c.downstream))
        .collect();
    for c in &copies {
        let down = add_source(&mut g, &c.downstream, defs.get(c.downstream.as_str()));
        let up = add_source(&mut g, &c.upstream, defs.get(c.upstream.as_str()));
        let origin = match (c.declared.is_empty(), c.shared.is_empty()) {
            (false, true) => "declared",
            (true, _) => "inferred",
            (false, false) => "declared+inferred",
        };
        g.edge(
            &down,
            &up,
            EdgeKind::CopiesFrom,
            EdgeEvidence {
                urls: Vec::new(),
                fetched_at: None,
                content_hash: None,
                confidence: c.confidence,
                reason: c.reason.clone(),
                origin: origin.into(),
                shared_values: c
                    .shared
                    .iter()
                    .map(|v| format!("{}/{}: {}", v.subject, v.kind.as_str(), v.value))
                    .collect(),
                direction_confidence: Some(c.direction_confidence),
            },
        );
    }
    let graph_sources: Vec<String> = g
        .graph
        .node_weights()
        .filter(|n| n.kind == NodeKind::Source)
        .filter_map(|n| n.source.clone())
        .collect();
    g.removal_order = provenance::removal_order(&graph_sources, &copies);
    for step in &g.removal_order {
        if let Some(i) = g.index.get(&format!("source:{}", step.source)) {
            g.graph[*i].removal_rank = Some(step.rank as u32);
        }
    }
    g.copies = copies;

    // Breaches.
    for b in breaches {
        let breach_node = format!("breach:{}", b.breach);
        let mut n = Node::new(breach_node.clone(), NodeKind::Breach, b.breach.clone());
        n.url = b.url.clone();
        n.value = b.date.clone();
        g.node(n);
        let evidence = EdgeEvidence::declared(b.url.as_deref(), b.confidence, b.reason.clone());
        if let (Some(kind), Some(value)) = (b.kind, b.value.as_deref()) {
            if b.subject.as_ref().is_some_and(|s| !wanted.contains(s)) {
                continue;
            }
            let attr = add_attribute(&mut g, kind, value);
            if let Some(s) = &b.subject {
                let subject_node = format!("subject:{s}");
                if !has_edge(&g, &subject_node, &attr, EdgeKind::Has) {
                    g.edge(
                        &subject_node,
                        &attr,
                        EdgeKind::Has,
                        EdgeEvidence::declared(
                            None,
                            b.confidence,
                            "value of the subject found in a breach catalog".into(),
                        ),
                    );
                }
            }
            g.edge(&attr, &breach_node, EdgeKind::BreachedIn, evidence.clone());
        }
        if let Some(source) = &b.source {
            let node = add_source(&mut g, source, defs.get(source.as_str()));
            g.edge(&node, &breach_node, EdgeKind::BreachedIn, evidence);
        }
    }
    Ok(g)
}

/// Adds one subject with its listings, the values they show and the
/// sources they are on.
fn add_subject(
    g: &mut ExposureGraph,
    sid: &str,
    profile: &Profile,
    listings: &[ListingRow],
    newest_sightings: &HashMap<i64, SightingRow>,
    defs: &BTreeMap<&str, &SourceDef>,
    source_ids: &mut BTreeSet<String>,
) {
    let subject_node = format!("subject:{sid}");
    let mut n = Node::new(
        subject_node.clone(),
        NodeKind::Subject,
        profile.primary_name().full(),
    );
    n.value = Some(sid.to_string());
    g.node(n);
    // attribute id → (listing urls, best level, newest fetch, hash).
    let mut has: BTreeMap<String, HasEvidence> = BTreeMap::new();
    for l in listings {
        source_ids.insert(l.source_id.clone());
        let newest = newest_sightings.get(&l.id);
        let fetched_at = newest
            .and_then(|s| s.fetched_at.clone().or(Some(s.seen_at.clone())))
            .or(Some(l.last_seen.clone()));
        let page_url = l
            .url
            .clone()
            .or_else(|| newest.map(|s| s.check_url.clone()));
        let listing_node = format!("listing:{}", l.id);
        let mut n = Node::new(
            listing_node.clone(),
            NodeKind::Listing,
            format!("{} listing {}", l.source_id, l.id),
        );
        n.url = page_url.clone();
        n.level = Some(l.level.as_str().into());
        n.score = Some(l.score);
        n.source = Some(l.source_id.clone());
        n.subject = Some(sid.to_string());
        g.node(n);
        let observed = |confidence: f64, reason: String| EdgeEvidence {
            urls: page_url.clone().into_iter().collect(),
            fetched_at: fetched_at.clone(),
            content_hash: l.content_hash.clone(),
            confidence,
            reason,
            origin: "observed".into(),
            shared_values: Vec::new(),
            direction_confidence: None,
        };
        g.edge(
            &listing_node,
            &subject_node,
            EdgeKind::About,
            observed(
                level_confidence(l.level),
                format!(
                    "matched at level {} (score {:.1}{})",
                    l.level.as_str(),
                    l.score,
                    if l.decision.is_some() {
                        ", decided by the user"
                    } else {
                        ""
                    }
                ),
            ),
        );
        let source_node = add_source(g, &l.source_id, defs.get(l.source_id.as_str()));
        g.edge(
            &listing_node,
            &source_node,
            EdgeKind::On,
            observed(1.0, format!("listing page is on {}", l.source_id)),
        );
        for (kind, value, status) in classify_record(profile, &l.record) {
            let attr = add_attribute(g, kind, &value);
            g.edge(
                &listing_node,
                &attr,
                EdgeKind::Exposes,
                observed(
                    1.0,
                    format!(
                        "{} shown on the listing ({})",
                        kind.as_str(),
                        status_word(status)
                    ),
                ),
            );
            let e = has.entry(attr).or_insert((Vec::new(), l.level, None, None));
            e.0.extend(page_url.clone());
            e.1 = e.1.max(l.level);
            if fetched_at > e.2 {
                e.2 = fetched_at.clone();
                e.3 = l.content_hash.clone();
            }
        }
    }
    for (attr, (mut urls, level, fetched_at, hash)) in has {
        urls.sort();
        urls.dedup();
        let n = urls.len().max(1);
        g.edge(
            &subject_node,
            &attr,
            EdgeKind::Has,
            EdgeEvidence {
                urls,
                fetched_at,
                content_hash: hash,
                confidence: level_confidence(level),
                reason: format!(
                    "shown on {n} listing page(s) of the subject, best match level {}",
                    level.as_str()
                ),
                origin: "observed".into(),
                shared_values: Vec::new(),
                direction_confidence: None,
            },
        );
    }
}

/// Listing URLs, best level, newest fetch time and its page hash behind a HAS edge.
type HasEvidence = (Vec<String>, MatchLevel, Option<String>, Option<String>);

fn has_edge(g: &ExposureGraph, from: &str, to: &str, kind: EdgeKind) -> bool {
    match (g.index.get(from), g.index.get(to)) {
        (Some(a), Some(b)) => g
            .graph
            .edges_connecting(*a, *b)
            .any(|e| e.weight().kind == kind),
        _ => false,
    }
}

fn add_source(g: &mut ExposureGraph, id: &str, def: Option<&&SourceDef>) -> String {
    let node = format!("source:{id}");
    if !g.index.contains_key(&node) {
        let mut n = Node::new(
            node.clone(),
            NodeKind::Source,
            def.map(|d| d.name.clone())
                .unwrap_or_else(|| id.to_string()),
        );
        n.source = Some(id.to_string());
        n.url = def.map(|d| d.homepage.clone());
        n.value = def.map(|d| d.kind.as_str().to_string());
        g.node(n);
    }
    node
}

fn add_company(g: &mut ExposureGraph, name: &str) -> String {
    let node = format!("company:{name}");
    g.node(Node::new(node.clone(), NodeKind::Company, name.to_string()));
    node
}

fn add_attribute(g: &mut ExposureGraph, kind: AttributeKind, value: &str) -> String {
    let node = format!("attr:{}:{}", kind.as_str(), normalize_value(value));
    if !g.index.contains_key(&node) {
        let mut n = Node::new(node.clone(), NodeKind::Attribute, value.to_string());
        n.attr_kind = Some(kind.as_str().into());
        n.value = Some(value.to_string());
        g.node(n);
    }
    node
}

fn status_word(s: ValueStatus) -> &'static str {
    match s {
        ValueStatus::Correct => "agrees with the profile",
        ValueStatus::Error => "close to but not equal to a profile value",
        ValueStatus::Unknown => "not in the profile",
    }
}

/// Relations stated in source files, as provenance input. Sources sharing
/// an operator are linked both ways as [`DeclaredKind::SameOperator`].
pub fn declared_links(sources: &[SourceDef]) -> Vec<DeclaredLink> {
    let mut out = Vec::new();
    for s in sources {
        let mut push = |to: &str, kind| {
            if !to.is_empty() && to != s.id {
                out.push(DeclaredLink {
                    from: s.id.clone(),
                    to: to.to_string(),
                    kind,
                });
            }
        };
        for c in &s.copies_from {
            push(c, DeclaredKind::CopiesFrom);
        }
        if let Some(m) = &s.mirror_of {
            push(m, DeclaredKind::MirrorOf);
        }
        if let Some(f) = &s.front_of {
            push(f, DeclaredKind::FrontOf);
        }
        if let Some(o) = &s.opt_out_via {
            push(o, DeclaredKind::OptOutVia);
        }
    }
    let mut by_operator: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for s in sources {
        if !s.operator.trim().is_empty() {
            by_operator
                .entry(normalize_value(&s.operator))
                .or_default()
                .push(&s.id);
        }
    }
    for ids in by_operator.values() {
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                out.push(DeclaredLink {
                    from: a.to_string(),
                    to: b.to_string(),
                    kind: DeclaredKind::SameOperator,
                });
            }
        }
    }
    out
}

/// Every graph-worthy value a record shows, with how it relates to the
/// profile: equal (correct), close but not equal (an error: a typo'd street,
/// a wrong middle initial, a mistyped phone), or unknown to the profile.
pub fn classify_record(profile: &Profile, r: &Record) -> Vec<(AttributeKind, String, ValueStatus)> {
    use crate::matching::nicknames::Nicknames;
    use crate::matching::normalize::{fold, name_key};
    use ValueStatus::*;
    let mut out = Vec::new();
    // Diacritics, case and punctuation are rendering, not content: a broker
    // that prints "Nunez" for "Núñez" is not wrong.
    let norm = |s: &str| fold(s);
    let close = |a: &str, b: &str| strsim::normalized_levenshtein(&norm(a), &norm(b)) >= 0.75;
    let digits = |s: &str| -> String {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        d[d.len().saturating_sub(10)..].to_string()
    };
    let same_first = |p: &PersonName, first: &str| {
        name_key(&p.first) == name_key(first)
            || Nicknames::shipped().equivalent(&p.first, first)
            || profile
                .nicknames
                .iter()
                .any(|k| name_key(k) == name_key(first))
    };
    for n in &r.names {
        let full = n.full();
        let same_person: Vec<&PersonName> = profile
            .all_names()
            .filter(|p| same_first(p, &n.first) && name_key(&p.last) == name_key(&n.last))
            .collect();
        let middle_of = |m: &str| norm(m.trim_end_matches('.'));
        let status = if !same_person.is_empty() {
            // The person under a full name, an initial, a nickname or no
            // middle name at all; only a middle that contradicts every
            // profile middle is wrong.
            let m = middle_of(&n.middle);
            let fits = |p: &&PersonName| {
                let pm = middle_of(&p.middle);
                m.is_empty() || pm.is_empty() || pm.starts_with(&m) || m.starts_with(&pm)
            };
            if same_person.iter().any(fits) {
                Correct
            } else {
                Error
            }
        } else if profile.relatives.iter().any(|x| norm(x) == norm(&full)) {
            // A relative's name printed as another name of the listing: true, if misplaced.
            Correct
        } else if profile
            .all_names()
            .any(|p| strsim::jaro_winkler(&norm(&p.full()), &norm(&full)) >= 0.93)
        {
            Error
        } else {
            Unknown
        };
        out.push((AttributeKind::Name, full, status));
    }
    if let Some(d) = &r.birth_date {
        out.push((
            AttributeKind::BirthDate,
            d.clone(),
            birth_status(profile, d),
        ));
    } else if let Some(y) = r.birth_year {
        let y = y.to_string();
        out.push((
            AttributeKind::BirthDate,
            y.clone(),
            birth_status(profile, &y),
        ));
    }
    for a in &r.addresses {
        let status = if a.street.is_empty() {
            if profile.all_addresses().any(|p| {
                norm(&p.city) == norm(&a.city) && (a.state.is_empty() || p.state == a.state)
            }) {
                Correct
            } else {
                Unknown
            }
        } else if profile
            .all_addresses()
            .any(|p| norm(&p.street) == norm(&a.street))
        {
            Correct
        } else if profile
            .all_addresses()
            .any(|p| !p.street.is_empty() && close(&p.street, &a.street))
        {
            Error
        } else {
            Unknown
        };
        out.push((AttributeKind::Address, a.one_line(), status));
    }
    for p in &r.phones {
        let d = digits(p);
        let status = if profile.phones.iter().any(|q| digits(q) == d) {
            Correct
        } else if profile
            .phones
            .iter()
            .any(|q| strsim::hamming(&digits(q), &d).is_ok_and(|h| h <= 2))
        {
            Error
        } else {
            Unknown
        };
        out.push((AttributeKind::Phone, p.clone(), status));
    }
    for e in &r.emails {
        let status = if profile.emails.iter().any(|q| norm(q) == norm(e)) {
            Correct
        } else if profile.emails.iter().any(|q| close(q, e)) {
            Error
        } else {
            Unknown
        };
        out.push((AttributeKind::Email, e.clone(), status));
    }
    for x in &r.relatives {
        let status = if profile.relatives.iter().any(|q| norm(q) == norm(x)) {
            Correct
        } else if profile
            .relatives
            .iter()
            .any(|q| strsim::jaro_winkler(&norm(q), &norm(x)) >= 0.93)
        {
            Error
        } else {
            Unknown
        };
        out.push((AttributeKind::Relatives, x.clone(), status));
    }
    for u in &r.usernames {
        let status = if profile.usernames.iter().any(|q| norm(q) == norm(u)) {
            Correct
        } else {
            Unknown
        };
        out.push((AttributeKind::Username, u.clone(), status));
    }
    out.retain(|(k, v, _)| GRAPH_KINDS.contains(k) && !v.trim().is_empty());
    out
}

fn birth_status(profile: &Profile, shown: &str) -> ValueStatus {
    match (&profile.birth_date, profile.birth_year) {
        (Some(d), _) if shown.len() == 10 => {
            if d == shown {
                ValueStatus::Correct
            } else {
                ValueStatus::Error
            }
        }
        (_, Some(y)) => {
            if shown.starts_with(&y.to_string()) {
                ValueStatus::Correct
            } else {
                ValueStatus::Error
            }
        }
        _ => ValueStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, PersonName};

    fn profile() -> Profile {
        Profile {
            id: "jane".into(),
            birth_date: Some("1984-05-17".into()),
            birth_year: Some(1984),
            phones: vec!["(415) 555-0100".into()],
            names: vec![PersonName::new("Jane", "Quinn", "Doe")],
            addresses: vec![Address {
                street: "12 Oak St".into(),
                city: "San Francisco".into(),
                state: "CA".into(),
                ..Address::default()
            }],
            ..Profile::default()
        }
    }

    #[test]
    fn diacritics_nicknames_and_relatives_are_not_errors() {
        let mut p = profile();
        p.names = vec![PersonName::new("Elizabeth", "Núñez", "Ångström")];
        p.relatives = vec!["José Núñez".into()];
        let r = Record {
            names: vec![
                PersonName::new("ELIZABETH", "NUNEZ", "ANGSTROM"),
                PersonName::new("Liz", "N", "Angstrom"),
                PersonName::new("Jose", "", "Nunez"),
                PersonName::new("Liz", "Q", "Angstrom"),
            ],
            relatives: vec!["Jose Nunez".into()],
            ..Record::default()
        };
        let got: Vec<ValueStatus> = classify_record(&p, &r).into_iter().map(|x| x.2).collect();
        use ValueStatus::*;
        // A wrong middle initial stays wrong under a nickname.
        assert_eq!(got, [Correct, Correct, Correct, Error, Correct]);
    }

    #[test]
    fn classifies_typos_and_wrong_initials_as_errors() {
        let r = Record {
            names: vec![
                PersonName::new("Jane", "X", "Doe"),
                PersonName::new("Jane", "Q", "Doe"),
                PersonName::new("Mary", "", "Roe"),
            ],
            addresses: vec![
                Address {
                    street: "12 Oak Stt".into(),
                    city: "San Francisco".into(),
                    ..Address::default()
                },
                Address {
                    street: "12 Oak St".into(),
                    city: "San Francisco".into(),
                    ..Address::default()
                },
                Address {
                    street: "900 Elm Ave".into(),
                    city: "Fresno".into(),
                    ..Address::default()
                },
            ],
            phones: vec![
                "+14155550100".into(),
                "+14155550109".into(),
                "+12125550188".into(),
            ],
            birth_date: Some("1984-05-18".into()),
            ..Record::default()
        };
        let got: Vec<ValueStatus> = classify_record(&profile(), &r)
            .into_iter()
            .map(|x| x.2)
            .collect();
        use ValueStatus::*;
        assert_eq!(
            got,
            [
                Error, Correct, Unknown, Error, Error, Correct, Unknown, Correct, Error, Unknown
            ]
        );
    }
}
