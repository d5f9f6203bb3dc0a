//! Search URL templates: `https://site/{first|lower}-{last|lower}/{state}`.
//!
//! A placeholder is `{name}` or `{name|transform|transform...}`. Values are
//! percent-encoded after the transforms unless `raw` is among them. `{{` and
//! `}}` stand for literal braces.
//!
//! Placeholders: `first`, `middle`, `middle_initial`, `last`, `full_name`,
//! `city`, `state` (two-letter code), `state_full`, `zip`, `phone` (digits),
//! `email`, `username`, `age`, `birth_year`.
//!
//! Transforms: `lower`, `upper`, `capitalize`, `hyphenated` (spaces → `-`),
//! `underscored` (spaces → `_`), `plus` (spaces → `+`, kept unencoded),
//! `digits` (keep only digits), `raw` (no percent-encoding), `default:TEXT`
//! (use TEXT when the value is empty), `age_range` or `age_range:18-30,31-40,81+`
//! (an age becomes the bucket that holds it, as sites with age-range filters
//! expect; without a list, DuckDuckGo's buckets 18-30 … 71-80, 81+ are used).

use std::collections::BTreeMap;

use crate::geo;
use crate::model::{Address, PersonName};
use crate::profile::Profile;

/// Every placeholder a template may use.
pub const PLACEHOLDERS: [&str; 14] = [
    "first",
    "middle",
    "middle_initial",
    "last",
    "full_name",
    "city",
    "state",
    "state_full",
    "zip",
    "phone",
    "email",
    "username",
    "age",
    "birth_year",
];

const TRANSFORMS: [&str; 10] = [
    "lower",
    "upper",
    "capitalize",
    "hyphenated",
    "underscored",
    "plus",
    "digits",
    "raw",
    "default",
    "age_range",
];

/// Age buckets used by `age_range` when the template names none.
pub const DEFAULT_AGE_RANGES: &str = "18-30,31-40,41-50,51-60,61-70,71-80,81+";

/// Values for placeholders; a missing or empty value makes a template that
/// needs it unusable (unless it has a `default:`).
pub type Vars = BTreeMap<&'static str, String>;

