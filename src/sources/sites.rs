//! Username site lists from Sherlock (`data.json`), Maigret (`data.json`,
//! `sites` map) and WhatsMyName (`wmn-data.json`), read at run time and
//! turned into one rule shape. Those files are never bundled.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Which project's file format a site list uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SiteFormat {
    /// Sherlock's `data.json`: site name → `url` with `{}`.
    Sherlock,
    /// Maigret's `data.json`: `sites` map, `url` with `{username}`.
    Maigret,
    /// WhatsMyName's `wmn-data.json`: `sites` array, `uri_check` with `{account}`.
    Wmn,
}

/// How a profile page is told apart from a missing one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteRule {
    /// Exact status meaning "exists"; `None` means any 2xx.
    pub found_status: Option<u16>,
    /// Statuses meaning "missing".
    pub missing_status: Vec<u16>,
    /// The body must contain one of these (empty: no requirement).
    pub found_strings: Vec<String>,
    /// Any of these in the body means "missing".
    pub missing_strings: Vec<String>,
    /// A redirect away from the URL means "missing".
    pub missing_if_redirected: bool,
}

/// One site to check a username on.
#[derive(Debug, Clone, PartialEq)]
pub struct UsernameSite {
    /// Site name as in the file.
    pub name: String,
    /// Profile URL with `{username}` where the name goes.
    pub url: String,
    /// URL actually fetched, when the file names a different probe/API URL.
    pub probe_url: Option<String>,
    /// Usernames the site accepts; others are not checked.
    pub username_regex: Option<String>,
    /// Decision rule.
    pub rule: SiteRule,
}

impl UsernameSite {
    /// The profile URL for `username`.
    pub fn profile_url(&self, username: &str) -> String {
        self.url.replace("{username}", username)
    }

    /// The URL to fetch for `username`.
    pub fn check_url(&self, username: &str) -> String {
        self.probe_url
            .as_deref()
            .unwrap_or(&self.url)
            .replace("{username}", username)
    }

    /// Whether the site can have this username at all.
    pub fn accepts(&self, username: &str) -> bool {
        match &self.username_regex {
            Some(re) => regex::Regex::new(re).map_or(true, |r| r.is_match(username)),
            None => true,
        }
    }

    /// Decides from the answer whether the profile exists.
    pub fn exists(&self, status: u16, body: &str, redirected: bool) -> bool {
        let r = &self.rule;
        let status_ok = match r.found_status {
            Some(s) => status == s,
            None => (200..300).contains(&status),
        };
        status_ok
            && !r.missing_status.contains(&status)
            && !(r.missing_if_redirected && redirected)
            && (r.found_strings.is_empty() || r.found_strings.iter().any(|s| body.contains(s)))
            && !r.missing_strings.iter().any(|s| body.contains(s))
    }
}

/// Reads a site list, detecting the format when `format` is `None`.
/// Sites that need POST requests or are marked disabled are left out.
pub fn load(path: &Path, format: Option<SiteFormat>) -> Result<Vec<UsernameSite>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read site file {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let format = match format {
        Some(f) => f,
        None => detect(&json).with_context(|| {
            format!(
                "{}: cannot tell the format; pass --format sherlock, maigret or wmn",
                path.display()
            )
        })?,
    };
    let mut sites = match format {
        SiteFormat::Sherlock => sherlock(&json),
        SiteFormat::Maigret => maigret(&json)?,
        SiteFormat::Wmn => wmn(&json)?,
    };
    sites.sort_by_key(|s| s.name.to_lowercase());
    Ok(sites)
}

