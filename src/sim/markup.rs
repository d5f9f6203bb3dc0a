//! Each broker's URL scheme and markup: routing a request to a results
//! page, a listing page, a "no results" answer, robots.txt or the opt-out
//! page, and rendering it in the broker's own style.

use serde_json::json;

use crate::geo;
use crate::model::{Address, PersonName};
use crate::profile::slug;

use super::brokers::{Broker, BrokerSpec, Listing, Style};
use super::population::format_phone;

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

fn html(status: u16, body: String) -> Reply {
    Reply {
        status,
        content_type: "text/html; charset=utf-8",
        body,
    }
}

/// The listing's own page path on its broker (what a card links to).
pub(crate) fn listing_path(spec: &BrokerSpec, l: &Listing) -> String {
    let name_slug = slug(&l.name.full());
    match spec.style {
        Style::Cards => format!("/person/{name_slug}/{}", l.code),
        Style::Table => format!("/profile/{}.html", l.code),
        Style::DefList => {
            let state = l
                .addresses
                .first()
                .and_then(|a| geo::state_name(&a.state))
                .unwrap_or("Unknown")
                .replace(' ', "-");
            let name = slug(&format!("{} {}", l.name.first, l.name.last))
                .split('-')
                .map(capitalize)
                .collect::<Vec<_>>()
                .join("-");
            format!("/people/{state}/{name}/{}", l.code)
        }
        Style::JsonLd => format!("/p/{}", l.code),
        Style::Microdata => format!("/listing?id={}", l.code),
        Style::Labels => format!("/record/{}", l.code),
        Style::Lines => format!("/entry/{}", l.code),
        Style::DataAttrs => format!("/id/{}/{name_slug}", l.code),
    }
}

