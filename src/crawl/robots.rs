//! robots.txt: fetched once per host and obeyed for our product token.

use robotxt::Robots;
use url::Url;

/// The robots.txt product token of a user agent: "brokertrace/0.1 (...)"
/// → "brokertrace".
pub fn product_token(user_agent: &str) -> &str {
    user_agent
        .split(['/', ' '])
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or(user_agent)
}

/// Largest robots.txt read; robotxt ignores anything past 500 KiB anyway.
const ROBOTS_CAP: usize = 512 * 1024;

/// Fetches and parses the robots.txt of `url`'s origin. A missing,
/// unreachable or broken file allows everything.
pub async fn load(client: &reqwest::Client, url: &Url, user_agent: &str) -> Robots {
    let Ok(robots_url) = robotxt::robots_url(url) else {
        return Robots::allow_all();
    };
    let Ok(resp) = client.get(robots_url).send().await else {
        return Robots::allow_all();
    };
    if !resp.status().is_success() {
        return Robots::allow_all();
    }
    match super::body::read_capped(resp, ROBOTS_CAP).await {
        Ok(bytes) => Robots::parse(&bytes, product_token(user_agent)),
        Err(_) => Robots::allow_all(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_rules() {
        let ua = crate::USER_AGENT;
        assert_eq!(product_token(ua), "brokertrace");
        let r = Robots::parse(
            b"User-agent: brokertrace\nDisallow: /search\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /",
            product_token(ua),
        );
        assert!(!r.is_url_allowed(&Url::parse("http://a.test/search?q=x").unwrap()));
        assert!(r.is_url_allowed(&Url::parse("http://a.test/people/x").unwrap()));
        assert_eq!(r.crawl_delay(), Some(std::time::Duration::from_secs(2)));
    }
}
