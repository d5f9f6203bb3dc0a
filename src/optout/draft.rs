//! Planning and rendering drafts: which broker gets which request, and the
//! checklist, `.eml` or letter that carries it.
//!
//! Every value a draft shows comes from the listing itself (what the broker
//! already publishes) plus the listing URL; the rest of the profile stays
//! out. Listing values are scraped, untrusted text: they are stripped of
//! control characters before they reach an e-mail header, flattened to one
//! line in bodies, and escaped in Markdown.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use serde::Serialize;

use super::law::Law;
use crate::model::{MatchLevel, Record};
use crate::profile::Profile;
use crate::sources::{OptOutMethod, Requirement, SourceDef};
use crate::store::ListingRow;

/// Address put in `From:` when the profile has no e-mail; `.invalid` makes
/// sure a forgotten placeholder can never be delivered anywhere.
pub const PLACEHOLDER_FROM: &str = "replace-with-your-address@example.invalid";

/// One listing a request asks to remove.
#[derive(Debug, Clone, Serialize)]
pub struct ListingRef {
    /// Listing id in the database.
    pub listing_id: i64,
    /// Source the listing is on.
    pub source_id: String,
    /// Source display name.
    pub source_name: String,
    /// The listing's own URL, if known (normalised, http(s) only).
    pub url: Option<String>,
    /// What the listing shows.
    #[serde(skip)]
    pub record: Record,
}

/// One request to one broker, covering its own listings and its fronts'.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRequest {
    /// Source id the request goes to (the parent for fronts).
    pub target_id: String,
    /// Its display name.
    pub target_name: String,
    /// Route: the target's opt-out method.
    pub method: OptOutMethod,
    /// Source ids whose listings this request covers, sorted.
    pub covers: Vec<String>,
    /// The listings, by source then id.
    pub listings: Vec<ListingRef>,
}

/// A value a draft reveals, and where the broker already shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Disclosure {
    /// Attribute kind ("name", "address", "phone", "email", "age", "listing_url").
    pub kind: String,
    /// The value as the draft writes it.
    pub value: String,
    /// Source id that already shows it, or "sender" for your reply address.
    pub shown_by: String,
}

/// A rendered draft, ready to write.
#[derive(Debug, Clone)]
pub struct RenderedDraft {
    /// File name inside `drafts/`.
    pub file: String,
    /// File contents.
    pub contents: Vec<u8>,
    /// What the draft reveals.
    pub discloses: Vec<Disclosure>,
}

/// Which source a listing's request goes to: follows `opt_out_via` to the
/// broker that handles opt-outs (a front's parent), guarding against cycles.
pub fn opt_out_target<'a>(source_id: &'a str, defs: &'a [SourceDef]) -> &'a str {
    let mut current = source_id;
    for _ in 0..8 {
        match defs
            .iter()
            .find(|d| d.id == current)
            .and_then(|d| d.opt_out_via.as_deref())
        {
            Some(parent) if parent != current => current = parent,
            _ => break,
        }
    }
    current
}

/// Groups the subject's listings (probable or better, or marked "me") into
/// one request per opt-out target.
pub fn plan(listings: &[ListingRow], defs: &[SourceDef]) -> Vec<PlannedRequest> {
    let mut by_target: BTreeMap<String, PlannedRequest> = BTreeMap::new();
    for l in listings {
        if l.level < MatchLevel::Probable {
            continue;
        }
        let target = opt_out_target(&l.source_id, defs);
        let target_def = defs.iter().find(|d| d.id == target);
        let source_name = defs
            .iter()
            .find(|d| d.id == l.source_id)
            .map_or_else(|| l.source_id.clone(), |d| d.name.clone());
        let req = by_target
            .entry(target.to_string())
            .or_insert_with(|| PlannedRequest {
                target_id: target.to_string(),
                target_name: target_def.map_or_else(|| target.to_string(), |d| d.name.clone()),
                method: target_def.map_or(OptOutMethod::Unknown, |d| d.optout.method),
                covers: Vec::new(),
                listings: Vec::new(),
            });
        if !req.covers.contains(&l.source_id) {
            req.covers.push(l.source_id.clone());
        }
        req.listings.push(ListingRef {
            listing_id: l.id,
            source_id: l.source_id.clone(),
            source_name,
            url: l
                .url
                .as_deref()
                .or(l.record.profile_url.as_deref())
                .and_then(safe_url),
            record: l.record.clone(),
        });
    }
    let mut out: Vec<PlannedRequest> = by_target.into_values().collect();
    for r in &mut out {
        r.covers.sort();
        r.listings
            .sort_by(|a, b| (&a.source_id, a.listing_id).cmp(&(&b.source_id, b.listing_id)));
    }
    out
}