/// Absolute URL of a listing, with the broker's `.test` host.
pub(crate) fn listing_url(spec: &BrokerSpec, l: &Listing) -> String {
    format!("http://{}{}", spec.id, listing_path(spec, l))
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Decodes `%XX` escapes in a path segment.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a search asked for.
struct Query<'a> {
    who: String,
    last_first: bool,
    state: Option<String>,
    city: Option<String>,
    page: usize,
    /// Query pairs to repeat in the next-page link (besides the page number).
    keep: Vec<(&'a str, String)>,
    page_param: &'a str,
}

/// Answers one request to broker `b`; `year` is the year ages count from.
pub(crate) fn route(b: &Broker, path: &str, query: &str, year: i32) -> Reply {
    let q: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let page = |k: &str| {
        param(k)
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let spec = &b.spec;
    match segs.as_slice() {
        [] => return html(200, home(spec)),
        ["robots.txt"] => {
            return Reply {
                status: 200,
                content_type: "text/plain; charset=utf-8",
                body: "User-agent: *\nDisallow: /account/\nDisallow: /checkout/\nAllow: /\n".into(),
            };
        }
        ["optout"] => return html(200, optout_page(spec)),
        _ => {}
    }
    let state_full = |s: &str| geo::state_code(&s.replace(['-', '+'], " ")).map(str::to_string);
    let search: Option<Query> = match (spec.style, segs.as_slice()) {
        (Style::Cards, ["name", who, st]) => Some(Query {
            who: who.to_string(),
            last_first: false,
            state: Some(st.to_string()),
            city: None,
            page: page("page"),
            keep: vec![],
            page_param: "page",
        }),
        (Style::Table, ["search"]) => Some(Query {
            who: format!(
                "{} {}",
                param("fn").unwrap_or_default(),
                param("ln").unwrap_or_default()
            ),
            last_first: false,
            state: param("state"),
            city: None,
            page: 1,
            keep: vec![],
            page_param: "page",
        }),
        (Style::DefList, ["people", st, who]) => Some(Query {
            who: who.to_string(),
            last_first: false,
            state: Some(state_full(st).unwrap_or_else(|| "??".into())),
            city: None,
            page: page("page"),
            keep: vec![],
            page_param: "page",
        }),
        (Style::JsonLd, ["find", who, place]) => {
            let (city, st) = place.rsplit_once('-').unwrap_or(("", place));
            Some(Query {
                who: who.to_string(),
                last_first: false,
                state: Some(st.to_string()),
                city: Some(city.to_string()),
                page: page("page"),
                keep: vec![],
                page_param: "page",
            })
        }
        (Style::Microdata, ["lookup", last, first]) => Some(Query {
            who: format!("{last} {first}"),
            last_first: true,
            state: param("state").map(|s| state_full(&s).unwrap_or_else(|| "??".into())),
            city: None,
            page: 1,
            keep: vec![],
            page_param: "page",
        }),
        (Style::Labels, ["search"]) => Some(Query {
            who: param("q").unwrap_or_default(),
            last_first: false,
            state: param("st"),
            city: None,
            page: page("page"),
            keep: vec![
                ("q", param("q").unwrap_or_default()),
                ("st", param("st").unwrap_or_default()),
            ],
            page_param: "page",
        }),
        (Style::Lines, ["directory", st, who]) => Some(Query {
            who: who.to_string(),
            last_first: true,
            state: Some(st.to_string()),
            city: None,
            page: 1,
            keep: vec![],
            page_param: "page",
        }),
        (Style::DataAttrs, ["search", who]) => {
            let st = param("state").unwrap_or_default();
            Some(Query {
                who: who.to_string(),
                last_first: false,
                state: if st.is_empty() {
                    None
                } else {
                    Some(state_full(&st).unwrap_or_else(|| "??".into()))
                },
                city: None,
                page: page("p"),
                keep: vec![("state", st)],
                page_param: "p",
            })
        }
        _ => None,
    };
    if let Some(query) = search {
        return results(b, &query, year);
    }
    let code: Option<String> = match (spec.style, segs.as_slice()) {
        (Style::Cards, ["person", _, code]) => Some(code.to_string()),
        (Style::Table, ["profile", file]) => file.strip_suffix(".html").map(str::to_string),
        (Style::DefList, ["people", _, _, code]) => Some(code.to_string()),
        (Style::JsonLd, ["p", code]) => Some(code.to_string()),
        (Style::Microdata, ["listing"]) => param("id"),
        (Style::Labels, ["record", code]) => Some(code.to_string()),
        (Style::Lines, ["entry", code]) => Some(code.to_string()),
        (Style::DataAttrs, ["id", code, _]) => Some(code.to_string()),
        _ => None,
    };
    match code.as_deref().and_then(|c| b.by_code(c)) {
        Some(l) => html(200, listing_page(spec, l, year)),
        None => not_found(spec),
    }
}

fn results(b: &Broker, q: &Query, year: i32) -> Reply {
    let who = slug(&q.who);
    let hits: Vec<&Listing> = b
        .listings
        .iter()
        .filter(|l| l.hit(&who, q.last_first, q.state.as_deref(), q.city.as_deref()))
        .collect();
    let (shown, next) = match b.spec.page_size {
        Some(n) => {
            let start = (q.page - 1) * n;
            let shown: Vec<&Listing> = hits.iter().skip(start).take(n).copied().collect();
            let next = (hits.len() > start + n).then(|| {
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in &q.keep {
                    s.append_pair(k, v);
                }
                s.append_pair(q.page_param, &(q.page + 1).to_string());
                format!("?{}", s.finish())
            });
            (shown, next)
        }
        None => (hits, None),
    };
    if shown.is_empty() {
        return no_results(&b.spec, &q.who);
    }
    html(200, results_page(&b.spec, &shown, next.as_deref(), year))
}

/// Escapes text for HTML element content and quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(spec: &BrokerSpec, title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} | {}</title>{head}</head>\n<body>\n<header><a href=\"/\">{}</a> <a href=\"/optout\">Do not sell my info</a></header>\n{body}\n<footer>{} is a simulated data broker of the brokertrace test network.</footer>\n</body></html>\n",
        esc(title),
        esc(spec.name),
        esc(spec.name),
        esc(spec.name)
    )
}

fn home(spec: &BrokerSpec) -> String {
    page(
        spec,
        "Find anyone",
        "",
        "<h1>Find anyone</h1><p>Search public records by name and state.</p>",
    )
}

fn optout_page(spec: &BrokerSpec) -> String {
    page(
        spec,
        "Opt out",
        "",
        "<h1>Remove my information</h1><form method=\"post\" action=\"/optout\"><label>Listing URL <input name=\"url\"></label><label>E-mail <input name=\"email\" type=\"email\"></label><button>Submit</button></form>",
    )
}

