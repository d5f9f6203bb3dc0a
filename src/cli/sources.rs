//! `sources import | validate | list | check`: build, lint and watch the
//! source definitions.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};

use brokertrace::crawl::{CrawlConfig, Fetcher};

use super::scan::CrawlArgs;
use brokertrace::sources::check::{self, CheckOptions};
use brokertrace::sources::{self, SourceDef, companies, enrich, import, validate};

use super::Cli;

/// The `sources` subcommands.
#[derive(Subcommand, Debug)]
pub enum SourcesCommand {
    /// Convert another project's broker definitions into source files.
    Import(ImportArgs),
    /// Check every source file offline; prints `file:line: field: problem`.
    Validate(DirArgs),
    /// Print a table of the sources in a folder.
    List(DirArgs),
    /// Search each site for synthetic names and report drift (needs internet; never in CI).
    /// Prints `id<TAB>ok|DRIFT<TAB>findings`, or JSON with `--json`.
    Check(CheckArgs),
}

/// Formats `import` understands.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormat {
    /// DuckDuckGo Personal Information Removal recipes (JSON object or array).
    Ddg,
}

/// `sources import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Input format.
    #[arg(long, value_enum)]
    pub format: ImportFormat,
    /// The file to convert.
    pub file: PathBuf,
    /// Folder to write `<id>.toml` files to.
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub out: PathBuf,
    /// Merge the datasets in DIR (brianreumere brokers, affiliation edges,
    /// California registry) and write companies.toml too.
    #[arg(long, value_name = "DATA_DIR")]
    pub enrich: Option<PathBuf>,
    /// Hand-written additions applied with --enrich.
    #[arg(long, value_name = "FILE", requires = "enrich")]
    pub overlay: Option<PathBuf>,
    /// Date of the imported snapshot (YYYY-MM-DD), written as `last_checked`.
    #[arg(long, value_name = "DATE")]
    pub dataset_date: Option<String>,
}

/// A sources folder.
#[derive(Args, Debug)]
pub struct DirArgs {
    /// Folder of source files.
    #[arg(default_value = "sources")]
    pub dir: PathBuf,
}

/// `sources check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Really fetch the live sites (required: this command uses the internet).
    #[arg(long)]
    pub live: bool,
    /// Only these source ids (default: every searchable source).
    pub ids: Vec<String>,
    /// Folder of source files.
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

/// Runs a `sources` subcommand.
pub fn run(cli: &Cli, cmd: &SourcesCommand) -> Result<ExitCode> {
    match cmd {
        SourcesCommand::Import(a) => import_cmd(a),
        SourcesCommand::Validate(a) => validate_cmd(&a.dir),
        SourcesCommand::List(a) => list_cmd(&a.dir),
        SourcesCommand::Check(a) => check_cmd(cli, a),
    }
}

fn import_cmd(a: &ImportArgs) -> Result<ExitCode> {
    let ImportFormat::Ddg = a.format;
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let mut defs = import::from_ddg(&text, a.dataset_date.as_deref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let mut companies_file = None;
    if let Some(data) = &a.enrich {
        let overlay = match &a.overlay {
            Some(p) => {
                let (o, _): (enrich::Overlay, String) =
                    brokertrace::diagnostics::read_toml(p).map_err(anyhow::Error::new)?;
                o
            }
            None => enrich::Overlay::default(),
        };
        let (d, c) = enrich::enrich(defs, data, &overlay)?;
        defs = d;
        companies_file = Some(c);
    }
    let written = import::write_toml(&defs, &a.out, import::DDG_HEADER)?;
    if let Some(c) = companies_file {
        let text = companies::to_toml(&c).map_err(anyhow::Error::msg)?;
        std::fs::write(a.out.join("companies.toml"), text)?;
    }
    eprintln!(
        "wrote {} source files to {}",
        written.len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn validate_cmd(dir: &Path) -> Result<ExitCode> {
    let errors = validate::validate_dir(dir);
    for e in &errors {
        println!("{e}");
    }
    if errors.is_empty() {
        let n = sources::load_dir(dir).map(|v| v.len()).unwrap_or(0);
        eprintln!("{}: {n} sources OK", dir.display());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{}: {} problems", dir.display(), errors.len());
        Ok(ExitCode::from(1))
    }
}

fn list_cmd(dir: &Path) -> Result<ExitCode> {
    let all = sources::load_dir(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows: Vec<[String; 7]> = all
        .iter()
        .map(|s| {
            let d = &s.def;
            let parent = d
                .opt_out_via
                .clone()
                .or_else(|| d.front_of.clone())
                .or_else(|| d.mirror_of.clone())
                .unwrap_or_else(|| "-".into());
            [
                d.id.clone(),
                d.name.clone(),
                d.kind.as_str().to_string(),
                d.optout.method.as_str().to_string(),
                parent,
                if d.verified { "yes" } else { "no" }.to_string(),
                d.last_checked.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = [
        "id",
        "name",
        "kind",
        "method",
        "parent",
        "verified",
        "last_checked",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut stdout = std::io::stdout().lock();
    for r in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        // A closed pipe (`| head`) ends the listing quietly.
        if writeln!(stdout, "{}", line.join("  ").trim_end()).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_cmd(cli: &Cli, a: &CheckArgs) -> Result<ExitCode> {
    if !a.live {
        bail!("`sources check` fetches live sites; pass --live to confirm (never run it in CI)");
    }
    let all: Vec<SourceDef> = sources::load_dir(&a.sources)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .map(|s| s.def)
        .collect();
    // Drift checks want the first answer, not a retried one.
    let fetcher = Fetcher::new(CrawlConfig {
        retries: 0,
        ..a.crawl.config(Vec::new())?
    })?;
    let opts = CheckOptions { ids: a.ids.clone() };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let checks = rt
        .block_on(check::check_sources(&all, &fetcher, &opts))
        .with_context(|| format!("in {}", a.sources.display()))?;
    let drifted = checks.iter().filter(|c| !c.ok).count();
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        for c in &checks {
            let verdict = if c.ok { "ok" } else { "DRIFT" };
            println!("{}\t{verdict}\t{}", c.id, c.summary());
        }
    }
    eprintln!("{drifted} of {} sources drifted", checks.len());
    Ok(if drifted == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
