//! GraphML with one typed `<key>` per property (networkx, Gephi, yEd).

use anyhow::Result;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{EDGE_FIELDS, NODE_FIELDS, edge_id, edge_props, node_props};
use crate::graph::ExposureGraph;

/// The graph as a GraphML document.
pub fn write(g: &ExposureGraph) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_to(g, &mut out)?;
    Ok(out)
}

/// Streams the GraphML document into `out` (a file, for large batches).
pub fn write_to<W: std::io::Write>(g: &ExposureGraph, out: W) -> Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("graphml")
        .with_attributes([
            ("xmlns", "http://graphml.graphdrawing.org/xmlns"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
            ),
        ])
        .write_inner_content(|w| {
            for (name, t) in NODE_FIELDS {
                w.create_element("key")
                    .with_attributes([
                        ("id", format!("n_{name}").as_str()),
                        ("for", "node"),
                        ("attr.name", name),
                        ("attr.type", t.xml_name()),
                    ])
                    .write_empty()?;
            }
            for (name, t) in EDGE_FIELDS {
                w.create_element("key")
                    .with_attributes([
                        ("id", format!("e_{name}").as_str()),
                        ("for", "edge"),
                        ("attr.name", name),
                        ("attr.type", t.xml_name()),
                    ])
                    .write_empty()?;
            }
            w.create_element("graph")
                .with_attributes([("id", "brokertrace"), ("edgedefault", "directed")])
                .write_inner_content(|w| {
                    for n in g.nodes_sorted() {
                        w.create_element("node")
                            .with_attribute(("id", n.id.as_str()))
                            .write_inner_content(|w| {
                                for (k, v) in node_props(n) {
                                    w.create_element("data")
                                        .with_attribute(("key", format!("n_{k}").as_str()))
                                        .write_text_content(BytesText::new(&v.text()))?;
                                }
                                Ok(())
                            })?;
                    }
                    for (i, (from, to, e)) in g.edges_sorted().into_iter().enumerate() {
                        w.create_element("edge")
                            .with_attributes([
                                ("id", edge_id(i).as_str()),
                                ("source", from),
                                ("target", to),
                            ])
                            .write_inner_content(|w| {
                                for (k, v) in edge_props(e) {
                                    w.create_element("data")
                                        .with_attribute(("key", format!("e_{k}").as_str()))
                                        .write_text_content(BytesText::new(&v.text()))?;
                                }
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    w.into_inner().write_all(b"\n")?;
    Ok(())
}