fn not_found(spec: &BrokerSpec) -> Reply {
    html(404, page(spec, "Not found", "", "<h1>Page not found</h1>"))
}

fn no_results(spec: &BrokerSpec, who: &str) -> Reply {
    let who = esc(who);
    match spec.style {
        Style::Cards => html(
            200,
            page(
                spec,
                "Search",
                "",
                &format!("<div class=\"no-results\"><p>No people found for {who}.</p></div>"),
            ),
        ),
        Style::Table => html(
            200,
            page(
                spec,
                "Search",
                "",
                &format!(
                    "<p class=\"notice\">No records matched your search for {who}. Try a nearby state.</p>"
                ),
            ),
        ),
        Style::DefList => not_found(spec),
        Style::JsonLd => html(
            200,
            page(
                spec,
                "Results",
                "",
                "<h1>Results</h1><ul class=\"results\" data-count=\"0\"></ul>",
            ),
        ),
        Style::Microdata => html(
            200,
            page(
                spec,
                "Lookup",
                "",
                &format!("<p>We found 0 people named {who}.</p>"),
            ),
        ),
        Style::Labels => html(
            200,
            page(
                spec,
                "Search",
                "",
                "<section class=\"empty-state\"><h2>Nothing here yet</h2><p>Try another spelling.</p></section>",
            ),
        ),
        Style::Lines => html(
            200,
            page(
                spec,
                "Directory",
                "",
                &format!("<p>No listings match {who}.</p>"),
            ),
        ),
        Style::DataAttrs => html(
            200,
            page(
                spec,
                "Search",
                "<meta name=\"result-count\" content=\"0\">",
                "<div class=\"rows\"></div>",
            ),
        ),
    }
}

/// Text as this broker shows it (some strip diacritics).
fn shown(spec: &BrokerSpec, s: &str) -> String {
    if spec.ascii {
        deunicode::deunicode(s)
    } else {
        s.to_string()
    }
}

/// "Elizabeth A Carter Jr" with the broker's initial style.
fn natural(spec: &BrokerSpec, n: &PersonName) -> String {
    let mut n = n.clone();
    if n.middle.chars().count() == 1 && spec.style == Style::DataAttrs {
        n.middle.push('.');
    }
    shown(spec, &n.full())
}

/// "CARTER, ELIZABETH A JR" (public-records order).
fn reordered(spec: &BrokerSpec, n: &PersonName) -> String {
    let rest: Vec<&str> = [n.first.as_str(), n.middle.as_str(), n.suffix.as_str()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    shown(spec, &format!("{}, {}", n.last, rest.join(" ")))
}

fn addr(spec: &BrokerSpec, a: &Address) -> String {
    shown(spec, &a.one_line())
}

fn city_state(spec: &BrokerSpec, a: &Address) -> String {
    shown(spec, &format!("{}, {}", a.city, a.state))
}

fn phone(spec: &BrokerSpec, d: &str) -> String {
    format_phone(d, spec.phone_style)
}

fn age(l: &Listing, year: i32) -> i32 {
    year - l.birth_year
}

fn join<T>(items: &[T], sep: &str, f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(sep)
}

fn json_ld(spec: &BrokerSpec, l: &Listing) -> String {
    let person = json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "name": natural(spec, &l.name),
        "givenName": shown(spec, &l.name.first),
        "additionalName": shown(spec, &l.name.middle),
        "familyName": shown(spec, &l.name.last),
        "alternateName": l.akas.iter().map(|n| natural(spec, n)).collect::<Vec<_>>(),
        "birthDate": l.birth_year.to_string(),
        "address": l.addresses.iter().map(|a| json!({
            "@type": "PostalAddress",
            "streetAddress": shown(spec, &a.street),
            "addressLocality": shown(spec, &a.city),
            "addressRegion": a.state,
            "postalCode": a.zip,
            "addressCountry": "US",
        })).collect::<Vec<_>>(),
        "telephone": l.phones.iter().map(|p| phone(spec, p)).collect::<Vec<_>>(),
        "email": l.emails,
        "relatedTo": l.relatives.iter().map(|r| json!({"@type": "Person", "name": shown(spec, r)})).collect::<Vec<_>>(),
        "url": listing_url(spec, l),
    });
    // "</" inside a script element would end it early.
    format!(
        "<script type=\"application/ld+json\">{}</script>",
        person.to_string().replace("</", "<\\/")
    )
}

