//! `optout draft|list|status|mark-sent|mark-refused` and `rescan`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{Local, NaiveDate};
use clap::{Args, Subcommand};

use brokertrace::crawl::Fetcher;
use brokertrace::optout::{self, law, ledger};
use brokertrace::store::Store;

use super::scan::{CrawlArgs, load_sources};
use super::{Cli, DbArgs};

/// `optout` subcommands.
#[derive(Subcommand, Debug)]
pub enum OptoutCommand {
    /// Write opt-out / access request drafts for every broker listing the subject.
    Draft(DraftArgs),
    /// List the requests in the ledger.
    List(ListArgs),
    /// Show each request's state, sent date, deadline and whether it is overdue.
    Status(ListArgs),
    /// Record that a request was sent (starts its legal deadline).
    MarkSent(MarkSentArgs),
    /// Record that a broker refused a request.
    MarkRefused(MarkRefusedArgs),
}

/// Arguments of `optout draft`.
#[derive(Args, Debug)]
pub struct DraftArgs {
    /// Subject id (the profile's `id`).
    #[arg(long, value_name = "ID")]
    pub subject: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Folder of source definitions (opt-out routes and addresses).
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    /// Drafts go to OUT/<subject>/drafts/.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Date the drafts are written for [default: today].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
}

/// Arguments of `optout list` and `optout status`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only this subject's requests.
    #[arg(long, value_name = "ID")]
    pub subject: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Judge deadlines as of this date [default: today].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
}