/// Guesses the format from the file's shape.
pub fn detect(json: &Value) -> Option<SiteFormat> {
    match json.get("sites") {
        Some(Value::Array(_)) => Some(SiteFormat::Wmn),
        Some(Value::Object(_)) => Some(SiteFormat::Maigret),
        _ => json
            .as_object()?
            .values()
            .any(|v| v.get("errorType").is_some())
            .then_some(SiteFormat::Sherlock),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn codes(v: Option<&Value>) -> Vec<u16> {
    match v {
        Some(Value::Number(n)) => n.as_u64().map(|c| c as u16).into_iter().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_u64())
            .map(|c| c as u16)
            .collect(),
        _ => Vec::new(),
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn sherlock(json: &Value) -> Vec<UsernameSite> {
    let Some(map) = json.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(name, _)| !name.starts_with('$'))
        .filter(|(_, v)| {
            v.get("request_method")
                .and_then(Value::as_str)
                .is_none_or(|m| m.eq_ignore_ascii_case("GET"))
                && v.get("request_payload").is_none()
        })
        .filter_map(|(name, v)| {
            let url = str_of(v, "url")?.replace("{}", "{username}");
            let mut rule = SiteRule {
                missing_status: codes(v.get("errorCode")),
                ..SiteRule::default()
            };
            match v.get("errorType").and_then(Value::as_str)? {
                "status_code" => {}
                "message" => rule.missing_strings = strings(v.get("errorMsg")),
                "response_url" => rule.missing_if_redirected = true,
                _ => return None,
            }
            Some(UsernameSite {
                name: name.clone(),
                url,
                probe_url: str_of(v, "urlProbe").map(|u| u.replace("{}", "{username}")),
                username_regex: str_of(v, "regexCheck"),
                rule,
            })
        })
        .collect()
}

fn maigret(json: &Value) -> Result<Vec<UsernameSite>> {
    let Some(map) = json.get("sites").and_then(Value::as_object) else {
        bail!("Maigret file has no \"sites\" object");
    };
    Ok(map
        .iter()
        .filter(|(_, v)| !v.get("disabled").and_then(Value::as_bool).unwrap_or(false))
        .filter(|(_, v)| v.get("requestHeadOnly").is_none_or(|h| h == false))
        .filter_map(|(name, v)| {
            let main = str_of(v, "urlMain").unwrap_or_default();
            let sub = str_of(v, "urlSubpath").unwrap_or_default();
            let fill = |u: String| u.replace("{urlMain}", &main).replace("{urlSubpath}", &sub);
            let url = fill(str_of(v, "url")?);
            let mut rule = SiteRule::default();
            match v.get("checkType").and_then(Value::as_str)? {
                "status_code" => {}
                "message" => {
                    rule.missing_strings = strings(v.get("absenceStrs"));
                    rule.found_strings = strings(v.get("presenseStrs"));
                    rule.found_strings.extend(strings(v.get("presenceStrs")));
                }
                "response_url" => rule.missing_if_redirected = true,
                _ => return None,
            }
            Some(UsernameSite {
                name: name.clone(),
                url,
                probe_url: str_of(v, "urlProbe").map(fill),
                username_regex: str_of(v, "regexCheck"),
                rule,
            })
        })
        .collect())
}

fn wmn(json: &Value) -> Result<Vec<UsernameSite>> {
    let Some(list) = json.get("sites").and_then(Value::as_array) else {
        bail!("WhatsMyName file has no \"sites\" array");
    };
    Ok(list
        .iter()
        .filter(|v| {
            v.get("post_body")
                .is_none_or(|b| b.as_str().is_some_and(str::is_empty))
        })
        .filter(|v| v.get("valid").and_then(Value::as_bool).is_none_or(|ok| ok))
        .filter_map(|v| {
            let check = str_of(v, "uri_check")?.replace("{account}", "{username}");
            let pretty = str_of(v, "uri_pretty").map(|u| u.replace("{account}", "{username}"));
            let rule = SiteRule {
                found_status: codes(v.get("e_code")).first().copied(),
                found_strings: strings(v.get("e_string")),
                missing_status: Vec::new(),
                missing_strings: Vec::new(),
                missing_if_redirected: false,
            };
            // m_code/m_string describe "missing"; WMN treats anything that
            // is not the e_code + e_string pair as not found, and so do we.
            Some(UsernameSite {
                name: str_of(v, "name")?,
                url: pretty.clone().unwrap_or_else(|| check.clone()),
                probe_url: pretty.map(|_| check),
                username_regex: None,
                rule,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_formats_parse_and_decide() {
        let sherlock: Value = serde_json::from_str(
            r#"{"$schema": "x", "A": {"url": "http://a.test/{}", "urlMain": "http://a.test",
                "errorType": "status_code"},
               "B": {"url": "http://b.test/u/{}", "errorType": "message", "errorMsg": ["No user"]},
               "C": {"url": "http://c.test/{}", "errorType": "response_url", "regexCheck": "^[a-z]+$"},
               "P": {"url": "http://p.test/{}", "errorType": "status_code", "request_method": "POST"}}"#,
        )
        .unwrap();
        assert_eq!(detect(&sherlock), Some(SiteFormat::Sherlock));
        let s = super::sherlock(&sherlock);
        assert_eq!(s.len(), 3);
        let b = s.iter().find(|x| x.name == "B").unwrap();
        assert_eq!(b.profile_url("jq"), "http://b.test/u/jq");
        assert!(b.exists(200, "Hello jq", false));
        assert!(!b.exists(200, "No user here", false));
        let c = s.iter().find(|x| x.name == "C").unwrap();
        assert!(!c.exists(200, "", true));
        assert!(!c.accepts("Jq_9"));

        let maigret: Value = serde_json::from_str(
            r#"{"sites": {"M": {"url": "{urlMain}/@{username}", "urlMain": "http://m.test",
                "checkType": "message", "absenceStrs": ["gone"], "presenseStrs": ["profile"]},
                "D": {"url": "http://d.test/{username}", "checkType": "status_code", "disabled": true}}}"#,
        )
        .unwrap();
        assert_eq!(detect(&maigret), Some(SiteFormat::Maigret));
        let m = super::maigret(&maigret).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].profile_url("jq"), "http://m.test/@jq");
        assert!(m[0].exists(200, "a profile", false));
        assert!(!m[0].exists(200, "a page", false));

        let wmn: Value = serde_json::from_str(
            r#"{"sites": [{"name": "W", "uri_check": "http://w.test/api/{account}",
                "uri_pretty": "http://w.test/{account}", "e_code": 200, "e_string": "\"id\"",
                "m_code": 404, "m_string": "not found"}]}"#,
        )
        .unwrap();
        assert_eq!(detect(&wmn), Some(SiteFormat::Wmn));
        let w = super::wmn(&wmn).unwrap();
        assert_eq!(w[0].check_url("jq"), "http://w.test/api/jq");
        assert_eq!(w[0].profile_url("jq"), "http://w.test/jq");
        assert!(w[0].exists(200, r#"{"id": 1}"#, false));
        assert!(!w[0].exists(404, "not found", false));
    }
}