/// Removes every control character (CR, LF, tab, NUL, DEL, C1, Unicode line
/// separators) and collapses whitespace: the only safe shape for a header
/// value. Lettre would encode a newline rather than refuse it, so this must
/// happen before a value reaches the builder.
pub fn header_safe(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}'))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line of body text: control characters become spaces, so a scraped
/// value cannot forge extra lines in a letter.
fn line_safe(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes Markdown syntax so scraped text renders as text.
fn md(s: &str) -> String {
    let mut out = String::new();
    for c in line_safe(s).chars() {
        if "\\`*_[]<>#|!~&{}()".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An http(s) URL in its normalised form (which percent-encodes spaces,
/// quotes and angle brackets), or `None`.
pub fn safe_url(s: &str) -> Option<String> {
    let u = url::Url::parse(s.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// What one listing reveals: its own shown values, minus relatives (other
/// people's data) and usernames (not needed to find the listing).
fn listing_values(l: &ListingRef) -> Vec<(&'static str, String)> {
    let r = &l.record;
    let mut v = Vec::new();
    for n in &r.names {
        v.push(("name", line_safe(&n.full())));
    }
    if let Some(a) = r.age {
        v.push(("age", a.to_string()));
    }
    for a in &r.addresses {
        v.push(("address", line_safe(&a.one_line())));
    }
    for p in &r.phones {
        v.push(("phone", line_safe(p)));
    }
    for e in &r.emails {
        v.push(("email", line_safe(e)));
    }
    v.retain(|(_, s)| !s.is_empty());
    v
}

/// The name to sign with: the first name a listing shows. The profile's
/// name is not used, so a draft never reveals a name the broker lacks.
fn signature(req: &PlannedRequest) -> Option<String> {
    req.listings
        .iter()
        .flat_map(|l| l.record.names.iter())
        .map(|n| header_safe(&n.full()))
        .find(|n| !n.is_empty())
}

fn disclosures(req: &PlannedRequest, sender_email: Option<&str>) -> Vec<Disclosure> {
    let mut out = Vec::new();
    for l in &req.listings {
        if let Some(u) = &l.url {
            out.push(Disclosure {
                kind: "listing_url".into(),
                value: u.clone(),
                shown_by: l.source_id.clone(),
            });
        }
        for (kind, value) in listing_values(l) {
            out.push(Disclosure {
                kind: kind.into(),
                value,
                shown_by: l.source_id.clone(),
            });
        }
    }
    if let Some(e) = sender_email {
        out.push(Disclosure {
            kind: "email".into(),
            value: e.to_string(),
            shown_by: "sender".into(),
        });
    }
    out.sort();
    out.dedup();
    out
}

/// Plain-text list of the listings: URL, site, and what each shows.
fn listing_lines(req: &PlannedRequest) -> Vec<String> {
    req.listings
        .iter()
        .map(|l| {
            let shows: Vec<String> = listing_values(l).into_iter().map(|(_, v)| v).collect();
            format!(
                "- {} on {}{}",
                l.url
                    .as_deref()
                    .unwrap_or("(no listing URL; search the site for the name shown)"),
                line_safe(&l.source_name),
                if shows.is_empty() {
                    String::new()
                } else {
                    format!(" (shows: {})", shows.join("; "))
                }
            )
        })
        .collect()
}

fn requirement_step(r: Requirement) -> &'static str {
    match r {
        Requirement::EmailConfirmation => {
            "E-mail confirmation: the site sends a link that must be clicked, usually within 24-72 hours. A separate address for opt-outs keeps your main one off their lists."
        }
        Requirement::IdDocument => {
            "ID document: the site asks for a copy of an ID. Black out everything except your name and photo (and the ID number if they insist); the law lets them verify you, not collect more."
        }
        Requirement::PhoneCall => {
            "Phone call: the site calls or asks you to call. Use a number the listing already shows, or ask for another verification route."
        }
        Requirement::Payment => {
            "Payment: the site asks for money. Do not pay; deletion and opt-out rights are free. Send the e-mail or letter version of this request instead."
        }
        Requirement::Captcha => "Captcha: solve it in your browser; no tool should do it for you.",
        Requirement::Account => {
            "Account: the site wants you to create an account. Use a throwaway address, and delete the account once the listing is gone."
        }
        Requirement::ListingUrl => {
            "Listing URL: the form wants the exact URL of each listing; they are listed above."
        }
    }
}

/// Renders one request as the draft its method calls for.
pub fn render(
    req: &PlannedRequest,
    request_id: i64,
    target: Option<&SourceDef>,
    profile: &Profile,
    law: &Law,
    date: NaiveDate,
) -> Result<RenderedDraft> {
    let optout = target.map(|t| t.optout.clone()).unwrap_or_default();
    match req.method {
        OptOutMethod::Email if optout.email.is_some() => {
            let sender = profile
                .emails
                .first()
                .map(|e| header_safe(e))
                .filter(|e| e.parse::<lettre::Address>().is_ok());
            let contents = render_eml(req, request_id, target, sender.as_deref(), law, date)?;
            Ok(RenderedDraft {
                file: format!("{}.eml", req.target_id),
                contents,
                discloses: disclosures(req, sender.as_deref()),
            })
        }
        OptOutMethod::Postal if optout.postal.is_some() => Ok(RenderedDraft {
            file: format!("{}-letter.txt", req.target_id),
            contents: render_letter(req, target, law, date).into_bytes(),
            discloses: disclosures(req, None),
        }),
        _ => Ok(RenderedDraft {
            file: format!("{}-checklist.md", req.target_id),
            contents: render_checklist(req, request_id, target, law, date).into_bytes(),
            discloses: disclosures(req, None),
        }),
    }
}

fn covers_line(req: &PlannedRequest) -> Option<String> {
    let fronts: Vec<&String> = req.covers.iter().filter(|c| **c != req.target_id).collect();
    (!fronts.is_empty()).then(|| {
        format!(
            "{} handles opt-outs for {}: this one request covers every listing below.",
            line_safe(&req.target_name),
            fronts
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn due_line(law: &Law, date: NaiveDate) -> String {
    let mut s = format!(
        "Deadline: {} — if sent on {date}, the answer is due by {}",
        law.deadline_text(),
        law.due(date)
    );
    if let Some(ext) = law.due_extended(date) {
        s.push_str(&format!(" (at the latest {ext} with the extension)"));
    }
    s.push('.');
    s
}

fn render_checklist(
    req: &PlannedRequest,
    request_id: i64,
    target: Option<&SourceDef>,
    law: &Law,
    date: NaiveDate,
) -> String {
    let optout = target.map(|t| t.optout.clone()).unwrap_or_default();
    let mut s = String::new();
    s.push_str(&format!(
        "# Opt-out checklist: {} (request #{request_id})\n\n",
        md(&req.target_name)
    ));
    s.push_str(&format!(
        "Route: {}. Law: {} ({}).\n\n",
        req.method.as_str(),
        law.short,
        law.name
    ));
    if let Some(c) = covers_line(req) {
        s.push_str(&format!("{}\n\n", md(&c)));
    }
    s.push_str("## Steps\n\n");
    let mut n = 1;
    let mut step = |s: &mut String, text: String| {
        s.push_str(&format!("{n}. {text}\n"));
        n += 1;
    };
    match (req.method, optout.url.as_deref().and_then(safe_url)) {
        (OptOutMethod::Account, url) => step(
            &mut s,
            format!(
                "Sign in to your account and use its privacy controls{}.",
                url.map(|u| format!(" at <{u}>")).unwrap_or_default()
            ),
        ),
        (_, Some(u)) => step(&mut s, format!("Open the opt-out page: <{u}>")),
        (_, None) => {
            let home = target.and_then(|t| safe_url(&t.homepage));
            step(
                &mut s,
                format!(
                    "No opt-out route is known for this site. Look for a privacy or \"do not sell\" link on {} and use the request text below.",
                    home.map(|h| format!("<{h}>"))
                        .unwrap_or_else(|| "its home page".into())
                ),
            )
        }
    }
    step(
        &mut s,
        "Find each listing below (paste its URL if the form asks for one) and request its removal:"
            .into(),
    );
    for l in &req.listings {
        let shows: Vec<String> = listing_values(l).into_iter().map(|(_, v)| md(&v)).collect();
        s.push_str(&format!(
            "   - {} on {}{}\n",
            l.url
                .as_deref()
                .map(|u| format!("<{u}>"))
                .unwrap_or_else(|| "(no listing URL; search for the name shown)".into()),
            md(&l.source_name),
            if shows.is_empty() {
                String::new()
            } else {
                format!(" — shows: {}", shows.join("; "))
            }
        ));
    }
    for r in &optout.requires {
        step(&mut s, requirement_step(*r).into());
    }
    if !optout.notes.is_empty() {
        step(&mut s, format!("Site notes: {}", md(&optout.notes)));
    }
    step(
        &mut s,
        "If the form has a message field, paste the request text below. Give only what the form requires; the values above are all the site already shows.".into(),
    );
    step(
        &mut s,
        format!(
            "When submitted, record it: `brokertrace optout mark-sent {request_id} --via web-form`."
        ),
    );
    s.push_str(&format!("\n{}\n\n", due_line(law, date)));
    if let Some(note) = law.drop_note() {
        s.push_str(&format!("Note: {note}\n\n"));
    }
    s.push_str("## Request text\n\n");
    s.push_str(&format!("Subject: {}\n\n", law.subject_line()));
    // The paragraphs are our own text; only the broker's name is untrusted.
    for p in law.request_paragraphs(&md(&req.target_name), date) {
        s.push_str(&format!("{p}\n\n"));
    }
    s
}

fn render_eml(
    req: &PlannedRequest,
    request_id: i64,
    target: Option<&SourceDef>,
    sender: Option<&str>,
    law: &Law,
    date: NaiveDate,
) -> Result<Vec<u8>> {
    let to_addr = target
        .and_then(|t| t.optout.email.as_deref())
        .map(header_safe)
        .unwrap_or_default();
    let to = Mailbox::new(
        Some(header_safe(&req.target_name)),
        to_addr.parse().with_context(|| {
            format!(
                "source {}: optout.email {to_addr:?} is not a valid address; fix the source file",
                req.target_id
            )
        })?,
    );
    let name = signature(req);
    let from_addr = sender.unwrap_or(PLACEHOLDER_FROM);
    let from = Mailbox::new(
        name.clone(),
        from_addr
            .parse()
            .with_context(|| format!("{from_addr:?} is not a valid sender address"))?,
    );
    let subject = header_safe(&match &name {
        Some(n) => format!("{} – {n}", law.subject_line()),
        None => law.subject_line(),
    });
    let mut body = String::from("Dear privacy team,\n\n");
    for p in law.request_paragraphs(&line_safe(&req.target_name), date) {
        body.push_str(&p);
        body.push_str("\n\n");
    }
    if let Some(c) = covers_line(req) {
        body.push_str(&c);
        body.push_str("\n\n");
    }
    body.push_str("The listings concerned:\n");
    for line in listing_lines(req) {
        body.push_str(&line);
        body.push('\n');
    }
    body.push_str("\nPlease reply to this address.\n\nKind regards,\n");
    body.push_str(name.as_deref().unwrap_or("[your name]"));
    body.push('\n');
    let sent = SystemTime::UNIX_EPOCH
        + Duration::from_secs(
            date.and_hms_opt(9, 0, 0)
                .map(|t| t.and_utc().timestamp().max(0) as u64)
                .unwrap_or(0),
        );
    let msg = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .date(sent)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .with_context(|| format!("cannot build the e-mail for request #{request_id}"))?;
    Ok(msg.formatted())
}

fn render_letter(
    req: &PlannedRequest,
    target: Option<&SourceDef>,
    law: &Law,
    date: NaiveDate,
) -> String {
    let name = signature(req);
    let postal = target
        .and_then(|t| t.optout.postal.clone())
        .unwrap_or_default();
    let operator = target
        .map(|t| {
            if t.operator.is_empty() {
                t.name.clone()
            } else {
                t.operator.clone()
            }
        })
        .unwrap_or_else(|| req.target_name.clone());
    let mut s = String::new();
    s.push_str(&format!(
        "{}\n[your postal address, for the reply]\n\n",
        name.as_deref().unwrap_or("[your name]")
    ));
    s.push_str(&line_safe(&operator));
    s.push('\n');
    for line in postal.lines() {
        s.push_str(&line_safe(line));
        s.push('\n');
    }
    s.push_str(&format!("\n{date}\n\nRe: {}\n\n", law.subject_line()));
    s.push_str("Dear Sir or Madam,\n\n");
    for p in law.request_paragraphs(&line_safe(&req.target_name), date) {
        s.push_str(&p);
        s.push_str("\n\n");
    }
    if let Some(c) = covers_line(req) {
        s.push_str(&c);
        s.push_str("\n\n");
    }
    s.push_str("The listings concerned:\n");
    for line in listing_lines(req) {
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str(&format!(
        "\nYours faithfully,\n\n\n{}\n",
        name.as_deref().unwrap_or("[your name]")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_lose_every_control_character() {
        assert_eq!(
            header_safe("Jane\r\nBcc: evil@example.com\u{0}\u{7f}\u{85}\u{2028} Doe\t"),
            "JaneBcc: evil@example.com Doe"
        );
    }

    #[test]
    fn only_http_urls_survive_normalised() {
        assert_eq!(
            safe_url(" https://a.test/p/<x> y ").as_deref(),
            Some("https://a.test/p/%3Cx%3E%20y")
        );
        assert_eq!(safe_url("javascript:alert(1)"), None);
    }

    #[test]
    fn fronts_resolve_to_the_parent_without_looping() {
        let def = |id: &str, via: Option<&str>| SourceDef {
            opt_out_via: via.map(str::to_string),
            ..SourceDef::registry(id, id, &format!("https://{id}/"))
        };
        let defs = vec![
            def("front", Some("mid")),
            def("mid", Some("top")),
            def("top", None),
            def("a", Some("b")),
            def("b", Some("a")),
        ];
        assert_eq!(opt_out_target("front", &defs), "top");
        assert_eq!(opt_out_target("unknown", &defs), "unknown");
        let looped = opt_out_target("a", &defs);
        assert!(looped == "a" || looped == "b");
    }
}
