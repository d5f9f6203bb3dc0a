//! Cytoscape.js `elements` JSON: `{"elements": {"nodes": [{"data": …}], "edges": […]}}`.

use anyhow::Result;
use serde_json::{Value, json};

use super::{edge_id, edge_props, json_object, node_props};
use crate::graph::ExposureGraph;

/// The graph as Cytoscape.js elements.
pub fn write(g: &ExposureGraph) -> Result<Vec<u8>> {
    let nodes: Vec<Value> = g
        .nodes_sorted()
        .into_iter()
        .map(|n| {
            let mut data = json_object(&node_props(n));
            data.insert("id".into(), Value::from(n.id.as_str()));
            json!({ "data": data, "classes": n.kind.as_str().to_lowercase() })
        })
        .collect();
    let edges: Vec<Value> = g
        .edges_sorted()
        .into_iter()
        .enumerate()
        .map(|(i, (from, to, e))| {
            let mut data = json_object(&edge_props(e));
            data.insert("id".into(), Value::from(edge_id(i)));
            data.insert("source".into(), Value::from(from));
            data.insert("target".into(), Value::from(to));
            json!({ "data": data, "classes": e.kind.as_str().to_lowercase() })
        })
        .collect();
    let doc = json!({ "elements": { "nodes": nodes, "edges": edges } });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