fn results_page(spec: &BrokerSpec, hits: &[&Listing], next: Option<&str>, year: i32) -> String {
    let mut body = String::new();
    let href = |l: &Listing| esc(&listing_path(spec, l));
    match spec.style {
        Style::Cards => {
            body.push_str(&format!(
                "<h1>{} people found</h1>\n<div class=\"results\">\n",
                hits.len()
            ));
            for l in hits {
                let loc = l
                    .addresses
                    .first()
                    .map(|a| city_state(spec, a))
                    .unwrap_or_default();
                body.push_str(&format!(
                    "<div class=\"card person\"><h2 class=\"name\">{}</h2><span class=\"age\">Age {}</span> <span class=\"loc\">{}</span> <a class=\"view\" href=\"{}\">View details</a></div>\n",
                    esc(&natural(spec, &l.name)), age(l, year), esc(&loc), href(l)
                ));
            }
            body.push_str("</div>\n");
            if let Some(n) = next {
                body.push_str(&format!(
                    "<a class=\"next\" href=\"{}\">Next &raquo;</a>\n",
                    esc(n)
                ));
            }
        }
        Style::Table => {
            body.push_str("<table class=\"results\"><thead><tr><th>Name</th><th>Age</th><th>Addresses</th><th>Phones</th><th>E-mail</th><th>Relatives</th></tr></thead><tbody>\n");
            for l in hits {
                body.push_str(&format!(
                    "<tr class=\"person\"><td class=\"name\"><a href=\"{}\">{}</a></td><td class=\"age\">{}</td><td class=\"address\">{}</td><td class=\"phones\">{}</td><td class=\"email\">{}</td><td class=\"relatives\">{}</td></tr>\n",
                    href(l),
                    esc(&reordered(spec, &l.name).to_uppercase()),
                    age(l, year),
                    esc(&join(&l.addresses, " | ", |a| addr(spec, a))),
                    esc(&join(&l.phones, "; ", |p| phone(spec, p))),
                    esc(&l.emails.join("; ")),
                    esc(&join(&l.relatives, ", ", |r| shown(spec, r))),
                ));
            }
            body.push_str("</tbody></table>\n");
        }
        Style::DefList => {
            for l in hits {
                body.push_str(&deflist(spec, l, year));
            }
            if let Some(n) = next {
                body.push_str(&format!(
                    "<nav><a rel=\"next\" class=\"pg-next\" href=\"{}\">Next page</a></nav>\n",
                    esc(n)
                ));
            }
        }
        Style::JsonLd => {
            body.push_str(&format!(
                "<h1>Results</h1>\n<ul class=\"results\" data-count=\"{}\">\n",
                hits.len()
            ));
            for l in hits {
                body.push_str(&format!(
                    "<li class=\"result\">{}</li>\n",
                    jsonld_block(spec, l, year)
                ));
            }
            body.push_str("</ul>\n");
            if let Some(n) = next {
                body.push_str(&format!(
                    "<a rel=\"next\" href=\"{}\">More results</a>\n",
                    esc(n)
                ));
            }
        }
        Style::Microdata => {
            body.push_str(&format!(
                "<p class=\"count\">We found {} people.</p>\n",
                hits.len()
            ));
            for l in hits {
                body.push_str(&microdata(spec, l, year));
            }
        }
        Style::Labels => {
            for l in hits {
                let loc = l
                    .addresses
                    .first()
                    .map(|a| city_state(spec, a))
                    .unwrap_or_default();
                body.push_str(&format!(
                    "<article class=\"hit\"><h3 class=\"who\">{}</h3><p class=\"meta\">Age: {}</p><p class=\"lives\">Lives in {}</p><a class=\"report\" href=\"{}\">Full report</a></article>\n",
                    esc(&reordered(spec, &l.name)), age(l, year), esc(&loc), href(l)
                ));
            }
            if let Some(n) = next {
                body.push_str(&format!(
                    "<a class=\"more\" href=\"{}\">More people</a>\n",
                    esc(n)
                ));
            }
        }
        Style::Lines => {
            body.push_str("<ul class=\"entries\">\n");
            for l in hits {
                body.push_str(&format!("<li class=\"entry\">{}</li>\n", line(spec, l)));
            }
            body.push_str("</ul>\n");
        }
        Style::DataAttrs => {
            body.push_str("<div class=\"rows\">\n");
            for l in hits {
                body.push_str(&data_row(spec, l, year));
            }
            body.push_str("</div>\n");
            if let Some(n) = next {
                body.push_str(&format!(
                    "<a class=\"pager-next\" href=\"{}\">Next</a>\n",
                    esc(n)
                ));
            }
        }
    }
    let head = if spec.style == Style::DataAttrs {
        format!("<meta name=\"result-count\" content=\"{}\">", hits.len())
    } else {
        String::new()
    };
    page(spec, "Search results", &head, &body)
}

