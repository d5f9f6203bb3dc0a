//! `report.md`: the report as plain Markdown, readable in any editor.

use std::fmt::Write;

use super::ReportData;
use crate::model::MatchLevel;

/// Scraped text may hold Markdown or HTML; neutralise what would render.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders the report.
pub fn render(d: &ReportData) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Data broker exposure report: {}\n",
        md_escape(&d.subject_name)
    );
    let _ = writeln!(
        o,
        "Scan {} ({}), started {}{}.\n",
        d.scan.id,
        d.scan.kind,
        d.scan.started_at,
        d.scan
            .finished_at
            .as_deref()
            .map(|f| format!(", finished {f}"))
            .unwrap_or_else(|| ", **unfinished** (re-run the same command to resume)".into())
    );
    let found_on = d.sources.iter().filter(|s| s.state == "found").count();
    let _ = writeln!(o, "## Headline\n");
    let _ = writeln!(
        o,
        "- **{}** listings of you on **{}** of {} sources searched",
        d.found,
        found_on,
        d.sources.len()
    );
    let _ = writeln!(
        o,
        "- {} listings that may be you and need your review",
        d.needs_review
    );
    let _ = writeln!(o, "- {} namesake listings rejected\n", d.rejected);
    let _ = writeln!(o, "| check state | count |\n|---|---:|");
    for (k, v) in &d.check_states {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(o, "\n## Sources\n");
    let _ = writeln!(
        o,
        "| source | state | listings | opt-out |\n|---|---|---:|---|"
    );
    for s in &d.sources {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            md_escape(&s.name),
            s.state,
            s.listings.len(),
            s.optout_url
                .as_deref()
                .map(md_escape)
                .unwrap_or_else(|| s.optout_method.clone())
        );
    }
    for s in d.sources.iter().filter(|s| !s.listings.is_empty()) {
        let _ = writeln!(o, "\n### {} ({})\n", md_escape(&s.name), md_escape(&s.id));
        for l in &s.listings {
            let who = l.record.names.first().map(|n| n.full()).unwrap_or_default();
            let level = if l.level == MatchLevel::Possible {
                "possible — review"
            } else {
                l.level.as_str()
            };
            let _ = writeln!(
                o,
                "- **{}** — {} (score {:.1}, listing #{})",
                md_escape(&who),
                level,
                l.score,
                l.id
            );
            if let Some(u) = &l.url {
                let _ = writeln!(o, "  - URL: <{}>", u.replace(['<', '>', ' '], ""));
            }
            let r = &l.record;
            if let Some(a) = r.age {
                let _ = writeln!(o, "  - age: {a}");
            }
            for a in &r.addresses {
                let _ = writeln!(o, "  - address: {}", md_escape(&a.one_line()));
            }
            for p in &r.phones {
                let _ = writeln!(o, "  - phone: {}", md_escape(p));
            }
            for e in &r.emails {
                let _ = writeln!(o, "  - e-mail: {}", md_escape(e));
            }
            if !r.relatives.is_empty() {
                let rel: Vec<String> = r.relatives.iter().map(|x| md_escape(x)).collect();
                let _ = writeln!(o, "  - relatives: {}", rel.join(", "));
            }
            let why: Vec<String> = l
                .evidence
                .iter()
                .map(|e| format!("{} ({:+.1})", md_escape(&e.reason), e.weight))
                .collect();
            if !why.is_empty() {
                let _ = writeln!(o, "  - why: {}", why.join("; "));
            }
            if let Some(dec) = &l.decision {
                let _ = writeln!(o, "  - your decision: {dec}");
            }
        }
    }
    o
}
