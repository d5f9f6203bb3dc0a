//! Writers for the exposure graph: GraphML, GEXF, DOT, Cytoscape.js JSON,
//! Neo4j import CSVs and plain JSON. Every writer emits the same node and
//! edge properties ([`NODE_FIELDS`], [`EDGE_FIELDS`]) in a stable order.

mod cytoscape;
mod dot;
mod gexf;
mod graphml;
mod json;
mod neo4j;

use std::str::FromStr;

use anyhow::Result;

use super::{Edge, ExposureGraph, Node};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GraphML with typed keys (networkx, Gephi, yEd).
    Graphml,
    /// GEXF 1.3 with declared attributes (Gephi, networkx).
    Gexf,
    /// Graphviz DOT.
    Dot,
    /// Cytoscape.js `elements` JSON.
    Cytoscape,
    /// `nodes.csv`, `relationships.csv` and `load.cypher` for Neo4j.
    Neo4j,
    /// Plain JSON: nodes, edges, copy edges and the removal order.
    Json,
}

impl Format {
    /// Every format, by name.
    pub const ALL: [(&'static str, Format); 6] = [
        ("graphml", Format::Graphml),
        ("gexf", Format::Gexf),
        ("dot", Format::Dot),
        ("cytoscape", Format::Cytoscape),
        ("neo4j", Format::Neo4j),
        ("json", Format::Json),
    ];

    /// File name a single-file export gets inside a folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Graphml => "brokertrace.graphml",
            Format::Gexf => "brokertrace.gexf",
            Format::Dot => "brokertrace.dot",
            Format::Cytoscape => "brokertrace.cytoscape.json",
            Format::Neo4j => "neo4j",
            Format::Json => "brokertrace.json",
        }
    }

    /// Whether the export is a folder of several files.
    pub fn is_folder(self) -> bool {
        self == Format::Neo4j
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown format {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// Renders the graph: `(file name, bytes)` pairs, one for single-file formats.
pub fn render(g: &ExposureGraph, format: Format) -> Result<Vec<(String, Vec<u8>)>> {
    let one = |bytes: Vec<u8>| Ok(vec![(format.file_name().to_string(), bytes)]);
    match format {
        Format::Graphml => one(graphml::write(g)?),
        Format::Gexf => one(gexf::write(g)?),
        Format::Dot => one(dot::write(g).into_bytes()),
        Format::Cytoscape => one(cytoscape::write(g)?),
        Format::Json => one(json::write(g)?),
        Format::Neo4j => neo4j::write(g),
    }
}

/// Writes a one-file export straight into `dir/<file name>` without
/// holding the rendered document in memory (GraphML and JSON stream; other
/// formats are rendered first). Returns the files written.
pub fn write_into(
    g: &ExposureGraph,
    format: Format,
    dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>> {
    let stream =
        |path: std::path::PathBuf,
         f: fn(&ExposureGraph, &mut std::io::BufWriter<std::fs::File>) -> Result<()>| {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
            f(g, &mut w)?;
            std::io::Write::flush(&mut w)?;
            Ok::<_, anyhow::Error>(vec![path])
        };
    match format {
        Format::Graphml => stream(dir.join(format.file_name()), |g, w| graphml::write_to(g, w)),
        Format::Json => stream(dir.join(format.file_name()), |g, w| json::write_to(g, w)),
        _ => {
            let mut out = Vec::new();
            for (name, bytes) in render(g, format)? {
                let path = dir.join(name);
                std::fs::write(&path, bytes)?;
                out.push(path);
            }
            Ok(out)
        }
    }
}

/// Type of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    Str,
    /// Floating point.
    Double,
    /// Integer.
    Int,
}

impl FieldType {
    /// The type name GraphML and GEXF both use for it.
    pub fn xml_name(self) -> &'static str {
        match self {
            FieldType::Str => "string",
            FieldType::Double => "double",
            FieldType::Int => "long",
        }
    }
}

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// Text.
    Str(String),
    /// Floating point.
    Double(f64),
    /// Integer.
    Int(i64),
}