fn deflist(spec: &BrokerSpec, l: &Listing, year: i32) -> String {
    let mut s = format!(
        "<div class=\"record\"><dl class=\"person\"><dt>Name</dt><dd class=\"name\">{}</dd>",
        esc(&natural(spec, &l.name))
    );
    if !l.akas.is_empty() {
        s.push_str(&format!(
            "<dt>Also known as</dt><dd class=\"aka\">{}</dd>",
            esc(&join(&l.akas, "; ", |n| natural(spec, n)))
        ));
    }
    s.push_str(&format!(
        "<dt>Age</dt><dd class=\"age\">Age {}</dd>",
        age(l, year)
    ));
    for a in &l.addresses {
        s.push_str(&format!(
            "<dt>Address</dt><dd class=\"addr\">{}</dd>",
            esc(&addr(spec, a))
        ));
    }
    for p in &l.phones {
        s.push_str(&format!(
            "<dt>Phone</dt><dd class=\"phone\">{}</dd>",
            esc(&phone(spec, p))
        ));
    }
    if !l.relatives.is_empty() {
        s.push_str(&format!(
            "<dt>Relatives</dt><dd class=\"relatives\">{}</dd>",
            esc(&join(&l.relatives, ", ", |r| shown(spec, r)))
        ));
    }
    s.push_str(&format!(
        "<dt>Record</dt><dd><a class=\"permalink\" href=\"{}\">Permalink</a></dd></dl></div>\n",
        esc(&listing_path(spec, l))
    ));
    s
}

fn jsonld_block(spec: &BrokerSpec, l: &Listing, year: i32) -> String {
    let mut s = json_ld(spec, l);
    s.push_str(&format!(
        "<h3 class=\"fullname\"><a class=\"permalink\" href=\"{}\">{}</a></h3><span class=\"age\">Age {}</span>",
        esc(&listing_path(spec, l)),
        esc(&natural(spec, &l.name)),
        age(l, year)
    ));
    if !l.akas.is_empty() {
        s.push_str(&format!(
            "<p class=\"aka\">AKA {}</p>",
            esc(&join(&l.akas, "; ", |n| natural(spec, n)))
        ));
    }
    for a in &l.addresses {
        s.push_str(&format!(
            "<div class=\"address\">{}</div>",
            esc(&addr(spec, a))
        ));
    }
    for p in &l.phones {
        s.push_str(&format!(
            "<span class=\"tel\">{}</span> ",
            esc(&phone(spec, p))
        ));
    }
    for e in &l.emails {
        s.push_str(&format!("<span class=\"mail\">{}</span> ", esc(e)));
    }
    for r in &l.relatives {
        s.push_str(&format!(
            "<span class=\"relative\">{}</span> ",
            esc(&shown(spec, r))
        ));
    }
    s
}

