//! GEXF 1.3 with declared node and edge attributes (Gephi, networkx).

use anyhow::Result;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{EDGE_FIELDS, FieldType, NODE_FIELDS, edge_id, edge_props, node_props};
use crate::graph::ExposureGraph;

/// Writes a node's or edge's `<attvalues>`, each value pointing at its
/// declared attribute by index.
fn attvalues<W: std::io::Write>(
    w: &mut Writer<W>,
    fields: &[(&str, FieldType)],
    props: Vec<(&'static str, super::Prop)>,
) -> std::io::Result<()> {
    w.create_element("attvalues").write_inner_content(|w| {
        for (k, v) in props {
            let index = fields
                .iter()
                .position(|(n, _)| *n == k)
                .expect("declared field")
                .to_string();
            w.create_element("attvalue")
                .with_attributes([("for", index.as_str()), ("value", v.text().as_str())])
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The graph as a GEXF 1.3 document. Edge `weight` is the confidence and
/// `label` the relationship name.
pub fn write(g: &ExposureGraph) -> Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("gexf")
        .with_attributes([
            ("xmlns", "http://gexf.net/1.3"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd",
            ),
            ("version", "1.3"),
        ])
        .write_inner_content(|w| {
            w.create_element("meta").write_inner_content(|w| {
                w.create_element("creator")
                    .write_text_content(BytesText::new(concat!(
                        "brokertrace ",
                        env!("CARGO_PKG_VERSION")
                    )))?;
                w.create_element("description")
                    .write_text_content(BytesText::new(
                        "Exposure graph: subjects, attributes, listings, sources, companies, breaches",
                    ))?;
                Ok(())
            })?;
            w.create_element("graph")
                .with_attributes([("defaultedgetype", "directed"), ("mode", "static")])
                .write_inner_content(|w| {
                    for (class, fields) in [("node", &NODE_FIELDS[..]), ("edge", &EDGE_FIELDS[..])]
                    {
                        w.create_element("attributes")
                            .with_attribute(("class", class))
                            .write_inner_content(|w| {
                                for (i, (name, t)) in fields.iter().enumerate() {
                                    w.create_element("attribute")
                                        .with_attributes([
                                            ("id", i.to_string().as_str()),
                                            ("title", name),
                                            ("type", t.xml_name()),
                                        ])
                                        .write_empty()?;
                                }
                                Ok(())
                            })?;
                    }
                    w.create_element("nodes").write_inner_content(|w| {
                        for n in g.nodes_sorted() {
                            let label = super::clean_text(&n.label);
                            w.create_element("node")
                                .with_attributes([("id", n.id.as_str()), ("label", label.as_str())])
                                .write_inner_content(|w| {
                                    attvalues(w, &NODE_FIELDS, node_props(n))?;
                                    Ok(())
                                })?;
                        }
                        Ok(())
                    })?;
                    w.create_element("edges").write_inner_content(|w| {
                        for (i, (from, to, e)) in g.edges_sorted().into_iter().enumerate() {
                            let weight = format!("{}", (e.evidence.confidence * 1000.0).round() / 1000.0);
                            w.create_element("edge")
                                .with_attributes([
                                    ("id", edge_id(i).as_str()),
                                    ("source", from),
                                    ("target", to),
                                    ("label", e.kind.as_str()),
                                    ("weight", weight.as_str()),
                                ])
                                .write_inner_content(|w| {
                                    attvalues(w, &EDGE_FIELDS, edge_props(e))?;
                                    Ok(())
                                })?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            Ok(())
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}
