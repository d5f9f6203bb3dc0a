//! Provenance: which sources copy from which, inferred from shared
//! distinctive values, plus the upstream-first removal order that follows.
//!
//! The idea: two brokers that independently compile a record of the same
//! person agree on what is true, but they do not agree on what is *wrong*.
//! A typo'd street or a wrong middle initial that shows up on two brokers
//! for the same person was almost certainly copied. Summed over every
//! subject in the database this separates copiers from independent sources.
//!
//! Everything here is a pure function over plain data ([`Observation`],
//! [`DeclaredLink`]) so it can be tested without a database and evaluated
//! against the simulated network's true copy edges ([`flow_metrics`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::AttributeKind;

/// How a value on a listing relates to the subject's own profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    /// The profile has this value: true, so anyone may have it; no lineage signal.
    Correct,
    /// Close to but not equal to a profile value (typo, wrong middle initial,
    /// outdated number): the strongest lineage signal.
    Error,
    /// The profile says nothing about it; distinctive only when rare.
    Unknown,
}

/// One value shown by one source about one subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Observation {
    /// Subject (person) id.
    pub subject: String,
    /// Source id the value was shown on.
    pub source: String,
    /// What kind of value.
    pub kind: AttributeKind,
    /// The value; compared after lower-casing and collapsing whitespace.
    pub value: String,
    /// Whether it agrees with the subject's profile.
    pub status: ValueStatus,
}

/// A relation between two sources stated in their source files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredKind {
    /// `copies_from`: the source buys the other's data.
    CopiesFrom,
    /// `mirror_of`: page-for-page copy.
    MirrorOf,
    /// `front_of`: another brand on the same back end.
    FrontOf,
    /// `opt_out_via`: the other's opt-out removes listings here, so data flows from it.
    OptOutVia,
    /// Both sources have the same operator; a shared lineage without a direction.
    SameOperator,
}

impl DeclaredKind {
    /// Confidence that the relation means "`from` copies `to`".
    fn confidence(self) -> f64 {
        match self {
            DeclaredKind::CopiesFrom => 1.0,
            DeclaredKind::MirrorOf => 0.95,
            DeclaredKind::FrontOf => 0.9,
            DeclaredKind::OptOutVia => 0.8,
            DeclaredKind::SameOperator => 0.5,
        }
    }

    /// The source-file field name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredKind::CopiesFrom => "copies_from",
            DeclaredKind::MirrorOf => "mirror_of",
            DeclaredKind::FrontOf => "front_of",
            DeclaredKind::OptOutVia => "opt_out_via",
            DeclaredKind::SameOperator => "same_operator",
        }
    }
}

/// A declared relation: `from` (the copier, mirror, front) relates to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeclaredLink {
    /// The dependent source (the one whose file says so).
    pub from: String,
    /// The source it depends on.
    pub to: String,
    /// Which relation.
    pub kind: DeclaredKind,
}

/// A distinctive value two sources share for one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedValue {
    /// Subject whose listings share it.
    pub subject: String,
    /// Kind of value.
    pub kind: AttributeKind,
    /// The (normalised) value.
    pub value: String,
    /// Why it is distinctive.
    pub status: ValueStatus,
    /// How much it counted.
    pub weight: f64,
}

/// An inferred or declared copy relation: `downstream` COPIES_FROM `upstream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyEdge {
    /// Source the data comes from.
    pub upstream: String,
    /// Source that copies it.
    pub downstream: String,
    /// Whether the evidence (or a declaration) supports this direction; when
    /// false the pair shares a lineage and the direction is only a best guess.
    pub directed: bool,
    /// Confidence (0–1) that the two share a lineage.
    pub confidence: f64,
    /// Confidence (0–1) in the direction.
    pub direction_confidence: f64,
    /// Sum of shared-value weights behind the edge (0 for declared only).
    pub score: f64,
    /// Declarations behind the edge, if any.
    pub declared: Vec<DeclaredKind>,
    /// The distinctive values behind the edge, strongest first.
    pub shared: Vec<SharedValue>,
    /// Human-readable reason, free of personal values.
    pub reason: String,
}

