//! Recognising captcha, WAF and login-wall answers, which must never be
//! read as "found" or "absent".

use reqwest::header::HeaderMap;

/// Markers specific to challenge and block pages, checked on any status:
/// `(lower-case substring, kind)`. Generic words that ordinary pages use
/// (a recaptcha on a contact form, "sign in" links) are in [`WEAK`].
const STRONG: &[(&str, &str)] = &[
    ("cf-chl", "captcha"),
    ("/cdn-cgi/challenge-platform", "captcha"),
    ("<title>just a moment...</title>", "captcha"),
    ("checking your browser before accessing", "captcha"),
    ("verify you are human", "captcha"),
    ("verifying you are human", "captcha"),
    ("are you a robot", "captcha"),
    ("are you a human", "captcha"),
    ("press & hold", "captcha"),
    ("press &amp; hold", "captcha"),
    ("px-captcha", "captcha"),
    ("captcha-delivery.com", "captcha"),
    ("please complete the security check", "captcha"),
    ("why have i been blocked", "waf"),
    ("attention required! | cloudflare", "waf"),
    ("incapsula incident id", "waf"),
    (
        "the requested url was rejected. please consult with your administrator",
        "waf",
    ),
    ("you don't have permission to access", "waf"),
    ("unusual traffic from your computer network", "captcha"),
];

/// Markers that also occur on ordinary pages, so they only count on an
/// error status or on a small page (block pages are short; result pages
/// with a login link in the footer are not).
const WEAK: &[(&str, &str)] = &[
    ("captcha", "captcha"),
    ("access denied", "waf"),
    ("request blocked", "waf"),
    ("log in to continue", "login_wall"),
    ("login to continue", "login_wall"),
    ("sign in to continue", "login_wall"),
    ("please log in to view", "login_wall"),
    ("please sign in to view", "login_wall"),
    ("you must be logged in", "login_wall"),
    ("login required", "login_wall"),
];

/// Pages shorter than this are checked against the weak markers too.
const SMALL_PAGE: usize = 16 * 1024;

/// A block recognisable from status and headers alone, before the body.
pub fn from_headers(status: u16, headers: &HeaderMap) -> Option<String> {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    if let Some(m) = h("cf-mitigated") {
        return Some(if m.contains("challenge") {
            "captcha".into()
        } else {
            "waf".into()
        });
    }
    if h("x-amzn-waf-action").is_some_and(|a| a.contains("captcha") || a.contains("challenge")) {
        return Some("captcha".into());
    }
    if status == 401 {
        return Some("login_wall".into());
    }
    None
}

/// A block recognisable from the decoded body, given the status and the
/// source's own markers (case-insensitive).
pub fn from_body(status: u16, headers: &HeaderMap, body: &str, extra: &[String]) -> Option<String> {
    let lower = body.to_lowercase();
    for m in extra {
        let m = m.trim().to_lowercase();
        if !m.is_empty() && lower.contains(&m) {
            return Some("marker".into());
        }
    }
    if let Some((_, kind)) = STRONG.iter().find(|(m, _)| lower.contains(m)) {
        return Some((*kind).into());
    }
    let suspicious = status >= 400 || body.len() < SMALL_PAGE;
    if suspicious && let Some((_, kind)) = WEAK.iter().find(|(m, _)| lower.contains(m)) {
        return Some((*kind).into());
    }
    // A bare 403 from a WAF-fronted server is a block even with no telltale text.
    let server = headers
        .get("server")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if status == 403
        && [
            "cloudflare",
            "akamai",
            "incapsula",
            "sucuri",
            "awselb",
            "ddos-guard",
        ]
        .iter()
        .any(|w| server.contains(w))
    {
        return Some("waf".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn challenges_are_blocked_even_with_200() {
        let none = HeaderMap::new();
        let page = "<html><title>Check</title><h1>Verify you are human</h1></html>";
        assert_eq!(from_body(200, &none, page, &[]), Some("captcha".into()));
        let cf = hm(&[("cf-mitigated", "challenge")]);
        assert_eq!(from_headers(403, &cf), Some("captcha".into()));
        let akamai = hm(&[("server", "AkamaiGHost")]);
        assert_eq!(from_body(403, &akamai, "", &[]), Some("waf".into()));
        assert_eq!(from_headers(401, &none), Some("login_wall".into()));
        assert_eq!(
            from_body(
                200,
                &none,
                "<p>Daily limit reached</p>",
                &["daily LIMIT".into()]
            ),
            Some("marker".into())
        );
    }

    #[test]
    fn ordinary_pages_are_not_blocked() {
        let none = HeaderMap::new();
        let big_results = format!(
            "<div class=results>{}</div><footer><a href=/login>Log in to continue</a>\
             <form><div class=g-recaptcha></div></form></footer>",
            "<div class=card>Jane Doe, 41, Springfield</div>".repeat(800)
        );
        assert_eq!(from_body(200, &none, &big_results, &[]), None);
        assert_eq!(from_body(404, &none, "<h1>Not found</h1>", &[]), None);
        assert_eq!(from_body(403, &none, "<h1>Forbidden</h1>", &[]), None);
    }
}
