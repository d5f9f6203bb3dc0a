//! Plain JSON: nodes, edges with full evidence, copy edges and the removal order.

use anyhow::Result;
use serde::ser::{Error as _, Serialize, SerializeSeq, SerializeStruct, Serializer};
use serde_json::{Value, json};

use crate::graph::{Edge, ExposureGraph};

/// The graph as one JSON document (`format` = "brokertrace-graph", `version` = 1).
pub fn write(g: &ExposureGraph) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_to(g, &mut out)?;
    Ok(out)
}

/// Streams the document into `out` (a file, for large batches).
pub fn write_to<W: std::io::Write>(g: &ExposureGraph, mut out: W) -> Result<()> {
    serde_json::to_writer_pretty(&mut out, &Doc(g))?;
    out.write_all(b"\n")?;
    Ok(())
}

/// The document, streamed: each node and edge becomes a small [`Value`] only
/// while it is written, instead of one tree of the whole graph (several times
/// the size of the output). Keys are written in sorted order, as a `Value`
/// object would write them, so the output is unchanged.
struct Doc<'a>(&'a ExposureGraph);

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0;
        let mut d = s.serialize_struct("Doc", 7)?;
        d.serialize_field("copies", &Each(&g.copies, sorted))?;
        let edges = g.edges_sorted();
        d.serialize_field(
            "edges",
            &Each(&edges, |(from, to, e): &(&str, &str, &Edge)| {
                Ok(json!({
                    "source": from,
                    "target": to,
                    "type": e.kind.as_str(),
                    "evidence": e.evidence,
                }))
            }),
        )?;
        d.serialize_field("format", "brokertrace-graph")?;
        d.serialize_field("nodes", &Each(&g.nodes_sorted(), sorted))?;
        d.serialize_field("removal_order", &Each(&g.removal_order, sorted))?;
        d.serialize_field("subjects", &g.subjects)?;
        d.serialize_field("version", &1)?;
        d.end()
    }
}

/// A list written one element at a time through `to_value`, which sorts
/// every object's keys.
struct Each<'a, T, F>(&'a [T], F);

impl<T, F> Serialize for Each<'_, T, F>
where
    F: Fn(&T) -> serde_json::Result<Value>,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item).map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// One element as a [`Value`], whose objects write their keys sorted.
fn sorted<T: Serialize>(x: &T) -> serde_json::Result<Value> {
    serde_json::to_value(x)
}