impl CopyEdge {
    /// `(upstream, downstream)`, the pair form [`flow_metrics`] and the
    /// simulator's ground truth use.
    pub fn flow_pair(&self) -> (String, String) {
        (self.upstream.clone(), self.downstream.clone())
    }
}

/// Tuning of [`infer_copies_with`].
#[derive(Debug, Clone)]
pub struct InferConfig {
    /// Minimum chance-corrected error agreement (0–1) for an inferred edge:
    /// 1 = every distinctive value one source shows for a common subject is
    /// also on the other, 0 = no more overlap than two unrelated sources have.
    pub min_agreement: f64,
    /// Minimum number of distinct subjects whose listings share a
    /// distinctive value: one coincidence is not a lineage.
    pub min_subjects: usize,
    /// Minimum |direction vote| (−2…2) for a direction to count as supported.
    pub min_direction_vote: f64,
    /// Fraction of a pair's shared distinctive values a third source must
    /// also hold to explain the pair away as indirect (siblings or a chain).
    pub explain_fraction: f64,
}

impl Default for InferConfig {
    fn default() -> Self {
        InferConfig {
            min_agreement: 0.5,
            min_subjects: 3,
            min_direction_vote: 0.1,
            explain_fraction: 0.9,
        }
    }
}

/// Lower-case, whitespace-collapsed form used to compare values.
pub fn normalize_value(v: &str) -> String {
    v.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The comparison key of a value: rendering differences between sources
/// (phone formats, diacritics, case, punctuation) are not lineage.
fn value_key(kind: AttributeKind, v: &str) -> String {
    match kind {
        AttributeKind::Phone => {
            let d: String = v.chars().filter(char::is_ascii_digit).collect();
            d[d.len().saturating_sub(10)..].to_string()
        }
        _ => crate::matching::normalize::fold(v),
    }
}

/// Infers copy edges from observations alone, with default tuning.
pub fn infer_copies(observations: &[Observation]) -> Vec<CopyEdge> {
    infer_copies_with(observations, &[], &InferConfig::default())
}

/// Everything one source shows about one subject.
type Holdings = BTreeMap<(AttributeKind, String), ValueStatus>;

/// A class of distinctive value: which kind, wrong or merely unknown.
/// Each class has its own chance rate of being shared by unrelated sources.
type Class = (AttributeKind, ValueStatus);

/// Shared-value counts of an ordered pair `(a, b)` over the subjects both list.
#[derive(Default, Clone)]
struct Agreement {
    /// Per class: distinctive values `a` shows, and how many of them `b` shows too.
    by_class: BTreeMap<Class, (usize, usize)>,
}

/// Infers copy edges from observations and declared relations.
///
/// Steps: (1) for every ordered pair of sources, count per class of
/// distinctive value (a kind that is wrong or unknown w.r.t. the profile)
/// how many of the first source's values for common subjects the second
/// also shows; (2) learn each class's chance rate as the median over all
/// pairs (most sources are unrelated, and a real-but-stale value such as an
/// old phone is shared by chance far more often than a typo) and keep pairs
/// whose chance-corrected agreement reaches `min_agreement` over at least
/// `min_subjects` subjects; (3) drop pairs explained by a third source that
/// holds what they share and resembles both more than they resemble each
/// other (a chain's ends, siblings of one upstream); (4) orient each pair by
/// subset relations (a copier shows a subset of its origin's subjects and of
/// its true values); (5) merge with declarations, which win on direction.
pub fn infer_copies_with(
    observations: &[Observation],
    declared: &[DeclaredLink],
    config: &InferConfig,
) -> Vec<CopyEdge> {
    // (subject, source) → values.
    let mut hold: BTreeMap<(String, String), Holdings> = BTreeMap::new();
    for o in observations {
        let value = value_key(o.kind, &o.value);
        if value.is_empty() || o.source.is_empty() {
            continue;
        }
        let entry = hold
            .entry((o.subject.clone(), o.source.clone()))
            .or_default()
            .entry((o.kind, value))
            .or_insert(o.status);
        // If two listings disagree on the status, the stronger signal wins.
        if o.status == ValueStatus::Error {
            *entry = ValueStatus::Error;
        }
    }
    let mut sources_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut subjects_on: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (subject, source) in hold.keys() {
        sources_of.entry(subject).or_default().push(source);
        subjects_on.entry(source).or_default().insert(subject);
    }
    let distinctive = |s: ValueStatus| s != ValueStatus::Correct;

    // (1) ordered-pair agreement, plus unordered similarity and direction votes.
    let mut agree: BTreeMap<(&str, &str), Agreement> = BTreeMap::new();
    let mut pairs: BTreeMap<(&str, &str), PairEvidence> = BTreeMap::new();
    for (subject, sources) in &sources_of {
        for a in sources {
            let ha = &hold[&(subject.to_string(), a.to_string())];
            for b in sources {
                if a == b {
                    continue;
                }
                let hb = &hold[&(subject.to_string(), b.to_string())];
                let ag = agree.entry((a, b)).or_default();
                for ((kind, value), status) in ha {
                    if distinctive(*status) {
                        let c = ag.by_class.entry((*kind, *status)).or_default();
                        c.0 += 1;
                        if hb.contains_key(&(*kind, value.clone())) {
                            c.1 += 1;
                        }
                    }
                }
                if a > b {
                    continue;
                }
                let ev = pairs.entry((a, b)).or_default();
                ev.subjects += 1;
                let (mut a_only, mut b_only) = (0usize, 0usize);
                for (key, sa) in ha {
                    match hb.get(key) {
                        Some(sb) => {
                            ev.common_values += 1;
                            if distinctive(*sa) || distinctive(*sb) {
                                let status =
                                    if *sa == ValueStatus::Error || *sb == ValueStatus::Error {
                                        ValueStatus::Error
                                    } else {
                                        ValueStatus::Unknown
                                    };
                                ev.shared.push(SharedValue {
                                    subject: subject.to_string(),
                                    kind: key.0,
                                    value: key.1.clone(),
                                    status,
                                    weight: 0.0,
                                });
                            }
                        }
                        // Copying never invents data but a copier may add
                        // its own noise, so only values that are not errors
                        // tell which side dropped something.
                        None if *sa != ValueStatus::Error => a_only += 1,
                        None => {}
                    }
                    ev.all_values += 1;
                }
                for (key, sb) in hb {
                    if !ha.contains_key(key) {
                        ev.all_values += 1;
                        if *sb != ValueStatus::Error {
                            b_only += 1;
                        }
                    }
                }
                if a_only + b_only > 0 {
                    ev.value_vote += (a_only as f64 - b_only as f64) / (a_only + b_only) as f64;
                }
            }
        }
    }

    // (2) chance rate per class: the median share over pairs with enough data.
    let mut rates: BTreeMap<Class, Vec<f64>> = BTreeMap::new();
    for ag in agree.values() {
        for (class, (n, s)) in &ag.by_class {
            if *n >= MIN_VALUES_FOR_RATE {
                rates.entry(*class).or_default().push(*s as f64 / *n as f64);
            }
        }
    }
    let chance: BTreeMap<Class, f64> = rates
        .into_iter()
        .filter(|(_, v)| v.len() >= MIN_PAIRS_FOR_RATE)
        .map(|(c, mut v)| {
            v.sort_by(f64::total_cmp);
            (c, v[v.len() / 2].min(0.95))
        })
        .collect();
    let rate = |c: &Class| chance.get(c).copied().unwrap_or(0.0);
    // Chance-corrected agreement of `a`'s distinctive values with `b`.
    let agreement = |a: &str, b: &str| -> f64 {
        let Some(ag) = agree.get(&(a, b)) else {
            return 0.0;
        };
        let (mut num, mut den) = (0.0, 0.0);
        for (class, (n, s)) in &ag.by_class {
            let r = rate(class);
            num += *s as f64 - r * *n as f64;
            den += *n as f64 * (1.0 - r);
        }
        if den > 0.0 { num / den } else { 0.0 }
    };
    let mut alive: BTreeMap<(String, String), f64> = BTreeMap::new();
    for ((a, b), ev) in pairs.iter_mut() {
        for v in &mut ev.shared {
            v.weight = 1.0 - rate(&(v.kind, v.status));
        }
        ev.shared.retain(|v| v.weight > 0.0);
        let subjects: BTreeSet<&str> = ev.shared.iter().map(|v| v.subject.as_str()).collect();
        // The sparser side's view decides: a copier's distinctive values
        // are all on its origin, not necessarily the other way round.
        ev.agreement = agreement(a, b).max(agreement(b, a));
        if subjects.len() >= config.min_subjects && ev.agreement >= config.min_agreement {
            let similarity = ev.common_values as f64 / (ev.all_values as f64).max(1.0);
            alive.insert((a.to_string(), b.to_string()), similarity);
        }
    }

    // (3) explain away indirect pairs, weakest first: in a chain or a star
    // the pair further apart is less alike than either pair through the middle.
    let key = |a: &str, b: &str| -> (String, String) {
        if a < b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    };
    let holds = |z: &str, subject: &str, kind: AttributeKind, value: &str| {
        hold.get(&(subject.to_string(), z.to_string()))
            .is_some_and(|h| h.contains_key(&(kind, value.to_string())))
    };
    let all_sources: Vec<&str> = subjects_on.keys().copied().collect();
    loop {
        let mut order: Vec<(&(String, String), &f64)> = alive.iter().collect();
        order.sort_by(|x, y| x.1.total_cmp(y.1).then(x.0.cmp(y.0)));
        let explained = order.into_iter().find(|((a, b), sim)| {
            let ev = &pairs[&(a.as_str(), b.as_str())];
            let total: f64 = ev.shared.iter().map(|v| v.weight).sum();
            total > 0.0
                && all_sources.iter().any(|z| {
                    if z == a || z == b {
                        return false;
                    }
                    let (Some(sa), Some(sb)) = (alive.get(&key(a, z)), alive.get(&key(b, z)))
                    else {
                        return false;
                    };
                    let held: f64 = ev
                        .shared
                        .iter()
                        .filter(|v| holds(z, &v.subject, v.kind, &v.value))
                        .map(|v| v.weight)
                        .sum();
                    *sa > **sim && *sb > **sim && held / total >= config.explain_fraction
                })
        });
        match explained.map(|(k, _)| k.clone()) {
            Some(k) => {
                alive.remove(&k);
            }
            None => break,
        }
    }

    // (4) orient.
    let mut edges: BTreeMap<(String, String), CopyEdge> = BTreeMap::new();
    for (a, b) in alive.keys() {
        let ev = &pairs[&(a.as_str(), b.as_str())];
        let (sa, sb) = (&subjects_on[a.as_str()], &subjects_on[b.as_str()]);
        // Positive: a is upstream. A copier lists a subset of its origin's
        // subjects and, for each, a subset of its true and unknown values.
        let coverage_vote = sa.difference(sb).count() as f64 / sa.len().max(1) as f64
            - sb.difference(sa).count() as f64 / sb.len().max(1) as f64;
        let value_vote = ev.value_vote / ev.subjects.max(1) as f64;
        let vote = value_vote + coverage_vote;
        let (up, down) = if vote >= 0.0 { (a, b) } else { (b, a) };
        let directed = vote.abs() >= config.min_direction_vote;
        let mut shared = ev.shared.clone();
        shared.sort_by(|x, y| {
            y.weight
                .total_cmp(&x.weight)
                .then(x.subject.cmp(&y.subject))
                .then(x.value.cmp(&y.value))
        });
        let s: f64 = shared.iter().map(|v| v.weight).sum();
        let errors = shared
            .iter()
            .filter(|v| v.status == ValueStatus::Error)
            .count();
        let subjects: BTreeSet<&str> = shared.iter().map(|v| v.subject.as_str()).collect();
        let reason = format!(
            "{} distinctive value(s) shared ({} wrong w.r.t. the profile, {} unknown to it) over {} subject(s), agreement {:.2} beyond chance; {}",
            shared.len(),
            errors,
            shared.len() - errors,
            subjects.len(),
            ev.agreement,
            if directed {
                format!(
                    "{down} lists a subset of {up}'s subjects and values (vote {:.2})",
                    vote.abs()
                )
            } else {
                "direction undetermined (holdings are symmetric)".to_string()
            }
        );
        edges.insert(
            (up.clone(), down.clone()),
            CopyEdge {
                upstream: up.clone(),
                downstream: down.clone(),
                directed,
                confidence: ev.agreement.clamp(0.0, 1.0) * (1.0 - (-s / 2.0).exp()),
                direction_confidence: if directed {
                    (0.5 + vote.abs() / 2.0).min(1.0)
                } else {
                    0.5
                },
                score: s,
                declared: Vec::new(),
                shared,
                reason,
            },
        );
    }

    // (5) declarations.
    for d in declared {
        if d.from == d.to {
            continue;
        }
        let (up, down) = (d.to.clone(), d.from.clone());
        let reverse = edges.remove(&(down.clone(), up.clone()));
        let existing = edges.remove(&(up.clone(), down.clone())).or(reverse);
        let c = d.kind.confidence();
        let edge = match existing {
            Some(mut e) => {
                if d.kind != DeclaredKind::SameOperator {
                    e.upstream = up.clone();
                    e.downstream = down.clone();
                    e.directed = true;
                    e.direction_confidence = e.direction_confidence.max(c);
                }
                e.confidence = 1.0 - (1.0 - e.confidence) * (1.0 - c);
                e.declared.push(d.kind);
                e.reason = format!("declared {} and {}", d.kind.as_str(), e.reason);
                e
            }
            // Same operator alone is not a copy edge: sister sites may run
            // separate back ends.
            None if d.kind == DeclaredKind::SameOperator => continue,
            None => CopyEdge {
                upstream: up.clone(),
                downstream: down.clone(),
                directed: true,
                confidence: c,
                direction_confidence: c,
                score: 0.0,
                declared: vec![d.kind],
                shared: Vec::new(),
                reason: format!("declared in {down}'s source file ({})", d.kind.as_str()),
            },
        };
        edges.insert((edge.upstream.clone(), edge.downstream.clone()), edge);
    }
    edges.into_values().collect()
}

/// A class's chance rate is learnt only from pairs with this many values of it…
const MIN_VALUES_FOR_RATE: usize = 5;
/// …and only when this many pairs have that much.
const MIN_PAIRS_FOR_RATE: usize = 3;

#[derive(Default)]
struct PairEvidence {
    /// Subjects both sources list.
    subjects: usize,
    /// Distinctive values both show for the same subject.
    shared: Vec<SharedValue>,
    /// Chance-corrected agreement (the larger of the two directions).
    agreement: f64,
    /// Values both show, and values either shows, over common subjects.
    common_values: usize,
    all_values: usize,
    /// Sum over common subjects of (a-only − b-only) / (a-only + b-only)
    /// over values that are not errors; positive when `a` holds more.
    value_vote: f64,
}

/// One step of the removal plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemovalStep {
    /// 1-based position.
    pub rank: usize,
    /// Source to opt out of.
    pub source: String,
    /// Sources downstream of it (directly or not) that re-copy from it.
    pub feeds: Vec<String>,
    /// Copy edges ignored to break a cycle through this source.
    pub broken_cycle_edges: Vec<(String, String)>,
}

