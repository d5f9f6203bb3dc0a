//! Plain JSON: nodes, edges with full evidence, copy edges and the removal order.

use anyhow::Result;
use serde_json::{Value, json};

use crate::graph::ExposureGraph;

/// The graph as one JSON document (`format` = "brokertrace-graph", `version` = 1).
pub fn write(g: &ExposureGraph) -> Result<Vec<u8>> {
    let nodes: Vec<Value> = g
        .nodes_sorted()
        .into_iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    let edges: Vec<Value> = g
        .edges_sorted()
        .into_iter()
        .map(|(from, to, e)| {
            json!({
                "source": from,
                "target": to,
                "type": e.kind.as_str(),
                "evidence": e.evidence,
            })
        })
        .collect();
    let doc = json!({
        "format": "brokertrace-graph",
        "version": 1,
        "subjects": g.subjects,
        "nodes": nodes,
        "edges": edges,
        "copies": g.copies,
        "removal_order": g.removal_order,
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
