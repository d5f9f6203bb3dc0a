//! Graphviz DOT: one statement per node and edge, every string quoted.

use std::fmt::Write;

use super::{edge_props, node_props};
use crate::graph::{ExposureGraph, NodeKind};

/// A DOT double-quoted string: backslash, quote and line breaks escaped,
/// other control characters dropped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn style(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Subject => "shape=doubleoctagon, style=filled, fillcolor=\"#ffd166\"",
        NodeKind::Attribute => "shape=note",
        NodeKind::Listing => "shape=box",
        NodeKind::Source => "shape=box3d, style=filled, fillcolor=\"#8ecae6\"",
        NodeKind::Company => "shape=house",
        NodeKind::Breach => "shape=octagon, style=filled, fillcolor=\"#ef476f\"",
    }
}

/// The graph as a DOT digraph (renders with `dot -Tsvg`).
pub fn write(g: &ExposureGraph) -> String {
    let mut out = String::new();
    out.push_str("digraph brokertrace {\n  graph [rankdir=LR, fontname=\"Helvetica\"];\n");
    out.push_str(
        "  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for n in g.nodes_sorted() {
        let _ = write!(
            out,
            "  {} [label={}, {}",
            quote(&n.id),
            quote(&n.label),
            style(n.kind)
        );
        for (k, v) in node_props(n) {
            if k != "label" {
                let _ = write!(out, ", {}={}", quote(&format!("bt_{k}")), quote(&v.text()));
            }
        }
        out.push_str("];\n");
    }
    for (from, to, e) in g.edges_sorted() {
        let _ = write!(
            out,
            "  {} -> {} [label={}",
            quote(from),
            quote(to),
            quote(e.kind.as_str())
        );
        if e.kind == crate::graph::EdgeKind::CopiesFrom {
            out.push_str(", color=\"#d62828\", penwidth=2");
        }
        for (k, v) in edge_props(e) {
            let _ = write!(out, ", {}={}", quote(&format!("bt_{k}")), quote(&v.text()));
        }
        out.push_str("];\n");
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_escape_what_dot_would_misread() {
        assert_eq!(quote("a\"b\\c\nd\u{7}"), "\"a\\\"b\\\\c\\nd\"");
    }
}
