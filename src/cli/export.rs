//! `export`: write the exposure graph for Gephi, Graphviz, Cytoscape, Neo4j or networkx.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use brokertrace::graph::export::{self, Format};
use brokertrace::graph::redact::{self, Redactor};
use brokertrace::sources::SourceDef;
use brokertrace::store::Store;

use super::{Cli, DbArgs};

/// Arguments of `export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// graphml, gexf, dot, cytoscape, neo4j (a folder of CSVs + Cypher) or json.
    #[arg(long, short, value_name = "FORMAT")]
    pub format: Format,
    /// Subject id to export (repeatable).
    #[arg(long, value_name = "ID", conflicts_with = "all")]
    pub subject: Vec<String>,
    /// Export every subject in the database (the default when no --subject is given).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub db: DbArgs,
    /// Folder of source definitions, for operators and declared relations.
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    /// Output file (folder for neo4j, or a folder to put the file in) [default: stdout; neo4j: ./neo4j].
    #[arg(long, short, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace every person-identifying value with a keyed pseudonym and drop URL paths.
    #[arg(long)]
    pub redact: bool,
    /// Hex salt for --redact pseudonyms; same salt, same pseudonyms [default: random per export].
    #[arg(long, value_name = "HEX", requires = "redact")]
    pub salt: Option<String>,
}

/// Runs `export`.
pub fn export(cli: &Cli, a: &ExportArgs) -> Result<ExitCode> {
    let db = a.db.path();
    if !db.exists() {
        bail!(
            "no database at {}; run `brokertrace scan` first or pass --db PATH",
            db.display()
        );
    }
    let store = Store::open(&db)?;
    let sources: Vec<SourceDef> = if a.sources.is_dir() {
        super::scan::load_sources(&a.sources)?
    } else {
        if !cli.quiet {
            eprintln!(
                "warning: no sources folder {}; operators and declared relations are left out (pass --sources DIR)",
                a.sources.display()
            );
        }
        Vec::new()
    };
    let catalog = brokertrace::exposure::Catalog::load_default()?;
    let breaches = brokertrace::exposure::breach_links(&store, &a.subject, &sources, &catalog)?;
    let mut graph = brokertrace::graph::build(&store, &a.subject, &sources, &breaches)?;
    if a.redact {
        let r = match &a.salt {
            Some(hex) => Redactor::from_hex(hex)?,
            None => Redactor::random(),
        };
        graph = redact::redact_owned(graph, &r);
    }
    let files = export::render(&graph, a.format)?;
    let written = match (&a.out, a.format.is_folder()) {
        (None, false) => {
            let mut out = std::io::stdout().lock();
            for (_, bytes) in &files {
                out.write_all(bytes)?;
            }
            out.flush()?;
            None
        }
        (out, true) => {
            let dir = out.clone().unwrap_or_else(|| PathBuf::from("neo4j"));
            write_files(&dir, &files)?;
            Some(dir)
        }
        (Some(out), false) if out.is_dir() => {
            write_files(out, &files)?;
            Some(out.join(a.format.file_name()))
        }
        (Some(out), false) => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create folder {}", parent.display()))?;
            }
            std::fs::write(out, &files[0].1)
                .with_context(|| format!("cannot write {}", out.display()))?;
            Some(out.clone())
        }
    };
    if let Some(path) = written
        && !cli.quiet
    {
        eprintln!(
            "wrote {} ({} subjects, {} nodes, {} edges, {} copy edges{})",
            path.display(),
            graph.subjects.len(),
            graph.graph.node_count(),
            graph.graph.edge_count(),
            graph.copies.len(),
            if a.redact { ", redacted" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn write_files(dir: &std::path::Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