impl Prop {
    /// Text form (numbers in their shortest round-trip form).
    pub fn text(&self) -> String {
        match self {
            Prop::Str(s) => s.clone(),
            Prop::Double(d) => d.to_string(),
            Prop::Int(i) => i.to_string(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Prop::Str(s) => serde_json::Value::from(s.as_str()),
            Prop::Double(d) => serde_json::Value::from(*d),
            Prop::Int(i) => serde_json::Value::from(*i),
        }
    }
}

/// Node properties every export declares, in order.
pub const NODE_FIELDS: [(&str, FieldType); 10] = [
    ("type", FieldType::Str),
    ("label", FieldType::Str),
    ("kind", FieldType::Str),
    ("value", FieldType::Str),
    ("url", FieldType::Str),
    ("level", FieldType::Str),
    ("score", FieldType::Double),
    ("source", FieldType::Str),
    ("subject", FieldType::Str),
    ("removal_rank", FieldType::Int),
];

/// Edge properties every export declares, in order.
pub const EDGE_FIELDS: [(&str, FieldType); 9] = [
    ("type", FieldType::Str),
    ("confidence", FieldType::Double),
    ("reason", FieldType::Str),
    ("urls", FieldType::Str),
    ("fetched_at", FieldType::Str),
    ("content_hash", FieldType::Str),
    ("origin", FieldType::Str),
    ("shared_values", FieldType::Str),
    ("direction_confidence", FieldType::Double),
];

/// A node's set properties, in [`NODE_FIELDS`] order.
pub fn node_props(n: &Node) -> Vec<(&'static str, Prop)> {
    let s = |v: &Option<String>| v.clone().map(Prop::Str);
    [
        ("type", Some(Prop::Str(n.kind.as_str().into()))),
        ("label", Some(Prop::Str(n.label.clone()))),
        ("kind", s(&n.attr_kind)),
        ("value", s(&n.value)),
        ("url", s(&n.url)),
        ("level", s(&n.level)),
        ("score", n.score.map(Prop::Double)),
        ("source", s(&n.source)),
        ("subject", s(&n.subject)),
        ("removal_rank", n.removal_rank.map(|r| Prop::Int(r.into()))),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .map(|(k, v)| (k, clean_prop(v)))
    .collect()
}

/// An edge's set properties, in [`EDGE_FIELDS`] order. Lists are joined
/// with " " (URLs) and "; " (shared values).
pub fn edge_props(e: &Edge) -> Vec<(&'static str, Prop)> {
    let ev = &e.evidence;
    let nonempty = |v: String| (!v.is_empty()).then_some(Prop::Str(v));
    [
        ("type", Some(Prop::Str(e.kind.as_str().into()))),
        ("confidence", Some(Prop::Double(round(ev.confidence)))),
        ("reason", Some(Prop::Str(ev.reason.clone()))),
        ("urls", nonempty(ev.urls.join(" "))),
        ("fetched_at", ev.fetched_at.clone().map(Prop::Str)),
        ("content_hash", ev.content_hash.clone().map(Prop::Str)),
        ("origin", Some(Prop::Str(ev.origin.clone()))),
        ("shared_values", nonempty(ev.shared_values.join("; "))),
        (
            "direction_confidence",
            ev.direction_confidence.map(|d| Prop::Double(round(d))),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .map(|(k, v)| (k, clean_prop(v)))
    .collect()
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn clean_prop(p: Prop) -> Prop {
    match p {
        Prop::Str(s) => Prop::Str(clean_text(&s)),
        other => other,
    }
}

/// Scraped text minus characters XML 1.0 and CSV readers choke on
/// (control characters other than tab and newline).
pub fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\t' || *c == '\n')
        .collect()
}

/// Edge ids in [`ExposureGraph::edges_sorted`] order: "e0", "e1", …
fn edge_id(i: usize) -> String {
    format!("e{i}")
}

fn json_object(props: &[(&str, Prop)]) -> serde_json::Map<String, serde_json::Value> {
    props
        .iter()
        .map(|(k, v)| (k.to_string(), v.json()))
        .collect()
}