fn microdata(spec: &BrokerSpec, l: &Listing, year: i32) -> String {
    let mut s = format!(
        "<div class=\"listing\" itemscope itemtype=\"https://schema.org/Person\"><h2><a itemprop=\"url\" href=\"{}\"><span itemprop=\"name\">{}</span></a></h2><meta itemprop=\"givenName\" content=\"{}\"><meta itemprop=\"familyName\" content=\"{}\">",
        esc(&listing_path(spec, l)),
        esc(&natural(spec, &l.name)),
        esc(&shown(spec, &l.name.first)),
        esc(&shown(spec, &l.name.last)),
    );
    for n in &l.akas {
        s.push_str(&format!(
            "<span class=\"aka\" itemprop=\"alternateName\">{}</span> ",
            esc(&natural(spec, n))
        ));
    }
    s.push_str(&format!(
        "<p><span itemprop=\"birthDate\" content=\"{y}\">Born {y}</span> &middot; <span class=\"age\">Age {}</span></p>",
        age(l, year),
        y = l.birth_year
    ));
    for a in &l.addresses {
        s.push_str(&format!(
            "<div class=\"addr\" itemprop=\"address\" itemscope itemtype=\"https://schema.org/PostalAddress\"><span itemprop=\"streetAddress\">{}</span>, <span itemprop=\"addressLocality\">{}</span>, <span itemprop=\"addressRegion\">{}</span> <span itemprop=\"postalCode\">{}</span></div>",
            esc(&shown(spec, &a.street)),
            esc(&shown(spec, &a.city)),
            esc(&a.state),
            esc(&a.zip)
        ));
    }
    for p in &l.phones {
        s.push_str(&format!(
            "<span itemprop=\"telephone\">{}</span> ",
            esc(&phone(spec, p))
        ));
    }
    for e in &l.emails {
        s.push_str(&format!("<span itemprop=\"email\">{}</span> ", esc(e)));
    }
    for r in &l.relatives {
        s.push_str(&format!(
            "<div class=\"rel\" itemprop=\"relatedTo\" itemscope itemtype=\"https://schema.org/Person\"><span itemprop=\"name\">{}</span></div>",
            esc(&shown(spec, r))
        ));
    }
    s.push_str("</div>\n");
    s
}

fn line(spec: &BrokerSpec, l: &Listing) -> String {
    let mut s = format!(
        "<b class=\"n\">{}</b> &middot; <i class=\"born\">Born {}</i>",
        esc(&natural(spec, &l.name)),
        l.birth_year
    );
    if !l.phones.is_empty() {
        s.push_str(&format!(
            " &middot; <span class=\"ph\">Phones: {}</span>",
            esc(&join(&l.phones, " | ", |p| phone(spec, p)))
        ));
    }
    if let Some(a) = l.addresses.first() {
        s.push_str(&format!(
            " &middot; <span class=\"where\">{}</span>",
            esc(&city_state(spec, a))
        ));
    }
    if l.addresses.len() > 1 {
        s.push_str(&format!(
            " &middot; <span class=\"prev\">Previously: {}</span>",
            esc(&join(&l.addresses[1..], "; ", |a| city_state(spec, a)))
        ));
    }
    s.push_str(&format!(
        " <a class=\"perma\" href=\"{}\">permalink</a>",
        esc(&listing_url(spec, l))
    ));
    s
}

fn data_row(spec: &BrokerSpec, l: &Listing, year: i32) -> String {
    let loc = l
        .addresses
        .first()
        .map(|a| city_state(spec, a))
        .unwrap_or_default();
    let mut s = format!(
        "<div class=\"person-row\" data-id=\"{}\"><div class=\"facts\" data-age=\"{}\" data-location=\"{}\"><a class=\"nm\" href=\"{}\">{}</a> <span class=\"yrs\">{} yrs</span> <span class=\"loc\">{}</span></div>",
        esc(&l.code),
        age(l, year),
        esc(&loc),
        esc(&listing_path(spec, l)),
        esc(&natural(spec, &l.name)),
        age(l, year),
        esc(&loc)
    );
    for a in &l.addresses {
        s.push_str(&format!(
            "<span class=\"street\">{}</span> ",
            esc(&addr(spec, a))
        ));
    }
    for p in &l.phones {
        s.push_str(&format!(
            "<span class=\"phone\">{}</span> ",
            esc(&phone(spec, p))
        ));
    }
    for r in &l.relatives {
        s.push_str(&format!(
            "<span class=\"rel\">{}</span> ",
            esc(&shown(spec, r))
        ));
    }
    s.push_str("</div>\n");
    s
}

