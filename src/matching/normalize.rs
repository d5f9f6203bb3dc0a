//! Normalisers that make two spellings of the same value compare equal:
//! Unicode and diacritics ("José" = "Jose"), punctuation in names
//! ("O'Neil" = "O Neil"), phones (any format → E.164), e-mails, cities
//! ("St. Louis" = "Saint Louis"), states (name → code), streets (USPS
//! abbreviations) and ZIP codes.
//!
//! Every function is total: any input, however odd, gives a (possibly empty)
//! string, and applying a normaliser to its own output changes nothing.

use unicode_normalization::UnicodeNormalization;

use crate::geo;

/// NFKC, diacritics folded to ASCII, lower-cased; every run of characters
/// that are not letters or digits becomes one space ("  Nguyễn-Văn " →
/// "nguyen van").
pub fn fold(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    let ascii = deunicode::deunicode(&nfkc).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '\'' || c == '`' {
            // Apostrophes join ("O'Neil" → "oneil") rather than split.
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The folded tokens of a string.
pub fn tokens(s: &str) -> Vec<String> {
    fold(s)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// Generational suffixes and honorifics that say nothing about identity
/// when they sit at the end of a name part.
const SUFFIXES: [&str; 8] = ["jr", "sr", "ii", "iii", "iv", "2nd", "3rd", "esq"];
const HONORIFICS: [&str; 7] = ["mr", "mrs", "ms", "miss", "dr", "prof", "rev"];

/// A name part as one comparison key: folded, spaces and punctuation removed,
/// trailing suffixes dropped ("O'Neil" = "O Neil" = "ONEIL" → "oneil";
/// "van der Berg" → "vanderberg"; "Doe Jr." → "doe").
pub fn name_key(s: &str) -> String {
    let mut toks = tokens(s);
    while toks.len() > 1 && toks.last().is_some_and(|t| SUFFIXES.contains(&t.as_str())) {
        toks.pop();
    }
    while toks.len() > 1
        && toks
            .first()
            .is_some_and(|t| HONORIFICS.contains(&t.as_str()))
    {
        toks.remove(0);
    }
    toks.concat()
}

/// The parts of a compound family name ("Garcia-Lopez" → ["garcia",
/// "lopez"]; "de la Cruz" → ["de", "la", "cruz"]). Used only for weak
/// evidence: one part of a hyphenated name agreeing.
pub fn name_parts(s: &str) -> Vec<String> {
    tokens(s)
        .into_iter()
        .filter(|t| !SUFFIXES.contains(&t.as_str()))
        .collect()
}

/// A generational suffix in canonical form ("Jr." → "jr", "3rd" → "iii"),
/// or empty.
pub fn suffix(s: &str) -> String {
    match fold(s).replace(' ', "").as_str() {
        "jr" | "junior" => "jr".into(),
        "sr" | "senior" => "sr".into(),
        "ii" | "2nd" => "ii".into(),
        "iii" | "3rd" => "iii".into(),
        "iv" | "4th" => "iv".into(),
        _ => String::new(),
    }
}

/// The suffix hidden at the end of a name part, if any ("Doe Jr" → "jr").
pub fn trailing_suffix(s: &str) -> String {
    let toks = tokens(s);
    if toks.len() > 1 {
        toks.last().map(|t| suffix(t)).unwrap_or_default()
    } else {
        String::new()
    }
}

/// A phone in E.164 ("(415) 555-0100" → "+14155550100"); `region` is the
/// ISO country used for numbers written without a country code. Falls back
/// to "+" and the digits when the number does not parse, so two unparseable
/// spellings of the same digits still compare equal.
pub fn phone(s: &str, region: &str) -> String {
    let s = s.trim();
    // Already E.164-shaped: keep it, so the output is a fixed point.
    if let Some(rest) = s.strip_prefix('+')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        return s.to_string();
    }
    let region = region
        .parse::<phonenumber::country::Id>()
        .unwrap_or(phonenumber::country::Id::US);
    if let Ok(n) = phonenumber::parse(Some(region), s) {
        return n.format().mode(phonenumber::Mode::E164).to_string();
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        0 => String::new(),
        10 if region == phonenumber::country::Id::US => format!("+1{digits}"),
        _ => format!("+{digits}"),
    }
}

/// An e-mail address trimmed and lower-cased (local parts are
/// case-insensitive at every real provider).
pub fn email(s: &str) -> String {
    let mut cur = s.to_lowercase();
    loop {
        let next = cur.trim().trim_start_matches("mailto:").to_string();
        if next == cur {
            return cur;
        }
        cur = next;
    }
}

/// A username without its leading "@", lower-cased.
pub fn username(s: &str) -> String {
    let mut cur = s.to_lowercase();
    loop {
        let next = cur.trim().trim_start_matches('@').to_string();
        if next == cur {
            return cur;
        }
        cur = next;
    }
}

/// A city with case, diacritics, punctuation and the usual abbreviations
/// folded ("St. Louis" = "Saint Louis" → "st louis"; "Mt. Vernon" →
/// "mt vernon"; "Fort Worth" → "ft worth").
pub fn city(s: &str) -> String {
    tokens(s)
        .into_iter()
        .map(|t| match t.as_str() {
            "saint" => "st".to_string(),
            "sainte" => "ste".to_string(),
            "mount" => "mt".to_string(),
            "fort" => "ft".to_string(),
            "north" => "n".to_string(),
            "south" => "s".to_string(),
            "east" => "e".to_string(),
            "west" => "w".to_string(),
            "township" => "twp".to_string(),
            "heights" => "hts".to_string(),
            _ => t,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A US state as its two-letter code ("california" → "CA"); other regions
/// are folded and upper-cased.
pub fn state(s: &str) -> String {
    let folded = fold(s);
    match geo::state_code(s).or_else(|| geo::state_code(&folded)) {
        Some(code) => code.to_string(),
        None => folded.to_ascii_uppercase(),
    }
}

/// The first five digits of a ZIP code ("94110-1234" → "94110"); other
/// postal codes are folded with spaces removed.
pub fn zip(s: &str) -> String {
    let folded = fold(s).replace(' ', "");
    let digits = folded.bytes().take_while(u8::is_ascii_digit).count();
    if digits >= 5 {
        folded[..5].to_string()
    } else {
        folded
    }
}

/// Words that introduce a unit; the unit itself is dropped because brokers
/// show it inconsistently.
const UNIT_WORDS: [&str; 7] = ["apt", "apartment", "unit", "suite", "ste", "fl", "floor"];

/// A street line with USPS abbreviations applied and any unit dropped
/// ("12 Oak Street, Apt 3" → "12 oak st"; "400 North Main Avenue" →
/// "400 n main ave").
pub fn street(s: &str) -> String {
    // '#' starts a unit ("12 Oak St #3"); fold() would turn it into a space.
    let s = s.split('#').next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for t in tokens(s) {
        if UNIT_WORDS.contains(&t.as_str()) && !out.is_empty() {
            break;
        }
        out.push(usps(&t).to_string());
    }
    // A misspelt suffix in last place ("Oak Stret") still reads as the suffix.
    if out.len() > 2
        && let Some(last) = out.last_mut()
        && last.len() >= 4
        && let Some(abbr) = SUFFIX_WORDS
            .iter()
            .find(|(word, _)| strsim::damerau_levenshtein(word, last) == 1)
            .map(|(_, abbr)| abbr)
    {
        *last = abbr.to_string();
    }
    out.join(" ")
}

/// Full street-suffix words and their USPS abbreviations, for typo repair.
const SUFFIX_WORDS: [(&str, &str); 12] = [
    ("street", "st"),
    ("avenue", "ave"),
    ("drive", "dr"),
    ("road", "rd"),
    ("lane", "ln"),
    ("boulevard", "blvd"),
    ("court", "ct"),
    ("place", "pl"),
    ("terrace", "ter"),
    ("circle", "cir"),
    ("parkway", "pkwy"),
    ("highway", "hwy"),
];

fn usps(t: &str) -> &str {
    match t {
        "street" | "str" => "st",
        "avenue" | "av" | "aven" => "ave",
        "road" => "rd",
        "drive" | "drv" => "dr",
        "lane" => "ln",
        "boulevard" | "boul" => "blvd",
        "court" => "ct",
        "place" => "pl",
        "terrace" => "ter",
        "circle" => "cir",
        "parkway" | "pky" => "pkwy",
        "highway" => "hwy",
        "square" => "sq",
        "trail" => "trl",
        "way" => "way",
        "plaza" => "plz",
        "point" => "pt",
        "crossing" => "xing",
        "expressway" => "expy",
        "freeway" => "fwy",
        "alley" => "aly",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "northeast" => "ne",
        "northwest" => "nw",
        "southeast" => "se",
        "southwest" => "sw",
        other => other,
    }
}

/// How alike two normalised streets are: `Exact`, `Near` (same house number,
/// the rest differs by a typo or two), or `Different`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreetAgreement {
    /// Identical after normalisation.
    Exact,
    /// Same house number, street name within a small edit distance.
    Near,
    /// Anything else.
    Different,
}

/// Compares two streets already passed through [`street`].
pub fn compare_streets(a: &str, b: &str) -> StreetAgreement {
    if a.is_empty() || b.is_empty() {
        return StreetAgreement::Different;
    }
    if a == b {
        return StreetAgreement::Exact;
    }
    let (na, ra) = a.split_once(' ').unwrap_or((a, ""));
    let (nb, rb) = b.split_once(' ').unwrap_or((b, ""));
    let numbered = na.chars().any(|c| c.is_ascii_digit());
    if !numbered || na != nb || ra.is_empty() || rb.is_empty() {
        return StreetAgreement::Different;
    }
    // One typo (two in a long name) in one word of at least five letters:
    // "Oak" vs "Oat" is a different street far more often than a typo.
    let (ta, tb): (Vec<&str>, Vec<&str>) = (ra.split(' ').collect(), rb.split(' ').collect());
    if ta.len() != tb.len() {
        return StreetAgreement::Different;
    }
    let differing: Vec<(&str, &str)> = ta
        .iter()
        .zip(&tb)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    let near = match differing.as_slice() {
        [(x, y)] => {
            let len = x.len().min(y.len());
            let allowed = if len >= 10 { 2 } else { 1 };
            len >= 5
                && !x.chars().any(|c| c.is_ascii_digit())
                && strsim::damerau_levenshtein(x, y) <= allowed
        }
        _ => false,
    };
    if near {
        StreetAgreement::Near
    } else {
        StreetAgreement::Different
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_diacritics_case_and_punctuation() {
        assert_eq!(fold("José"), "jose");
        assert_eq!(fold("Nguyễn"), "nguyen");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("  Mary-Ann  "), "mary ann");
        assert_eq!(fold("ｊａｎｅ"), "jane");
    }

    #[test]
    fn name_keys_ignore_apostrophes_spaces_and_suffixes() {
        assert_eq!(name_key("O'Neil"), "oneil");
        assert_eq!(name_key("O Neil"), "oneil");
        assert_eq!(name_key("ONeil"), "oneil");
        assert_eq!(name_key("O’Neil"), "oneil");
        assert_eq!(name_key("van der Berg"), "vanderberg");
        assert_eq!(name_key("Doe Jr."), "doe");
        assert_eq!(name_key("Dr. Jane"), "jane");
        assert_eq!(name_parts("Garcia-Lopez"), ["garcia", "lopez"]);
        assert_eq!(trailing_suffix("Doe III"), "iii");
        assert_eq!(suffix("Jr."), "jr");
    }

    #[test]
    fn phones_become_e164() {
        for p in [
            "(415) 555-0123",
            "415.555.0123",
            "415-555-0123",
            "+1 415 555 0123",
            "1-415-555-0123",
            "4155550123",
        ] {
            assert_eq!(phone(p, "US"), "+14155550123", "{p}");
        }
        assert_eq!(phone("", "US"), "");
    }

    #[test]
    fn cities_states_zips_streets() {
        assert_eq!(city("St. Louis"), city("Saint Louis"));
        assert_eq!(city("Mt Vernon"), city("Mount Vernon"));
        assert_eq!(city("FORT WORTH"), city("Ft. Worth"));
        assert_eq!(city("San José"), "san jose");
        assert_eq!(state("california"), "CA");
        assert_eq!(state("Ca"), "CA");
        assert_eq!(zip("94110-1234"), "94110");
        assert_eq!(street("12 Oak Street, Apt 3"), "12 oak st");
        assert_eq!(street("12 Oak St #3"), "12 oak st");
        assert_eq!(street("400 North Main Avenue"), "400 n main ave");
        assert_eq!(email(" Jane@Example.COM "), "jane@example.com");
        assert_eq!(username("@JaneQ"), "janeq");
    }

    #[test]
    fn street_typos_are_near_but_other_streets_are_not() {
        let s = |a: &str, b: &str| compare_streets(&street(a), &street(b));
        assert_eq!(s("12 Oak St", "12 Oak Street"), StreetAgreement::Exact);
        assert_eq!(
            s("1208 Wisteria Lane", "1208 Wistera Ln"),
            StreetAgreement::Near
        );
        assert_eq!(s("12 Oak Stret", "12 Oak Street"), StreetAgreement::Exact);
        assert_eq!(s("40 Maple Ave", "40 Mapel Ave"), StreetAgreement::Near);
        assert_eq!(s("12 Oak St", "12 Oat St"), StreetAgreement::Different);
        assert_eq!(s("12 Oak St", "12 Oak Ave"), StreetAgreement::Different);
        assert_eq!(
            s("1208 Wisteria Ln", "1210 Wisteria Ln"),
            StreetAgreement::Different
        );
    }

    proptest! {
        #[test]
        fn normalisers_are_idempotent_and_total(s in "\\PC{0,40}") {
            prop_assert_eq!(fold(&fold(&s)), fold(&s));
            prop_assert_eq!(name_key(&name_key(&s)), name_key(&s));
            prop_assert_eq!(city(&city(&s)), city(&s));
            prop_assert_eq!(street(&street(&s)), street(&s));
            prop_assert_eq!(email(&email(&s)), email(&s));
            prop_assert_eq!(zip(&zip(&s)), zip(&s));
            prop_assert_eq!(state(&state(&s)), state(&s));
            let p = phone(&s, "US");
            prop_assert_eq!(phone(&p, "US"), p);
        }

        #[test]
        fn phone_formats_agree(area in 201u32..989, line in 100u32..199) {
            let e164 = format!("+1{area}555{line:04}");
            let a = phone(&format!("({area}) 555-{line:04}"), "US");
            let b = phone(&format!("{area}.555.{line:04}"), "US");
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(&a, &e164);
        }
    }
}
