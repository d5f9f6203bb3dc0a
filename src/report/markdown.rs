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
                // Only web URLs become links: a scraped `javascript:` URL stays inert text.
                if u.starts_with("https://") || u.starts_with("http://") {
                    let _ = writeln!(o, "  - URL: <{}>", u.replace(['<', '>', ' '], ""));
                } else {
                    let _ = writeln!(o, "  - URL (not a web link): {}", md_escape(u));
                }
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
            let _ = writeln!(
                o,
                "  - evidence: last seen {}{}",
                md_escape(&l.last_seen),
                l.content_hash
                    .as_deref()
                    .map(|h| format!(", page SHA-256 `{}`", md_escape(h)))
                    .unwrap_or_default()
            );
            for e in s.evidence.iter().filter(|e| e.listing_id == l.id) {
                let _ = writeln!(
                    o,
                    "    - fetched {} (HTTP {}) {}",
                    md_escape(&e.fetched_at),
                    e.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
                    md_escape(&e.url)
                );
            }
        }
    }
    render_exposure(&mut o, d);
    o
}

/// The exposure sections: what to do first, risks, attributes, breaches, prices.
fn render_exposure(o: &mut String, d: &ReportData) {
    let e = &d.exposure;
    let _ = writeln!(o, "\n## What to do first\n");
    if e.actions.is_empty() {
        let _ = writeln!(o, "Nothing to do: no listing of you was found.");
    }
    for a in &e.actions {
        let how = match &a.optout_url {
            Some(u) => format!(" ({}: {})", a.optout_method, md_escape(u)),
            None if !a.optout_method.is_empty() => format!(" ({})", a.optout_method),
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "{}. **{}**{} — {}",
            a.rank,
            md_escape(&a.title),
            how,
            md_escape(&a.reasons.join("; "))
        );
    }
    let _ = writeln!(o, "\n## Risks\n");
    if e.risks.is_empty() {
        let _ = writeln!(o, "No risky combination found.");
    }
    for r in &e.risks {
        let _ = writeln!(
            o,
            "- **{}** ({}): {}",
            md_escape(&r.title),
            r.severity,
            md_escape(&r.detail)
        );
    }
    let _ = writeln!(o, "\n## Exposure by attribute\n");
    let _ = writeln!(
        o,
        "| attribute | shown by brokers listing you | sold by (declared) | your accounts' breaches | breaches of those brokers |\n|---|---|---|---|---|"
    );
    for a in &e.attributes {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            a.label,
            md_escape(&a.brokers.join(", ")),
            md_escape(&a.declared_by.join(", ")),
            md_escape(&a.breaches.join(", ")),
            md_escape(&a.broker_breaches.join(", "))
        );
    }
    let _ = writeln!(o, "\n## Breaches\n");
    let _ = writeln!(
        o,
        "### Brokers that list you and were breached themselves\n"
    );
    if e.broker_breaches.is_empty() {
        let _ = writeln!(o, "None known.");
    }
    for b in &e.broker_breaches {
        let _ = writeln!(
            o,
            "- {}: **{}** ({}, {} accounts; {}) — linked by {}",
            md_escape(&b.source_name),
            md_escape(&b.breach.title),
            md_escape(&b.breach.breach_date),
            b.breach.pwn_count,
            md_escape(&b.breach.data_classes.join(", ")),
            md_escape(&b.matched_by)
        );
    }
    let _ = writeln!(o, "\n### Your e-mail addresses in breaches\n");
    if e.account_breaches.is_empty() {
        let _ = writeln!(
            o,
            "Not checked. Set `HIBP_API_KEY` and run `brokertrace breaches check --subject {}`.",
            md_escape(&d.subject_id)
        );
    }
    for a in &e.account_breaches {
        let list: Vec<String> = a
            .breaches
            .iter()
            .map(|b| format!("{} ({})", md_escape(&b.title), md_escape(&b.breach_date)))
            .collect();
        let _ = writeln!(
            o,
            "- {} (checked {}): {}",
            md_escape(&a.email),
            md_escape(&a.checked_at),
            if list.is_empty() {
                "no breach known".to_string()
            } else {
                list.join(", ")
            }
        );
    }
    let _ = writeln!(o, "\n### What your data is sold for\n");
    let priced: Vec<String> = e
        .sold_for
        .priced
        .iter()
        .map(|p| format!("{} ${:.2}", md_escape(&p.source_name), p.price_usd))
        .collect();
    let _ = writeln!(
        o,
        "The brokers that list you sell a report on you for **${:.2}** together{}{}.",
        e.sold_for.total_usd,
        if priced.is_empty() {
            String::new()
        } else {
            format!(" ({})", priced.join(", "))
        },
        if e.sold_for.unpriced.is_empty() {
            String::new()
        } else {
            format!(
                "; price unknown for {}",
                md_escape(&e.sold_for.unpriced.join(", "))
            )
        }
    );
    if !e.attribution.is_empty() {
        let _ = writeln!(o, "\n{} Catalog as of {}.", e.attribution, e.catalog_date);
    }
}