/// Upstream-first removal order over `sources` and `edges`.
///
/// A topological order of the copy graph (upstream → downstream), so a
/// removal at a root is done before its copiers are re-checked; cycles are
/// broken by ignoring their weakest edge (lowest confidence × direction
/// confidence). Among sources ready at once, those feeding the most others
/// come first.
pub fn removal_order(sources: &[String], edges: &[CopyEdge]) -> Vec<RemovalStep> {
    let mut nodes: BTreeSet<String> = sources.iter().cloned().collect();
    for e in edges {
        nodes.insert(e.upstream.clone());
        nodes.insert(e.downstream.clone());
    }
    let mut live: Vec<(String, String, f64)> = edges
        .iter()
        .filter(|e| e.upstream != e.downstream)
        .map(|e| {
            (
                e.upstream.clone(),
                e.downstream.clone(),
                e.confidence * e.direction_confidence,
            )
        })
        .collect();
    let mut broken: Vec<(String, String)> = Vec::new();
    // Break cycles: while a strongly connected component has an internal
    // edge cycle, drop its weakest internal edge.
    loop {
        let mut g = petgraph::graph::DiGraph::<&str, ()>::new();
        let idx: BTreeMap<&str, _> = nodes.iter().map(|n| (n.as_str(), g.add_node(n))).collect();
        for (u, d, _) in &live {
            g.add_edge(idx[u.as_str()], idx[d.as_str()], ());
        }
        let cyclic: Vec<BTreeSet<&str>> = petgraph::algo::tarjan_scc(&g)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| c.into_iter().map(|i| g[i]).collect())
            .collect();
        if cyclic.is_empty() {
            break;
        }
        let mut drop: BTreeSet<usize> = BTreeSet::new();
        for comp in &cyclic {
            let weakest = live
                .iter()
                .enumerate()
                .filter(|(_, (u, d, _))| comp.contains(u.as_str()) && comp.contains(d.as_str()))
                .min_by(|x, y| {
                    x.1.2
                        .total_cmp(&y.1.2)
                        .then_with(|| (&x.1.0, &x.1.1).cmp(&(&y.1.0, &y.1.1)))
                })
                .map(|(i, _)| i);
            drop.extend(weakest);
        }
        for i in drop.into_iter().rev() {
            let (u, d, _) = live.remove(i);
            broken.push((u, d));
        }
    }
    let children: BTreeMap<&str, BTreeSet<&str>> = {
        let mut m: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (u, d, _) in &live {
            m.entry(u.as_str()).or_default().insert(d.as_str());
        }
        m
    };
    let descendants = |n: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            for c in children.get(x).into_iter().flatten() {
                if seen.insert(c.to_string()) {
                    stack.push(c);
                }
            }
        }
        seen
    };
    let mut indegree: BTreeMap<&str, usize> = nodes.iter().map(|n| (n.as_str(), 0)).collect();
    for (_, d, _) in &live {
        *indegree.get_mut(d.as_str()).expect("node") += 1;
    }
    let mut out = Vec::new();
    let mut ready: Vec<&str> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(n, _)| *n)
        .collect();
    while !ready.is_empty() {
        ready.sort_by(|a, b| {
            descendants(b)
                .len()
                .cmp(&descendants(a).len())
                .then(a.cmp(b))
        });
        let n = ready.remove(0);
        for c in children.get(n).into_iter().flatten() {
            let d = indegree.get_mut(c).expect("node");
            *d -= 1;
            if *d == 0 {
                ready.push(c);
            }
        }
        out.push(RemovalStep {
            rank: out.len() + 1,
            source: n.to_string(),
            feeds: descendants(n).into_iter().collect(),
            broken_cycle_edges: broken
                .iter()
                .filter(|(u, d)| u == n || d == n)
                .cloned()
                .collect(),
        });
    }
    out
}