fn listing_page(spec: &BrokerSpec, l: &Listing, year: i32) -> String {
    let title = natural(spec, &l.name);
    let canonical = format!(
        "<link rel=\"canonical\" href=\"{}\">",
        esc(&listing_url(spec, l))
    );
    let body = match spec.style {
        Style::Cards => {
            let mut s = format!(
                "<main class=\"profile\"><h1 class=\"name\">{}</h1>",
                esc(&title)
            );
            if !l.akas.is_empty() {
                s.push_str(&format!(
                    "<p class=\"aka\">Also known as: {}</p>",
                    join(&l.akas, ", ", |n| format!(
                        "<span class=\"alias\">{}</span>",
                        esc(&natural(spec, n))
                    ))
                ));
            }
            s.push_str(&format!(
                "<p class=\"age\">Age {}</p><h2>Addresses</h2><ul class=\"addresses\">",
                age(l, year)
            ));
            for (i, a) in l.addresses.iter().enumerate() {
                let kind = if i == 0 { "current" } else { "past" };
                s.push_str(&format!(
                    "<li class=\"addr {kind}\">{}</li>",
                    esc(&addr(spec, a))
                ));
            }
            s.push_str("</ul><h2>Phones</h2><ul class=\"phones\">");
            for p in &l.phones {
                s.push_str(&format!(
                    "<li class=\"phone\">{}</li>",
                    esc(&phone(spec, p))
                ));
            }
            s.push_str("</ul><h2>E-mail</h2><ul class=\"emails\">");
            for e in &l.emails {
                s.push_str(&format!("<li class=\"email\">{}</li>", esc(e)));
            }
            s.push_str("</ul><h2>Relatives</h2><ul class=\"relatives\">");
            for r in &l.relatives {
                s.push_str(&format!(
                    "<li class=\"relative\">{}</li>",
                    esc(&shown(spec, r))
                ));
            }
            s.push_str("</ul></main>");
            s
        }
        Style::Table => format!(
            "<table class=\"results\"><tbody><tr class=\"person\"><td class=\"name\"><a href=\"{}\">{}</a></td><td class=\"age\">{}</td><td class=\"address\">{}</td><td class=\"phones\">{}</td><td class=\"email\">{}</td><td class=\"relatives\">{}</td></tr></tbody></table>",
            esc(&listing_path(spec, l)),
            esc(&reordered(spec, &l.name).to_uppercase()),
            age(l, year),
            esc(&join(&l.addresses, " | ", |a| addr(spec, a))),
            esc(&join(&l.phones, "; ", |p| phone(spec, p))),
            esc(&l.emails.join("; ")),
            esc(&join(&l.relatives, ", ", |r| shown(spec, r))),
        ),
        Style::DefList => deflist(spec, l, year),
        Style::JsonLd => format!(
            "<article class=\"result\">{}</article>",
            jsonld_block(spec, l, year)
        ),
        Style::Microdata => microdata(spec, l, year),
        Style::Labels => {
            let mut s = format!(
                "<div id=\"report\"><h1 class=\"who\">{}</h1><p class=\"row born\">Born: {}</p><p class=\"row age\">Age: {}</p>",
                esc(&reordered(spec, &l.name)),
                l.birth_year,
                age(l, year)
            );
            for n in &l.akas {
                s.push_str(&format!(
                    "<p class=\"row aka\">AKA: {}</p>",
                    esc(&natural(spec, n))
                ));
            }
            for a in &l.addresses {
                s.push_str(&format!(
                    "<p class=\"row address\">Address: {}</p>",
                    esc(&addr(spec, a))
                ));
            }
            for p in &l.phones {
                s.push_str(&format!(
                    "<p class=\"row phone\">Phone: {}</p>",
                    esc(&phone(spec, p))
                ));
            }
            for e in &l.emails {
                s.push_str(&format!("<p class=\"row email\">Email: {}</p>", esc(e)));
            }
            for r in &l.relatives {
                s.push_str(&format!(
                    "<p class=\"row relative\">Relative: {}</p>",
                    esc(&shown(spec, r))
                ));
            }
            s.push_str("</div>");
            s
        }
        Style::Lines => format!(
            "<ul class=\"entries\"><li class=\"entry\">{}</li></ul>",
            line(spec, l)
        ),
        Style::DataAttrs => format!("<div class=\"rows\">{}</div>", data_row(spec, l, year)),
    };
    page(spec, &title, &canonical, &body)
}