/// Arguments of `optout mark-sent`.
#[derive(Args, Debug)]
pub struct MarkSentArgs {
    /// Request id (see `optout list`).
    pub id: i64,
    /// Date it was sent [default: today].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// How it was sent [default: the draft's route].
    #[arg(long, value_parser = ["email", "web-form", "postal"])]
    pub via: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Arguments of `optout mark-refused`.
#[derive(Args, Debug)]
pub struct MarkRefusedArgs {
    /// Request id (see `optout list`).
    pub id: i64,
    /// Data Rights Protocol denial reason: suspected_fraud, insuf_verification,
    /// no_match, claim_not_covered, outside_jurisdiction, too_many_requests, other.
    #[arg(long, value_name = "REASON")]
    pub reason: ledger::DenialReason,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Arguments of `rescan`.
#[derive(Args, Debug)]
pub struct RescanArgs {
    /// Subject id.
    #[arg(long, value_name = "ID")]
    pub subject: String,
    /// Folder of source definitions.
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// `brokertrace optout ...`.
pub fn optout(cli: &Cli, c: &OptoutCommand) -> Result<ExitCode> {
    match c {
        OptoutCommand::Draft(a) => draft(cli, a),
        OptoutCommand::List(a) => list(cli, a),
        OptoutCommand::Status(a) => status(cli, a),
        OptoutCommand::MarkSent(a) => mark_sent(a),
        OptoutCommand::MarkRefused(a) => {
            let store = Store::open(&a.db.path())?;
            let r = ledger::mark_refused(&store, a.id, a.reason)?;
            println!(
                "request #{} ({}) marked refused: {}",
                r.id,
                r.target_id,
                a.reason.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn draft(cli: &Cli, a: &DraftArgs) -> Result<ExitCode> {
    let defs = load_sources(&a.sources)?;
    let store = Store::open(&a.db.path())?;
    let date = a.date.unwrap_or_else(today);
    let dir = optout::drafts_dir(&a.out, &a.subject);
    let index = optout::draft_all(&store, &a.subject, &defs, &dir, date)?;
    if !cli.quiet {
        println!(
            "{} draft(s) under {} ({}), answers due by {} if sent on {date}.",
            index.drafts.len(),
            index.law.short,
            index.jurisdiction,
            index.law.due(date)
        );
        for d in &index.drafts {
            println!(
                "  #{:<4} {:<28} {:<9} {}",
                d.request_id,
                d.broker,
                d.method,
                dir.join(&d.file).display()
            );
        }
        if let Some(n) = &index.drop_note {
            println!("\n{n}");
        }
        println!("\ndrafts written to {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn list(cli: &Cli, a: &ListArgs) -> Result<ExitCode> {
    let store = Store::open(&a.db.path())?;
    let rows = ledger::list(&store, a.subject.as_deref())?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no requests yet; run `brokertrace optout draft --subject ID`");
    }
    for r in &rows {
        println!(
            "#{:<4} {:<16} {:<28} {:<9} {:<10} {} listing(s)  {}",
            r.id,
            r.subject_id,
            r.target_id,
            r.method,
            r.state,
            r.listings,
            r.draft_path.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn status(cli: &Cli, a: &ListArgs) -> Result<ExitCode> {
    let store = Store::open(&a.db.path())?;
    let rows = ledger::list(&store, a.subject.as_deref())?;
    let today = a.today.unwrap_or_else(today);
    if cli.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["overdue"] = serde_json::Value::Bool(r.overdue(today));
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no requests yet; run `brokertrace optout draft --subject ID`");
    }
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut overdue = 0;
    println!(
        "{:<5} {:<28} {:<10} {:<10} {:<10} {:<10} removed",
        "id", "broker", "state", "sent", "due", "extended"
    );
    for r in &rows {
        let late = r.overdue(today);
        overdue += late as usize;
        let d = |x: Option<NaiveDate>| x.map_or_else(|| "-".to_string(), |d| d.to_string());
        let mut line = format!(
            "#{:<4} {:<28} {:<10} {:<10} {:<10} {:<10} {}/{}",
            r.id,
            r.target_id,
            r.state,
            d(r.sent_on),
            d(r.due_on),
            d(r.due_extended),
            r.removed,
            r.listings
        );
        if let Some(reason) = &r.refusal_reason {
            line.push_str(&format!("  refused: {reason}"));
        }
        if late {
            line.push_str("  OVERDUE");
            if color {
                line = format!("\x1b[1;31m{line}\x1b[0m");
            }
        }
        println!("{line}");
    }
    if overdue > 0 {
        println!(
            "\n{overdue} request(s) overdue: send a reminder, and under the GDPR you may complain to your data protection authority; under US state laws, to the state attorney general (CPPA in California)."
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn mark_sent(a: &MarkSentArgs) -> Result<ExitCode> {
    let store = Store::open(&a.db.path())?;
    let req = ledger::get(&store, a.id)?;
    let profile = store
        .subject(&req.subject_id)?
        .with_context(|| format!("no subject {:?} in the database", req.subject_id))?;
    let law = law::law_for(&profile.jurisdiction);
    let via = a.via.clone().unwrap_or_else(|| req.method.clone());
    let r = ledger::mark_sent(&store, a.id, a.date.unwrap_or_else(today), &via, &law)?;
    println!(
        "request #{} ({}) marked sent on {} via {via}; answer due by {}{} ({}).",
        r.id,
        r.target_id,
        r.sent_on.map(|d| d.to_string()).unwrap_or_default(),
        r.due_on.map(|d| d.to_string()).unwrap_or_default(),
        r.due_extended
            .map(|d| format!(", {d} at the latest with the extension"))
            .unwrap_or_default(),
        law.short
    );
    Ok(ExitCode::SUCCESS)
}

/// `brokertrace rescan`.
pub fn rescan(cli: &Cli, a: &RescanArgs) -> Result<ExitCode> {
    let defs = load_sources(&a.sources)?;
    let store = Store::open(&a.db.path())?;
    let fetcher = Fetcher::new(a.crawl.config(Vec::new())?)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let summary = rt.block_on(optout::rescan::rescan(&store, &a.subject, &defs, &fetcher))?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    if summary.checked == 0 {
        println!(
            "nothing to re-check: no request of {:?} is in state requested or removed (mark sent requests with `optout mark-sent ID`)",
            a.subject
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !cli.quiet {
        for i in &summary.items {
            println!(
                "  request #{:<4} listing #{:<5} {:<28} {:<8} {}  → request {}",
                i.request_id,
                i.listing_id,
                i.source_id,
                i.verdict.as_str(),
                i.detail,
                i.request_state
            );
        }
    }
    println!(
        "re-checked {} listing(s): {} removed, {} still there, {} reappeared, {} unknown.",
        summary.checked, summary.removed, summary.present, summary.reappeared, summary.unknown
    );
    Ok(ExitCode::SUCCESS)
}