enum Piece<'a> {
    Lit(String),
    Slot {
        name: &'a str,
        transforms: Vec<&'a str>,
    },
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        lit.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        let after = &rest[i + 1..];
        if c == b'}' {
            if let Some(r) = after.strip_prefix('}') {
                lit.push('}');
                rest = r;
                continue;
            }
            return Err(format!(
                "stray '}}' at byte {i}; write '}}}}' for a literal brace"
            ));
        }
        if let Some(r) = after.strip_prefix('{') {
            lit.push('{');
            rest = r;
            continue;
        }
        let close = after
            .find('}')
            .ok_or_else(|| format!("'{{' at byte {i} is never closed; expected {{placeholder}}"))?;
        let inner = &after[..close];
        let mut parts = inner.split('|');
        let name = parts.next().unwrap_or("").trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}}; expected one of: {}",
                PLACEHOLDERS.join(", ")
            ));
        }
        let transforms: Vec<&str> = parts.map(str::trim).collect();
        for t in &transforms {
            let base = t.split(':').next().unwrap_or("");
            if !TRANSFORMS.contains(&base) {
                return Err(format!(
                    "unknown transform {t:?} in {{{inner}}}; expected one of: {}",
                    TRANSFORMS.join(", ")
                ));
            }
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(Piece::Slot { name, transforms });
        rest = &after[close + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// Checks a template's syntax, placeholder and transform names, and that it
/// expands to an http(s) URL.
pub fn check(template: &str) -> Result<(), String> {
    parse(template)?;
    // Numbers where transforms need them (`age_range`), "x" elsewhere.
    let sample: Vars = PLACEHOLDERS
        .iter()
        .map(|p| {
            let v = match *p {
                "age" => "40",
                "birth_year" => "1985",
                _ => "x",
            };
            (*p, v.to_string())
        })
        .collect();
    let url = expand(template, &sample)?;
    match url::Url::parse(&url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(()),
        _ => Err(format!("{template:?} does not expand to an http(s) URL")),
    }
}

/// Placeholder names a template uses.
pub fn placeholders(template: &str) -> Vec<&str> {
    parse(template)
        .map(|pieces| {
            pieces
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Slot { name, .. } => Some(name),
                    Piece::Lit(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Expands a template; fails naming the first placeholder with no value.
pub fn expand(template: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::new();
    for piece in parse(template)? {
        match piece {
            Piece::Lit(s) => out.push_str(&s),
            Piece::Slot { name, transforms } => {
                let mut v = vars.get(name).cloned().unwrap_or_default();
                let mut raw = false;
                for t in &transforms {
                    let (base, arg) = t.split_once(':').unwrap_or((t, ""));
                    v = match base {
                        "lower" => v.to_lowercase(),
                        "upper" => v.to_uppercase(),
                        "capitalize" => capitalize(&v),
                        "hyphenated" => join_words(&v, "-"),
                        "underscored" => join_words(&v, "_"),
                        "plus" => {
                            raw = true;
                            join_words(&v, " ")
                                .split(' ')
                                .map(encode)
                                .collect::<Vec<_>>()
                                .join("+")
                        }
                        "digits" => v.chars().filter(char::is_ascii_digit).collect(),
                        "raw" => {
                            raw = true;
                            v
                        }
                        "default" if v.trim().is_empty() => arg.to_string(),
                        "age_range" => age_range(&v, arg),
                        _ => v,
                    };
                }
                if v.trim().is_empty() {
                    return Err(format!("no value for {{{name}}}"));
                }
                if raw {
                    out.push_str(&v);
                } else {
                    out.push_str(&encode(&v));
                }
            }
        }
    }
    Ok(out)
}

/// The bucket ("31-40", "81+") of `list` (comma-separated) that holds
/// `age`; empty when the age is not a number or no bucket holds it.
fn age_range(age: &str, list: &str) -> String {
    let Ok(age) = age.trim().parse::<u32>() else {
        return String::new();
    };
    let list = if list.is_empty() {
        DEFAULT_AGE_RANGES
    } else {
        list
    };
    list.split(',')
        .map(str::trim)
        .find(|bucket| {
            if let Some(low) = bucket.strip_suffix('+') {
                return low.parse::<u32>().is_ok_and(|l| age >= l);
            }
            match bucket.split_once('-') {
                Some((lo, hi)) => match (lo.parse::<u32>(), hi.parse::<u32>()) {
                    (Ok(lo), Ok(hi)) => (lo..=hi).contains(&age),
                    _ => false,
                },
                None => false,
            }
        })
        .unwrap_or_default()
        .to_string()
}

fn capitalize(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn join_words(s: &str, sep: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(sep)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Placeholder values for one name at one location.
pub fn vars_for(profile: &Profile, name: &PersonName, place: Option<&Address>) -> Vars {
    let mut v = Vars::new();
    v.insert("first", name.first.clone());
    v.insert("middle", name.middle.clone());
    v.insert(
        "middle_initial",
        name.middle
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default(),
    );
    v.insert("last", name.last.clone());
    v.insert("full_name", format!("{} {}", name.first, name.last));
    if let Some(a) = place {
        v.insert("city", a.city.clone());
        v.insert("state", a.state.clone());
        v.insert(
            "state_full",
            geo::state_name(&a.state).unwrap_or_default().to_string(),
        );
        v.insert("zip", a.zip.chars().take(5).collect());
    }
    if let Some(p) = profile.phones.first() {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        let national = digits
            .strip_prefix('1')
            .filter(|d| d.len() == 10)
            .unwrap_or(&digits)
            .to_string();
        v.insert("phone", national);
    }
    if let Some(e) = profile.emails.first() {
        v.insert("email", e.clone());
    }
    if let Some(u) = profile.usernames.first() {
        v.insert("username", u.clone());
    }
    if let Some(y) = profile.birth_year {
        v.insert("birth_year", y.to_string());
        let now = chrono::Datelike::year(&chrono::Utc::now());
        v.insert("age", (now - y).to_string());
    }
    v
}

/// Every distinct URL worth fetching for `templates`: each name (current and
/// former) at each known location, dropping templates whose placeholders the
/// profile cannot fill. At most `cap` URLs, most specific first.
pub fn plan(templates: &[String], profile: &Profile, cap: usize) -> Vec<String> {
    let mut places: Vec<Option<&Address>> = Vec::new();
    for a in profile.all_addresses() {
        let dup = places
            .iter()
            .any(|p| p.is_some_and(|p| p.city.eq_ignore_ascii_case(&a.city) && p.state == a.state));
        if !dup {
            places.push(Some(a));
        }
    }
    if places.is_empty() {
        places.push(None);
    }
    let mut out: Vec<String> = Vec::new();
    for name in profile.all_names() {
        for place in &places {
            let vars = vars_for(profile, name, *place);
            for t in templates {
                if let Ok(url) = expand(t, &vars)
                    && !out.contains(&url)
                {
                    out.push(url);
                }
            }
        }
    }
    out.truncate(cap);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&'static str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn expands_with_transforms_and_encoding() {
        let v = vars(&[
            ("first", "Mary Ann"),
            ("last", "O'Neil"),
            ("city", "San José"),
            ("state", "CA"),
        ]);
        assert_eq!(
            expand(
                "https://x.test/{first|lower|hyphenated}-{last}/{city|plus}?s={state|lower}",
                &v
            )
            .unwrap(),
            "https://x.test/mary-ann-O%27Neil/San+Jos%C3%A9?s=ca"
        );
    }

    #[test]
    fn state_full_and_defaults() {
        let v = vars(&[("state_full", "New York"), ("middle", "")]);
        assert_eq!(
            expand(
                "http://x.test/{state_full|hyphenated|lower}/{middle|default:~}",
                &v
            )
            .unwrap(),
            "http://x.test/new-york/~"
        );
    }

    #[test]
    fn age_range_picks_the_bucket() {
        let v = vars(&[("age", "44")]);
        assert_eq!(
            expand("http://x.test/?a={age|age_range}", &v).unwrap(),
            "http://x.test/?a=41-50"
        );
        let old = vars(&[("age", "90")]);
        assert_eq!(
            expand("http://x.test/?a={age|age_range}", &old).unwrap(),
            "http://x.test/?a=81%2B"
        );
        assert_eq!(
            expand("http://x.test/?a={age|age_range:20-29,30-39}", &v).unwrap_err(),
            "no value for {age}"
        );
        assert!(check("http://x.test/?a={age|age_range}").is_ok());
    }

    #[test]
    fn missing_values_and_bad_names_are_errors() {
        assert_eq!(
            expand("http://x.test/{zip}", &Vars::new()).unwrap_err(),
            "no value for {zip}"
        );
        assert!(
            check("http://x.test/{firstname}")
                .unwrap_err()
                .contains("unknown placeholder {firstname}")
        );
        assert!(
            check("http://x.test/{first|shout}")
                .unwrap_err()
                .contains("unknown transform")
        );
        assert!(
            check("http://x.test/{first")
                .unwrap_err()
                .contains("never closed")
        );
        assert!(check("ftp://x.test/{first}").is_err());
        assert!(check("http://x.test/{{literal}}/{first}").is_ok());
    }
}