/// Precision and recall of predicted `(upstream, downstream)` copy pairs
/// against the true ones (the simulator's `GroundTruth::copies` form).
/// Duplicates are ignored. With nothing predicted precision is 1 (nothing
/// wrong was claimed); with nothing true recall is 1.
pub fn flow_metrics(predicted: &[(String, String)], truth: &[(String, String)]) -> (f64, f64) {
    let p: BTreeSet<&(String, String)> = predicted.iter().collect();
    let t: BTreeSet<&(String, String)> = truth.iter().collect();
    let hit = p.intersection(&t).count() as f64;
    let precision = if p.is_empty() {
        1.0
    } else {
        hit / p.len() as f64
    };
    let recall = if t.is_empty() {
        1.0
    } else {
        hit / t.len() as f64
    };
    (precision, recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(
        subject: &str,
        source: &str,
        kind: AttributeKind,
        value: &str,
        status: ValueStatus,
    ) -> Observation {
        Observation {
            subject: subject.into(),
            source: source.into(),
            kind,
            value: value.into(),
            status,
        }
    }

    /// Root "alpha" with its own errors; "beta" copies alpha (dropping a field,
    /// adding noise); "gamma" is independent; "delta" copies beta.
    fn network() -> Vec<Observation> {
        use AttributeKind::*;
        use ValueStatus::*;
        let mut v = Vec::new();
        for p in ["p1", "p2", "p3"] {
            let street_typo = format!("12 Oak Stret {p}");
            let mid = format!("Jane X {p}");
            let phone = format!("+1415555010{}", &p[1..]);
            // alpha: truth + two errors + an unknown relative.
            v.push(obs(p, "alpha", Phone, &phone, Correct));
            v.push(obs(p, "alpha", Address, &street_typo, Error));
            v.push(obs(p, "alpha", Name, &mid, Error));
            v.push(obs(p, "alpha", Relatives, &format!("Sam Roe {p}"), Unknown));
            // beta copies alpha without the relative, with its own typo'd phone.
            v.push(obs(p, "beta", Phone, &phone, Correct));
            v.push(obs(p, "beta", Address, &street_typo, Error));
            v.push(obs(p, "beta", Name, &mid, Error));
            v.push(obs(
                p,
                "beta",
                Phone,
                &format!("+1415555019{}", &p[1..]),
                Error,
            ));
            // delta copies beta, dropping the correct phone.
            v.push(obs(p, "delta", Address, &street_typo, Error));
            v.push(obs(p, "delta", Name, &mid, Error));
            v.push(obs(
                p,
                "delta",
                Phone,
                &format!("+1415555019{}", &p[1..]),
                Error,
            ));
            // gamma: truth and its own error.
            v.push(obs(p, "gamma", Phone, &phone, Correct));
            v.push(obs(p, "gamma", Name, &format!("Jane Z {p}"), Error));
        }
        v
    }

    fn pairs(edges: &[CopyEdge]) -> Vec<(String, String)> {
        edges.iter().map(CopyEdge::flow_pair).collect()
    }

    #[test]
    fn finds_the_chain_with_directions_and_no_spurious_edges() {
        let edges = infer_copies(&network());
        let got = pairs(&edges);
        assert_eq!(
            got,
            vec![
                ("alpha".to_string(), "beta".to_string()),
                ("beta".to_string(), "delta".to_string())
            ],
            "{edges:#?}"
        );
        assert!(edges.iter().all(|e| e.directed));
        assert!(edges.iter().all(|e| !e.shared.is_empty()));
        // Reasons never carry the values themselves.
        assert!(edges.iter().all(|e| !e.reason.contains("Stret")));
    }

    #[test]
    fn correct_values_alone_are_no_evidence() {
        let v: Vec<Observation> = ["a", "b", "c"]
            .iter()
            .flat_map(|s| {
                ["p1", "p2", "p3", "p4"].map(|p| {
                    obs(
                        p,
                        s,
                        AttributeKind::Phone,
                        &format!("+1415555010{}", &p[1..]),
                        ValueStatus::Correct,
                    )
                })
            })
            .collect();
        assert!(infer_copies(&v).is_empty());
    }

    #[test]
    fn declarations_set_direction_and_same_operator_alone_adds_nothing() {
        let declared = vec![
            DeclaredLink {
                from: "delta".into(),
                to: "beta".into(),
                kind: DeclaredKind::MirrorOf,
            },
            DeclaredLink {
                from: "gamma".into(),
                to: "alpha".into(),
                kind: DeclaredKind::SameOperator,
            },
            DeclaredLink {
                from: "omega".into(),
                to: "alpha".into(),
                kind: DeclaredKind::CopiesFrom,
            },
        ];
        let edges = infer_copies_with(&network(), &declared, &InferConfig::default());
        let got = pairs(&edges);
        assert!(got.contains(&("alpha".into(), "omega".into())));
        assert!(!got.iter().any(|(u, d)| u == "gamma" || d == "gamma"));
        let bd = edges.iter().find(|e| e.downstream == "delta").unwrap();
        assert_eq!(bd.declared, vec![DeclaredKind::MirrorOf]);
        assert!(bd.confidence > 0.95);
    }

    #[test]
    fn removal_order_is_upstream_first_and_breaks_cycles() {
        let edges = infer_copies(&network());
        let order = removal_order(&["gamma".to_string()], &edges);
        let names: Vec<&str> = order.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "delta", "gamma"]);
        assert_eq!(order[0].feeds, ["beta", "delta"]);

        let mk = |u: &str, d: &str, c: f64| CopyEdge {
            upstream: u.into(),
            downstream: d.into(),
            directed: true,
            confidence: c,
            direction_confidence: 1.0,
            score: 0.0,
            declared: vec![],
            shared: vec![],
            reason: String::new(),
        };
        let cyc = [mk("a", "b", 0.9), mk("b", "c", 0.9), mk("c", "a", 0.2)];
        let order = removal_order(&[], &cyc);
        let names: Vec<&str> = order.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            order[0].broken_cycle_edges,
            [("c".to_string(), "a".to_string())]
        );
    }

    /// Six independent sources and one copier over 40 subjects. Every
    /// independent source shows the subject's old phone for about a third of
    /// the subjects (a real-but-stale error anyone can make) and typos of its
    /// own; "copy" re-publishes "root" for 30 of its subjects.
    fn stale_value_network() -> Vec<Observation> {
        use AttributeKind::*;
        use ValueStatus::*;
        let mut v = Vec::new();
        let sources = ["root", "s1", "s2", "s3", "s4", "s5"];
        for i in 0..40 {
            let p = format!("p{i}");
            for (j, s) in sources.iter().enumerate() {
                let mut held = vec![(Phone, format!("+1415555{:04}", i), Correct)];
                if (i * 7 + j * 3) % 3 == 0 {
                    held.push((Phone, format!("+1415556{:04}", i), Error));
                }
                if (i + j) % 4 == 0 {
                    held.push((Address, format!("{i} Oak Stret {s}"), Error));
                }
                if *s == "root" {
                    held.push((Relatives, format!("Kin {i}"), Correct));
                }
                for (kind, value, status) in &held {
                    v.push(obs(&p, s, *kind, value, *status));
                    if *s == "root" && i < 30 && *kind != Relatives {
                        v.push(obs(&p, "copy", *kind, value, *status));
                    }
                }
            }
        }
        v
    }

    #[test]
    fn errors_unrelated_sources_share_by_chance_make_no_edge() {
        let edges = infer_copies(&stale_value_network());
        assert_eq!(
            pairs(&edges),
            [("root".to_string(), "copy".to_string())],
            "{edges:#?}"
        );
        // Shared old phones count less than shared typos: unrelated sources
        // share them at a learnt chance rate.
        let e = &edges[0];
        let w = |k: AttributeKind| e.shared.iter().find(|v| v.kind == k).unwrap().weight;
        assert!(
            w(AttributeKind::Phone) < w(AttributeKind::Address),
            "{e:#?}"
        );
        assert!(e.directed && e.confidence > 0.9);
    }

    #[test]
    fn one_subject_is_not_a_lineage_and_rendering_is_not_an_error() {
        use AttributeKind::*;
        use ValueStatus::*;
        // Two sources share one typo for one subject only.
        let v = vec![
            obs("p1", "a", Address, "9 Elm Stret", Error),
            obs("p1", "b", Address, "9 ELM  Stret", Error),
            obs("p2", "a", Phone, "(415) 555-0101", Correct),
            obs("p2", "b", Phone, "+14155550101", Correct),
        ];
        assert!(infer_copies(&v).is_empty());
    }

    #[test]
    fn direction_follows_subject_coverage_when_values_are_equal() {
        use AttributeKind::*;
        use ValueStatus::*;
        let mut v = Vec::new();
        for i in 0..10 {
            let p = format!("p{i}");
            let typo = format!("{i} Oak Stret");
            v.push(obs(&p, "big", Address, &typo, Error));
            if i < 7 {
                v.push(obs(&p, "small", Address, &typo, Error));
            }
        }
        let edges = infer_copies(&v);
        assert_eq!(pairs(&edges), [("big".to_string(), "small".to_string())]);
        assert!(edges[0].directed);
    }

    #[test]
    fn flow_metrics_counts_pairs() {
        let p = |u: &str, d: &str| (u.to_string(), d.to_string());
        let (pr, rc) = flow_metrics(&[p("a", "b"), p("b", "c")], &[p("a", "b"), p("a", "c")]);
        assert_eq!((pr, rc), (0.5, 0.5));
        assert_eq!(flow_metrics(&[], &[p("a", "b")]), (1.0, 0.0));
    }
}
