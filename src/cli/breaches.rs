//! `breaches update|check|show`: the breach catalog and HIBP account searches.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;

use brokertrace::exposure::catalog::{self, Catalog};
use brokertrace::exposure::hibp::{DEFAULT_API_BASE, HibpClient};
use brokertrace::exposure::{self, AccountBreaches};
use brokertrace::store::Store;

use super::{Cli, DbArgs};

/// `breaches` subcommands.
#[derive(Subcommand, Debug)]
pub enum BreachesCommand {
    /// Refresh the breach catalog from Have I Been Pwned (no key needed).
    Update {
        /// Where to write it [default: the user data dir's brokertrace/hibp-breaches.json,
        /// which is then used instead of the built-in catalog].
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// HIBP API root (for mirrors and tests).
        #[arg(long, value_name = "URL", default_value = DEFAULT_API_BASE)]
        api_base: String,
    },
    /// Search HIBP for the subject's e-mail addresses (needs HIBP_API_KEY) and store the result
    /// for the report.
    Check {
        /// Subject id.
        #[arg(long, value_name = "ID")]
        subject: String,
        #[command(flatten)]
        db: DbArgs,
        /// HIBP API root (for tests).
        #[arg(long, value_name = "URL", default_value = DEFAULT_API_BASE)]
        api_base: String,
        /// HIBP API key (https://haveibeenpwned.com/API/Key).
        #[arg(long, env = "HIBP_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
    },
    /// Print which catalog is in use and how many breaches it holds.
    Show,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Runs a `breaches` subcommand.
pub fn run(cli: &Cli, c: &BreachesCommand) -> Result<ExitCode> {
    match c {
        BreachesCommand::Update { out, api_base } => {
            let client = HibpClient::new(api_base, None)?;
            let cat = runtime()?.block_on(client.breaches())?;
            if cat.breaches.is_empty() {
                anyhow::bail!("HIBP returned no breaches; keeping the current catalog");
            }
            let path = out.clone().unwrap_or_else(catalog::user_path);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            // Write then rename, so an interrupted update never leaves half a catalog.
            let tmp = path.with_extension("json.part");
            std::fs::write(&tmp, cat.to_json())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !cli.quiet {
                println!(
                    "{} breaches (newest added {}) written to {}",
                    cat.breaches.len(),
                    cat.newest_added().unwrap_or("?"),
                    path.display()
                );
                println!("{}", catalog::ATTRIBUTION);
            }
            Ok(ExitCode::SUCCESS)
        }
        BreachesCommand::Check {
            subject,
            db,
            api_base,
            api_key,
        } => {
            let api_key = api_key.clone().filter(|k| !k.trim().is_empty()).context(
                "searching breaches by e-mail needs an HIBP API key: get one at \
                 https://haveibeenpwned.com/API/Key and set HIBP_API_KEY",
            )?;
            let store = Store::open(&db.path())?;
            let profile = store
                .subject(subject)?
                .with_context(|| format!("no subject {subject:?}; run a scan first"))?;
            if profile.emails.is_empty() {
                anyhow::bail!("subject {subject:?} has no e-mail addresses in its profile");
            }
            let client = HibpClient::new(api_base, Some(api_key))?;
            let rt = runtime()?;
            let mut total = 0;
            for email in &profile.emails {
                let found = rt.block_on(client.breached_account(email))?;
                total += found.len();
                let result = AccountBreaches {
                    email: email.clone(),
                    checked_at: chrono::Utc::now()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    breaches: found.iter().map(Into::into).collect(),
                };
                exposure::save_account_breaches(store.conn(), subject, &result)?;
                if !cli.quiet {
                    // The address is personal data: shown only with -v.
                    let who = if cli.verbose > 0 {
                        email.clone()
                    } else {
                        "an e-mail address".to_string()
                    };
                    println!("{who}: {} breach(es)", found.len());
                }
            }
            if !cli.quiet {
                println!(
                    "{total} breach listing(s) stored; they appear in the next report. {}",
                    catalog::ATTRIBUTION
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        BreachesCommand::Show => {
            let path = catalog::user_path();
            let (cat, from) = if path.exists() {
                (Catalog::load(&path)?, path.display().to_string())
            } else {
                (Catalog::builtin(), "built-in".to_string())
            };
            println!(
                "{} breaches, newest added {}, catalog: {from}",
                cat.breaches.len(),
                cat.newest_added().unwrap_or("?")
            );
            println!("{}", catalog::ATTRIBUTION);
            Ok(ExitCode::SUCCESS)
        }
    }
}
