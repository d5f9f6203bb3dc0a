//! Typed parsers for the strings pages show: names, ages, birth dates,
//! phones, US addresses, e-mails and relatives lists.
//!
//! Every parser takes untrusted text, never panics, and returns `None` (or
//! an empty list) rather than a guess when the text is not what it expects.

use std::sync::LazyLock;

use regex::Regex;

use crate::geo;
use crate::model::{Address, PersonName};

fn re(p: &str) -> Regex {
    Regex::new(p).expect("built-in pattern compiles")
}

// ------------------------------------------------------------------ names

const PREFIXES: &[&str] = &["dr", "mr", "mrs", "ms", "miss", "mx", "prof", "rev", "sir"];
const SUFFIXES: &[(&str, &str)] = &[
    ("jr", "Jr"),
    ("sr", "Sr"),
    ("ii", "II"),
    ("iii", "III"),
    ("iv", "IV"),
    ("v", "V"),
];
/// Lower-case words that start a family name ("van der Berg", "de la Cruz").
const PARTICLES: &[&str] = &[
    "van", "von", "de", "del", "della", "dela", "da", "di", "du", "dos", "das", "der", "den",
    "ter", "ten", "le", "la", "st", "st.", "ste", "ste.", "saint", "bin", "ibn",
];

fn bare(w: &str) -> String {
    w.trim_matches(|c: char| c == '.' || c == ',')
        .to_ascii_lowercase()
}

fn suffix_of(w: &str) -> Option<&'static str> {
    let b = bare(w);
    SUFFIXES.iter().find(|(k, _)| *k == b).map(|(_, v)| *v)
}

/// Parses a displayed name in any common order: "Jane Q. Doe",
/// "DOE, JANE Q", "Dr. Jane van der Berg Jr.", "O'Neil, Sean". Prefixes are
/// dropped, suffixes go to [`PersonName::suffix`], an initial loses its
/// period, and ALL-CAPS (or all-lower-case) names are title-cased.
pub fn name(s: &str) -> Option<PersonName> {
    // Parenthesised asides, quoted nicknames and "Age 42" tails are not name parts.
    static PAREN: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(?i)\([^)]*\)|"[^"]*"|“[^”]*”|\bage[ds]?\b\s*:?\s*\d{1,3}\b"#));
    let s = PAREN.replace_all(s, " ");
    let s: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    if s.contains('@') || s.contains("://") {
        return None;
    }
    let fix_case = {
        let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
        !letters.is_empty()
            && (letters.iter().all(|c| !c.is_lowercase())
                || letters.iter().all(|c| !c.is_uppercase()))
    };
    // "Doe, Jane" vs "Jane Doe, Jr.": a comma reorders unless only a suffix follows it.
    let mut suffix = String::new();
    let mut parts: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|p| p.chars().any(char::is_alphabetic))
        .collect();
    while parts.len() > 1 {
        match parts.last().and_then(|p| suffix_of(p)) {
            Some(sfx) => {
                suffix = sfx.to_string();
                parts.pop();
            }
            None => break,
        }
    }
    let words: Vec<String> = if parts.len() >= 2 {
        // "Last, First Middle" (anything after a second comma is ignored).
        let mut w: Vec<String> = parts[1].split_whitespace().map(String::from).collect();
        let last: Vec<String> = parts[0].split_whitespace().map(String::from).collect();
        // "Doe Jr, Jane"
        let mut last = last;
        if last.len() > 1
            && let Some(sfx) = last.last().and_then(|w| suffix_of(w))
        {
            suffix = sfx.to_string();
            last.pop();
        }
        w.retain(|x| {
            if let Some(sfx) = suffix_of(x).filter(|_| suffix.is_empty() && bare(x) != "v") {
                suffix = sfx.to_string();
                false
            } else {
                true
            }
        });
        strip_prefixes(&mut w);
        if w.is_empty() || last.is_empty() {
            return None;
        }
        let first = w.remove(0);
        return build(&first, &w, &last, &suffix, fix_case);
    } else {
        parts
            .first()?
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let mut words = words;
    strip_prefixes(&mut words);
    words.retain(|w| {
        !w.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
    });
    // Trailing suffixes; a lone "V" only counts after at least first + last.
    while words.len() > 2 {
        let w = words.last().map(String::as_str).unwrap_or_default();
        match suffix_of(w) {
            Some(sfx) if suffix.is_empty() => {
                suffix = sfx.to_string();
                words.pop();
            }
            _ => break,
        }
    }
    if words.len() < 2 {
        return None;
    }
    let first = words.remove(0);
    // The family name starts at the first particle after the given name,
    // unless that particle is the very last word.
    let split = words
        .iter()
        .position(|w| PARTICLES.contains(&w.to_lowercase().as_str()))
        .filter(|&i| i + 1 < words.len())
        .unwrap_or(words.len() - 1);
    let last = words.split_off(split);
    build(&first, &words, &last, &suffix, fix_case)
}

