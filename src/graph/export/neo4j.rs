//! Neo4j: `nodes.csv` and `relationships.csv` for
//! `neo4j-admin database import full`, and `load.cypher` for `LOAD CSV`.

use std::collections::BTreeSet;

use anyhow::Result;

use super::{EDGE_FIELDS, FieldType, NODE_FIELDS, Prop, edge_props, node_props};
use crate::graph::ExposureGraph;

fn header(name: &str, t: FieldType) -> String {
    match t {
        FieldType::Str => name.to_string(),
        FieldType::Double => format!("{name}:double"),
        FieldType::Int => format!("{name}:long"),
    }
}

fn cell(props: &[(&str, Prop)], name: &str) -> String {
    props
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.text())
        .unwrap_or_default()
}

/// The three files. Every node also carries the label `Entity` so the
/// Cypher script can match endpoints by id through one index.
pub fn write(g: &ExposureGraph) -> Result<Vec<(String, Vec<u8>)>> {
    let mut nodes = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["id:ID".to_string(), ":LABEL".to_string()];
    head.extend(NODE_FIELDS.iter().skip(1).map(|(n, t)| header(n, *t)));
    nodes.write_record(&head)?;
    for n in g.nodes_sorted() {
        let props = node_props(n);
        let mut row = vec![n.id.clone(), format!("{};Entity", n.kind.as_str())];
        row.extend(NODE_FIELDS.iter().skip(1).map(|(k, _)| cell(&props, k)));
        nodes.write_record(&row)?;
    }
    let mut rels = csv::Writer::from_writer(Vec::new());
    let mut head = vec![
        ":START_ID".to_string(),
        ":END_ID".to_string(),
        ":TYPE".to_string(),
    ];
    head.extend(EDGE_FIELDS.iter().skip(1).map(|(n, t)| header(n, *t)));
    rels.write_record(&head)?;
    let mut types = BTreeSet::new();
    for (from, to, e) in g.edges_sorted() {
        types.insert(e.kind.as_str());
        let props = edge_props(e);
        let mut row = vec![
            from.to_string(),
            to.to_string(),
            e.kind.as_str().to_string(),
        ];
        row.extend(EDGE_FIELDS.iter().skip(1).map(|(k, _)| cell(&props, k)));
        rels.write_record(&row)?;
    }
    let labels: BTreeSet<&str> = g.graph.node_weights().map(|n| n.kind.as_str()).collect();
    Ok(vec![
        ("nodes.csv".into(), nodes.into_inner()?),
        ("relationships.csv".into(), rels.into_inner()?),
        ("load.cypher".into(), cypher(&labels, &types).into_bytes()),
    ])
}

fn set_clause(var: &str, fields: &[(&str, FieldType)]) -> String {
    fields
        .iter()
        .skip(1)
        .map(|(n, t)| {
            let col = format!("row.`{}`", header(n, *t));
            let v = match t {
                FieldType::Str => col,
                FieldType::Double => format!("toFloat({col})"),
                FieldType::Int => format!("toInteger({col})"),
            };
            format!("{var}.{n} = {v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A script for `cypher-shell -f load.cypher` with the CSVs in Neo4j's import folder.
fn cypher(labels: &BTreeSet<&str>, types: &BTreeSet<&str>) -> String {
    let mut s = String::from(
        "// brokertrace exposure graph. Copy nodes.csv and relationships.csv into\n\
         // Neo4j's import folder, then: cypher-shell -f load.cypher\n\
         // (or bulk import: neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv)\n\
         CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;\n\n",
    );
    for l in labels {
        s.push_str(&format!(
            "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row\n\
             WITH row WHERE row.`:LABEL` = '{l};Entity'\n\
             MERGE (n:Entity:{l} {{id: row.`id:ID`}})\n\
             SET {};\n\n",
            set_clause("n", &NODE_FIELDS)
        ));
    }
    for t in types {
        s.push_str(&format!(
            "LOAD CSV WITH HEADERS FROM 'file:///relationships.csv' AS row\n\
             WITH row WHERE row.`:TYPE` = '{t}'\n\
             MATCH (a:Entity {{id: row.`:START_ID`}}), (b:Entity {{id: row.`:END_ID`}})\n\
             CREATE (a)-[r:{t}]->(b)\n\
             SET {};\n\n",
            set_clause("r", &EDGE_FIELDS)
        ));
    }
    s
}