fn strip_prefixes(w: &mut Vec<String>) {
    while w.len() > 1 && PREFIXES.contains(&bare(&w[0]).as_str()) {
        w.remove(0);
    }
}

fn build(
    first: &str,
    middle: &[String],
    last: &[String],
    suffix: &str,
    fix_case: bool,
) -> Option<PersonName> {
    let clean = |w: &str| -> String {
        let w = w.trim_matches(|c: char| c == ',' || c == ';');
        // "Q." is an initial; keep periods inside words ("St.").
        let w = if w.chars().filter(|c| c.is_alphabetic()).count() == 1 {
            w.trim_end_matches('.')
        } else {
            w
        };
        if fix_case {
            title_word(w)
        } else {
            w.to_string()
        }
    };
    let first = clean(first);
    let middle: Vec<String> = middle
        .iter()
        .map(|w| clean(w))
        .filter(|w| !w.is_empty())
        .collect();
    let last: Vec<String> = last
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let c = clean(w);
            // Particles before the final word stay lower-case when re-cased.
            if fix_case && i + 1 < last.len() && PARTICLES.contains(&c.to_lowercase().as_str()) {
                c.to_lowercase()
            } else {
                c
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    let has_letter = |s: &str| s.chars().any(char::is_alphabetic);
    let has_digit = |s: &str| s.chars().any(|c| c.is_ascii_digit());
    // Digits mean an address or an age got in, not a name.
    if !has_letter(&first)
        || last.is_empty()
        || !last.iter().any(|w| has_letter(w))
        || has_digit(&first)
        || last.iter().chain(&middle).any(|w| has_digit(w))
    {
        return None;
    }
    let mut n = PersonName::new(&first, &middle.join(" "), &last.join(" "));
    n.suffix = suffix.to_string();
    Some(n)
}

/// "SMITH-JONES" → "Smith-Jones", "O'NEIL" → "O'Neil", "MCDONALD" → "McDonald".
fn title_word(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut up = true;
    for c in w.chars() {
        if up {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        up = !c.is_alphabetic();
    }
    if out.len() > 3 && out.starts_with("Mc") {
        let rest: String = out[2..].to_string();
        let mut cs = rest.chars();
        if let Some(c) = cs.next() {
            out = format!("Mc{}{}", c.to_uppercase(), cs.as_str());
        }
    }
    out
}

// ------------------------------------------------------------------ ages

/// Parses an age: "Age 42", "Age: 42", "42 years old", "42 yrs", "(42)",
/// "42". Four-digit numbers are years, not ages ("born 1984" → `None`).
pub fn age(s: &str) -> Option<u32> {
    static LABELLED: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\bage[ds]?\b\s*[:\-]?\s*(\d{1,3})\b"));
    static YEARS: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\b(\d{1,3})\s*(?:years?|yrs?|y/o|yo)\b"));
    static PAREN: LazyLock<Regex> = LazyLock::new(|| re(r"\(\s*(\d{1,3})\s*\)"));
    static BARE: LazyLock<Regex> = LazyLock::new(|| re(r"^\D*?\b(\d{1,3})\b\D*$"));
    let ok = |n: &str| n.parse::<u32>().ok().filter(|a| (1..=125).contains(a));
    for r in [&*LABELLED, &*YEARS, &*PAREN] {
        if let Some(c) = r.captures(s) {
            return ok(&c[1]);
        }
    }
    let lower = s.to_lowercase();
    if lower.contains("born") || lower.contains("birth") {
        return None;
    }
    BARE.captures(s).and_then(|c| ok(&c[1]))
}

/// A birth year, and the full date when the text gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Birth {
    /// Four-digit year.
    pub year: i32,
    /// ISO `YYYY-MM-DD`, when day and month are shown.
    pub date: Option<String>,
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses a birth date or year: "born 1984", "Born May 1984", "1984-05-17",
/// "05/17/1984" (US order), "May 17, 1984", "17 May 1984", "b. 1984".
pub fn birth(s: &str) -> Option<Birth> {
    static ISO: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"));
    static US: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"));
    static MDY: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"));
    static DMY: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?,?\s+(\d{4})\b"));
    static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b(1[89]\d\d|20\d\d)\b"));
    let month = |m: &str| -> Option<u32> {
        let m = m.to_lowercase();
        let i = MONTHS.iter().position(|p| m.starts_with(p))?;
        // "mar" must not accept "marry", only real month spellings.
        let full = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ][i];
        (full.starts_with(&m) || m == "sept").then_some(i as u32 + 1)
    };
    let date = |y: &str, m: u32, d: &str| -> Option<Birth> {
        let y: i32 = y.parse().ok()?;
        let d: u32 = d.parse().ok()?;
        let nd = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
        plausible_year(y)?;
        Some(Birth {
            year: y,
            date: Some(nd.format("%Y-%m-%d").to_string()),
        })
    };
    if let Some(c) = ISO.captures(s)
        && let Some(b) = c[2].parse().ok().and_then(|m| date(&c[1], m, &c[3]))
    {
        return Some(b);
    }
    if let Some(c) = US.captures(s)
        && let Some(b) = c[1].parse().ok().and_then(|m| date(&c[3], m, &c[2]))
    {
        return Some(b);
    }
    if let Some(c) = MDY.captures(s)
        && let Some(b) = month(&c[1]).and_then(|m| date(&c[3], m, &c[2]))
    {
        return Some(b);
    }
    if let Some(c) = DMY.captures(s)
        && let Some(b) = month(&c[2]).and_then(|m| date(&c[3], m, &c[1]))
    {
        return Some(b);
    }
    let y: i32 = YEAR.captures(s)?[1].parse().ok()?;
    plausible_year(y).map(|y| Birth {
        year: y,
        date: None,
    })
}

fn plausible_year(y: i32) -> Option<i32> {
    use chrono::Datelike;
    let now = chrono::Utc::now().year();
    (1890..=now).contains(&y).then_some(y)
}

// ------------------------------------------------------------------ phones

/// Parses a phone number into E.164 ("+14155550100"). National numbers are
/// read as US; "+44 …" style numbers keep their country. Junk (too few or
/// too many digits, letters, impossible area codes) gives `None`.
pub fn phone(s: &str) -> Option<String> {
    static EXT: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\s*(?:ext\.?|extension|x|#)\s*\d{1,6}\s*$"));
    let s = s.trim();
    let s = s
        .strip_prefix("tel:")
        .or_else(|| s.strip_prefix("TEL:"))
        .unwrap_or(s);
    let s = EXT.replace(s, "");
    // Letters mean prose or a vanity number; either way not something to match on.
    if s.chars().any(|c| c.is_alphabetic()) {
        return None;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c))
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if !(10..=15).contains(&digits.len()) {
        return None;
    }
    let n = phonenumber::parse(Some(phonenumber::country::Id::US), s.as_ref()).ok()?;
    let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
    if n.code().value() == 1 {
        // NANP: libphonenumber rejects the reserved 555-01xx block that
        // examples and tests use, so check the structure instead.
        let nat = e164.strip_prefix("+1")?;
        let b = nat.as_bytes();
        let ok = nat.len() == 10
            && (b'2'..=b'9').contains(&b[0])
            && (b'2'..=b'9').contains(&b[3])
            && !(b[1] == b'1' && b[2] == b'1');
        return ok.then_some(e164);
    }
    n.is_valid().then_some(e164)
}

// ------------------------------------------------------------------ addresses

/// USPS street suffixes (Publication 28, common subset): written form → abbreviation.
const STREET_SUFFIXES: &[(&str, &str)] = &[
    ("alley", "Aly"),
    ("aly", "Aly"),
    ("avenue", "Ave"),
    ("ave", "Ave"),
    ("av", "Ave"),
    ("boulevard", "Blvd"),
    ("blvd", "Blvd"),
    ("circle", "Cir"),
    ("cir", "Cir"),
    ("court", "Ct"),
    ("ct", "Ct"),
    ("cove", "Cv"),
    ("crescent", "Cres"),
    ("creek", "Crk"),
    ("crossing", "Xing"),
    ("drive", "Dr"),
    ("dr", "Dr"),
    ("expressway", "Expy"),
    ("freeway", "Fwy"),
    ("grove", "Grv"),
    ("harbor", "Hbr"),
    ("heights", "Hts"),
    ("highway", "Hwy"),
    ("hwy", "Hwy"),
    ("hill", "Hl"),
    ("hollow", "Holw"),
    ("junction", "Jct"),
    ("lake", "Lk"),
    ("landing", "Lndg"),
    ("lane", "Ln"),
    ("ln", "Ln"),
    ("loop", "Loop"),
    ("meadows", "Mdws"),
    ("mountain", "Mtn"),
    ("parkway", "Pkwy"),
    ("pkwy", "Pkwy"),
    ("pike", "Pike"),
    ("place", "Pl"),
    ("pl", "Pl"),
    ("plaza", "Plz"),
    ("point", "Pt"),
    ("ridge", "Rdg"),
    ("road", "Rd"),
    ("rd", "Rd"),
    ("route", "Rte"),
    ("run", "Run"),
    ("square", "Sq"),
    ("sq", "Sq"),
    ("station", "Sta"),
    ("street", "St"),
    ("str", "St"),
    ("st", "St"),
    ("terrace", "Ter"),
    ("ter", "Ter"),
    ("trail", "Trl"),
    ("trl", "Trl"),
    ("turnpike", "Tpke"),
    ("valley", "Vly"),
    ("view", "Vw"),
    ("village", "Vlg"),
    ("way", "Way"),
    ("walk", "Walk"),
    ("path", "Path"),
];
const UNITS: &[(&str, &str)] = &[
    ("apartment", "Apt"),
    ("apt", "Apt"),
    ("suite", "Ste"),
    ("ste", "Ste"),
    ("unit", "Unit"),
    ("building", "Bldg"),
    ("bldg", "Bldg"),
    ("floor", "Fl"),
    ("fl", "Fl"),
    ("room", "Rm"),
    ("rm", "Rm"),
    ("lot", "Lot"),
    ("space", "Spc"),
    ("trailer", "Trlr"),
    ("#", "#"),
];
const DIRECTIONS: &[(&str, &str)] = &[
    ("north", "N"),
    ("south", "S"),
    ("east", "E"),
    ("west", "W"),
    ("northeast", "NE"),
    ("northwest", "NW"),
    ("southeast", "SE"),
    ("southwest", "SW"),
    ("n", "N"),
    ("s", "S"),
    ("e", "E"),
    ("w", "W"),
    ("ne", "NE"),
    ("nw", "NW"),
    ("se", "SE"),
    ("sw", "SW"),
];

fn lookup(table: &[(&str, &'static str)], w: &str) -> Option<&'static str> {
    let b = w.trim_end_matches(['.', ',']).to_lowercase();
    table.iter().find(|(k, _)| *k == b).map(|(_, v)| *v)
}

/// Normalises a street line to USPS style: "123 north main street apartment 4"
/// → "123 N Main St Apt 4". Only the street-type word, the directionals
/// next to it and the unit designator are abbreviated, so "Park Avenue"
/// stays "Park Ave" and "Court Street" becomes "Court St".
pub fn street(s: &str) -> String {
    let s = s.replace(',', " ");
    let mut w: Vec<String> = s.split_whitespace().map(String::from).collect();
    if w.is_empty() {
        return String::new();
    }
    let all_caps = !s.chars().any(char::is_lowercase);
    if all_caps {
        for x in &mut w {
            *x = title_word(x);
        }
    }
    // "#4" and "Apt4"-style units split off first.
    let unit_at = w
        .iter()
        .position(|x| lookup(UNITS, x).is_some() && x != "#" || x.starts_with('#'))
        .filter(|&i| i > 0);
    let (mut main, unit) = match unit_at {
        Some(i) => {
            let unit = w.split_off(i);
            (w, unit)
        }
        None => (w, Vec::new()),
    };
    // The street type is the last suffix word that is not the first word
    // after the house number ("100 Court Street": Court is the name).
    let sfx = main
        .iter()
        .enumerate()
        .rev()
        .find(|(i, x)| *i >= 2 && lookup(STREET_SUFFIXES, x).is_some())
        .map(|(i, _)| i)
        .or_else(|| {
            (main.len() >= 2 && lookup(STREET_SUFFIXES, &main[main.len() - 1]).is_some())
                .then(|| main.len() - 1)
        });
    if let Some(i) = sfx {
        main[i] = lookup(STREET_SUFFIXES, &main[i])
            .unwrap_or_default()
            .to_string();
        if let Some(d) = main.get(i + 1).and_then(|x| lookup(DIRECTIONS, x)) {
            main[i + 1] = d.to_string();
        }
    }
    let house = main
        .first()
        .is_some_and(|x| x.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let pre = usize::from(house);
    if main.len() > pre + 2
        && let Some(d) = lookup(DIRECTIONS, &main[pre])
    {
        main[pre] = d.to_string();
    }
    let mut out = main.join(" ");
    if !unit.is_empty() {
        let first = &unit[0];
        let (designator, rest) = if let Some(num) = first.strip_prefix('#') {
            ("#", num.to_string())
        } else {
            (lookup(UNITS, first).unwrap_or("#"), String::new())
        };
        let mut parts = vec![designator.to_string()];
        if !rest.is_empty() {
            parts.push(rest);
        }
        parts.extend(
            unit[1..]
                .iter()
                .map(|x| x.trim_start_matches('#').to_string())
                .filter(|x| !x.is_empty()),
        );
        out.push(' ');
        // "#3", but "Apt 3".
        if designator == "#" && parts.len() > 1 {
            out.push('#');
            out.push_str(&parts[1..].join(" "));
        } else {
            out.push_str(&parts.join(" "));
        }
    }
    out.trim_end_matches('.').to_string()
}

/// Parses a US address: "12 Oak Street Apt 3, San Francisco, CA 94110",
/// "12 Oak St San Francisco California 94110-1234", or a "City, ST" line
/// without street. The state must be a known code or full name.
pub fn address(s: &str) -> Option<Address> {
    static ZIP: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{5})(?:-?(\d{4}))?$"));
    static COUNTRY: LazyLock<Regex> = LazyLock::new(|| {
        re(r"(?i)[,\s]*\b(?:usa|u\.s\.a\.?|united states(?: of america)?|us)\.?\s*$")
    });
    let s: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let s = COUNTRY.replace(s.trim(), "").to_string();
    // Tokens with commas kept as their own tokens.
    let spaced = s.replace(',', " , ");
    let mut toks: Vec<&str> = spaced.split_whitespace().collect();
    while toks.last() == Some(&",") {
        toks.pop();
    }
    let mut zip = String::new();
    if let Some(c) = toks.last().and_then(|t| ZIP.captures(t)) {
        zip = match c.get(2) {
            Some(p4) => format!("{}-{}", &c[1], p4.as_str()),
            None => c[1].to_string(),
        };
        toks.pop();
        while toks.last() == Some(&",") {
            toks.pop();
        }
    }
    // State: the longest run of 1–3 trailing words that names a state.
    let mut state = None;
    for n in (1..=3.min(toks.len())).rev() {
        let cand = toks[toks.len() - n..].join(" ");
        if cand.contains(',') {
            continue;
        }
        let cand = cand.trim_end_matches('.').replace('.', "");
        if let Some(code) = geo::state_code(&cand) {
            state = Some(code);
            toks.truncate(toks.len() - n);
            break;
        }
    }
    let state = state?;
    while toks.last() == Some(&",") {
        toks.pop();
    }
    let segments: Vec<String> = toks
        .split(|t| *t == ",")
        .map(|seg| seg.join(" "))
        .filter(|s| !s.is_empty())
        .collect();
    let (street_part, city) = match segments.len() {
        0 => (String::new(), String::new()),
        1 => split_street_city(&segments[0]),
        _ => {
            let city = segments[segments.len() - 1].clone();
            (segments[..segments.len() - 1].join(" "), city)
        }
    };
    if city.is_empty() && street_part.is_empty() {
        return None;
    }
    if city.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let city = if !city.chars().any(char::is_lowercase) {
        city.split_whitespace()
            .map(title_word)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        city
    };
    Some(Address {
        street: street(&street_part),
        city,
        state: state.to_string(),
        zip,
        country: "US".into(),
    })
}

/// "12 Oak St Apt 3 San Francisco" → ("12 Oak St Apt 3", "San Francisco");
/// a segment that does not start with a house number is all city.
fn split_street_city(seg: &str) -> (String, String) {
    let w: Vec<&str> = seg.split_whitespace().collect();
    if !w
        .first()
        .is_some_and(|x| x.chars().next().is_some_and(|c| c.is_ascii_digit()))
    {
        return (String::new(), seg.to_string());
    }
    let Some(mut end) = w
        .iter()
        .enumerate()
        .skip(2)
        .find(|(_, x)| lookup(STREET_SUFFIXES, x).is_some())
        .map(|(i, _)| i + 1)
    else {
        return (seg.to_string(), String::new());
    };
    if w.get(end).and_then(|x| lookup(DIRECTIONS, x)).is_some() && w.len() > end + 1 {
        end += 1;
    }
    if let Some(x) = w.get(end)
        && (lookup(UNITS, x).is_some() || x.starts_with('#'))
    {
        end += if x.len() > 1 && x.starts_with('#') {
            1
        } else {
            2
        };
    }
    let end = end.min(w.len());
    (w[..end].join(" "), w[end..].join(" "))
}

// ------------------------------------------------------------------ e-mails

/// Parses an e-mail address: strips `mailto:` and any `?subject=…`, undoes
/// "[at]"/"[dot]" obfuscation, lower-cases and validates the shape.
pub fn email(s: &str) -> Option<String> {
    static SHAPE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$",
        )
    });
    static OBF: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\s*[\[(]\s*(at|dot)\s*[\])]\s*"));
    let mut s = s.trim().to_lowercase();
    if let Some(rest) = s.strip_prefix("mailto:") {
        s = rest.to_string();
    }
    if let Some((addr, _)) = s.split_once('?') {
        s = addr.to_string();
    }
    let s = OBF.replace_all(
        &s,
        |c: &regex::Captures<'_>| {
            if &c[1] == "at" { "@" } else { "." }
        },
    );
    let s = s.trim().trim_matches(|c| c == '<' || c == '>');
    SHAPE.is_match(s).then(|| s.to_string())
}

// ------------------------------------------------------------------ relatives

/// Splits a relatives line ("Related to: John Doe (45), Mary Doe • Sam Roe")
/// into names, dropping ages, labels and entries without letters.
pub fn relatives(s: &str) -> Vec<String> {
    static SEP: LazyLock<Regex> = LazyLock::new(|| re(r"\s*(?:[,;|•·\n]|\band\b)\s*"));
    static NOISE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)\(\s*\d{1,3}\s*\)|\bage[ds]?\b\s*:?\s*\d{1,3}|\b\d{1,3}\s*(?:years?|yrs?)(?:\s+old)?\b",
        )
    });
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)^\s*(?:related\s+to|relatives?|associates?|may\s+know|known\s+associates|family)\s*:?\s*",
        )
    });
    let s = LABEL.replace(s, "");
    let mut out: Vec<String> = Vec::new();
    for part in SEP.split(&s) {
        let p = NOISE.replace_all(part, " ");
        let p =
            p.trim_matches(|c: char| c.is_whitespace() || c.is_ascii_digit() || "-:.".contains(c));
        let p: String = p.split_whitespace().collect::<Vec<_>>().join(" ");
        if p.chars().any(char::is_alphabetic)
            && !p.eq_ignore_ascii_case("more")
            && !p.to_lowercase().starts_with("view ")
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> (String, String, String, String) {
        let p = name(s).unwrap_or_else(|| panic!("{s:?} should parse"));
        (p.first, p.middle, p.last, p.suffix)
    }

    #[test]
    fn names_in_any_order() {
        let t = |f: &str, m: &str, l: &str, x: &str| {
            (f.to_string(), m.to_string(), l.to_string(), x.to_string())
        };
        let cases = [
            ("Jane Q Doe", t("Jane", "Q", "Doe", "")),
            ("DOE, JANE Q", t("Jane", "Q", "Doe", "")),
            ("Doe, Jane Q.", t("Jane", "Q", "Doe", "")),
            ("Jane Q. Doe Jr.", t("Jane", "Q", "Doe", "Jr")),
            ("Jane Doe, Jr.", t("Jane", "", "Doe", "Jr")),
            ("Doe Jr, Jane", t("Jane", "", "Doe", "Jr")),
            ("Doe, Jane III", t("Jane", "", "Doe", "III")),
            ("Robert Smith IV", t("Robert", "", "Smith", "IV")),
            (
                "Dr. Anna Maria van der Berg",
                t("Anna", "Maria", "van der Berg", ""),
            ),
            ("Mrs Rosa della Costa", t("Rosa", "", "della Costa", "")),
            ("LUIS DE LA CRUZ", t("Luis", "", "de la Cruz", "")),
            ("Sean O'Neil", t("Sean", "", "O'Neil", "")),
            ("SEAN O'NEIL", t("Sean", "", "O'Neil", "")),
            ("ANGUS MCDONALD", t("Angus", "", "McDonald", "")),
            (
                "Mary-Kate Smith-Jones",
                t("Mary-Kate", "", "Smith-Jones", ""),
            ),
            ("Pat St. James", t("Pat", "", "St. James", "")),
            ("José Núñez", t("José", "", "Núñez", "")),
            ("Jane \"JJ\" Doe (42)", t("Jane", "", "Doe", "")),
            ("Mr. John V", t("John", "", "V", "")),
            ("Jane Doe, 42", t("Jane", "", "Doe", "")),
            ("Jane Doe Age 42", t("Jane", "", "Doe", "")),
            ("Jane Doe, Age: 42", t("Jane", "", "Doe", "")),
        ];
        for (input, want) in cases {
            assert_eq!(n(input), want, "{input}");
        }
        for junk in [
            "",
            "Jane",
            "Mr.",
            "jane@example.com",
            "12345",
            "Age 42",
            ", ,",
            "400 West 5th Street, Miami",
            "Jane D0e",
        ] {
            assert_eq!(name(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn ages_and_births() {
        for (s, want) in [
            ("Age 42", Some(42)),
            ("Age: 42", Some(42)),
            ("AGE 42", Some(42)),
            ("42 years old", Some(42)),
            ("42 yrs", Some(42)),
            ("Jane Doe (42)", Some(42)),
            ("42", Some(42)),
            ("Jane Doe, Age 42 (born 1984)", Some(42)),
            ("born 1984", None),
            ("1984", None),
            ("Age unknown", None),
            ("Age 0", None),
            ("Age 300", None),
            ("", None),
        ] {
            assert_eq!(age(s), want, "{s:?}");
        }
        let b = |y: i32, d: Option<&str>| {
            Some(Birth {
                year: y,
                date: d.map(String::from),
            })
        };
        for (s, want) in [
            ("born 1984", b(1984, None)),
            ("Born May 1984", b(1984, None)),
            ("1984-05-17", b(1984, Some("1984-05-17"))),
            ("05/17/1984", b(1984, Some("1984-05-17"))),
            ("5/7/1984", b(1984, Some("1984-05-07"))),
            ("May 17, 1984", b(1984, Some("1984-05-17"))),
            ("17 May 1984", b(1984, Some("1984-05-17"))),
            ("Sept 3rd, 1990", b(1990, Some("1990-09-03"))),
            ("1984-02-30", b(1984, None)),
            ("born 1750", None),
            ("Age 42", None),
        ] {
            assert_eq!(birth(s), want, "{s:?}");
        }
    }

    #[test]
    fn phones_to_e164() {
        for s in [
            "(415) 555-0123",
            "415-555-0123",
            "415.555.0123",
            "4155550123",
            "+1 415 555 0123",
            "1-415-555-0123",
            "+1 (415) 555-0123 ext. 12",
            "tel:+14155550123",
        ] {
            assert_eq!(phone(s).as_deref(), Some("+14155550123"), "{s:?}");
        }
        assert_eq!(phone("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        for junk in [
            "",
            "555-0123",
            "call 415-555-0123",
            "123-456-7890",
            "415-555-01234567",
            "000-000-0000",
            "94110-1234",
            "1-800-FLOWERS",
        ] {
            assert_eq!(phone(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn us_addresses() {
        let a = |st: &str, c: &str, s: &str, z: &str| Address {
            street: st.into(),
            city: c.into(),
            state: s.into(),
            zip: z.into(),
            country: "US".into(),
        };
        for (input, want) in [
            (
                "12 Oak Street, San Francisco, CA 94110",
                a("12 Oak St", "San Francisco", "CA", "94110"),
            ),
            (
                "12 Oak Street Apartment 3, San Francisco, California 94110-1234",
                a("12 Oak St Apt 3", "San Francisco", "CA", "94110-1234"),
            ),
            (
                "12 Oak St #3 San Francisco CA 941101234",
                a("12 Oak St #3", "San Francisco", "CA", "94110-1234"),
            ),
            (
                "500 north main avenue suite 200, Austin, TX",
                a("500 N main Ave Ste 200", "Austin", "TX", ""),
            ),
            (
                "100 Court Street, Brooklyn, NY 11201, USA",
                a("100 Court St", "Brooklyn", "NY", "11201"),
            ),
            (
                "9 PARK AVENUE SOUTH, NEW YORK, NY",
                a("9 Park Ave S", "New York", "NY", ""),
            ),
            ("Austin, TX", a("", "Austin", "TX", "")),
            ("Charleston, West Virginia", a("", "Charleston", "WV", "")),
            ("Washington, D.C. 20001", a("", "Washington", "DC", "20001")),
            ("Seattle WA", a("", "Seattle", "WA", "")),
        ] {
            assert_eq!(address(input), Some(want), "{input}");
        }
        for junk in ["", "Austin", "Springfield, ZZ", "CA", "12345"] {
            assert_eq!(address(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn emails_and_relatives() {
        assert_eq!(
            email("mailto:Jane.Doe@Example.com?subject=hi").as_deref(),
            Some("jane.doe@example.com")
        );
        assert_eq!(
            email(" jane [at] example [dot] com ").as_deref(),
            Some("jane@example.com")
        );
        for junk in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "a b@example.com",
        ] {
            assert_eq!(email(junk), None, "{junk:?}");
        }
        assert_eq!(
            relatives("Related to: John Doe (45), Mary Doe, Age 40 • Sam Roe and Ann Roe, 3 more"),
            ["John Doe", "Mary Doe", "Sam Roe", "Ann Roe"]
        );
    }
}
