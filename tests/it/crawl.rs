//! Fault injection: a loopback server that misbehaves on purpose, and the
//! state the fetcher must record for each misbehaviour.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brokertrace::crawl::{CrawlConfig, FetchOutcome, FetchRequest, Fetcher, Validators};
use brokertrace::model::CheckState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Shared counters of the fault server.
#[derive(Default)]
struct Counters {
    hits: Mutex<HashMap<String, usize>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct FaultServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
}

impl FaultServer {
    fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
    }
    fn hits(&self, path: &str) -> usize {
        *self.counters.hits.lock().unwrap().get(path).unwrap_or(&0)
    }
}

/// Starts the server; `robots` is served at /robots.txt when given.
async fn start(robots: Option<&'static str>) -> FaultServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    let c = counters.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let c = c.clone();
            tokio::spawn(async move {
                let _ = serve(sock, c, robots).await;
            });
        }
    });
    FaultServer { addr, counters }
}

async fn read_head(sock: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut byte).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&byte[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A body of `decoded` zero bytes, gzip-compressed (about 1000:1).
fn gzip_bomb(decoded: usize) -> Vec<u8> {
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..decoded >> 20 {
            stdin.write_all(&zeros).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out.stdout
}

async fn serve(
    mut sock: TcpStream,
    c: Arc<Counters>,
    robots: Option<&'static str>,
) -> std::io::Result<()> {
    while let Some(head) = read_head(&mut sock).await? {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let n = {
            let mut hits = c.hits.lock().unwrap();
            let e = hits.entry(path.clone()).or_default();
            *e += 1;
            *e
        };
        let ok = |body: &str| response("200 OK", &[("Content-Type", "text/html")], body.as_bytes());
        let reply = match path.as_str() {
            "/robots.txt" => match robots {
                Some(txt) => response("200 OK", &[], txt.as_bytes()),
                None => response("404 Not Found", &[], b""),
            },
            "/reset" => {
                sock.set_zero_linger()?;
                return Ok(());
            }
            "/stall" => {
                tokio::time::sleep(Duration::from_secs(20)).await;
                ok("late")
            }
            "/truncated" => {
                sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
                    .await?;
                return Ok(());
            }
            "/huge" => {
                sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n")
                    .await?;
                let chunk = vec![b'a'; 64 * 1024];
                for _ in 0..1600 {
                    sock.write_all(&chunk).await?;
                }
                return Ok(());
            }
            "/bomb" => {
                let body = gzip_bomb(100 << 20);
                response("200 OK", &[("Content-Encoding", "gzip")], &body)
            }
            "/loop" => response("302 Found", &[("Location", "/loop2")], b""),
            "/loop2" => response("302 Found", &[("Location", "/loop")], b""),
            "/scheme" => response("302 Found", &[("Location", "file:///etc/passwd")], b""),
            "/storm" if n <= 2 => response("429 Too Many Requests", &[("Retry-After", "1")], b""),
            "/always429" => response("429 Too Many Requests", &[("Retry-After", "1")], b""),
            "/flaky" if n <= 2 => response("500 Internal Server Error", &[], b"oops"),
            "/captcha" => ok("<html><head><title>One more step</title></head><body>\
                 <h1>Please verify you are human</h1><div class=g-recaptcha></div></body></html>"),
            "/latin1" => response(
                "200 OK",
                &[("Content-Type", "text/html; charset=ISO-8859-1")],
                b"<p>Jos\xe9 M\xfcller</p>",
            ),
            "/invalid-utf8" => response("200 OK", &[], b"<p>ok \xff\xfe\xfd end</p>"),
            "/etag" => {
                if head.to_lowercase().contains("if-none-match: \"v1\"") {
                    response("304 Not Modified", &[("ETag", "\"v1\"")], b"")
                } else {
                    response("200 OK", &[("ETag", "\"v1\"")], b"<p>listing</p>")
                }
            }
            "/gone" => response("404 Not Found", &[], b"<h1>No such person</h1>"),
            "/slow" => {
                let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                c.max_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                c.in_flight.fetch_sub(1, Ordering::SeqCst);
                ok("<p>slow</p>")
            }
            _ => ok("<p>fine</p>"),
        };
        sock.write_all(&reply).await?;
    }
    Ok(())
}

/// Settings that keep every test fast: short timeouts, quick retries,
/// robots ignored unless the test is about robots.
fn config() -> CrawlConfig {
    CrawlConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(1500),
        max_body_bytes: 1024 * 1024,
        retries: 2,
        retry_base: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(5),
        requests_per_minute: 60_000,
        max_in_flight_per_host: 8,
        respect_robots: false,
        ..CrawlConfig::default()
    }
}

async fn get(f: &Fetcher, s: &FaultServer, path: &str) -> FetchOutcome {
    f.fetch(&FetchRequest::get(s.url(path))).await
}

fn error(kind: &str) -> CheckState {
    CheckState::Error(kind.into())
}

#[tokio::test]
async fn connection_reset_is_an_error_after_retries() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    assert_eq!(get(&f, &s, "/reset").await, Err(error("reset")));
    assert_eq!(s.hits("/reset"), 3, "one try and two retries");
}

#[tokio::test]
async fn stall_past_the_timeout() {
    let s = start(None).await;
    let f = Fetcher::new(CrawlConfig {
        timeout: Duration::from_millis(300),
        retries: 0,
        ..config()
    })
    .unwrap();
    let t = Instant::now();
    assert_eq!(get(&f, &s, "/stall").await, Err(error("timeout")));
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn truncated_body() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    let out = get(&f, &s, "/truncated").await;
    assert!(
        matches!(&out, Err(CheckState::Error(k)) if k == "truncated" || k == "body" || k == "reset"),
        "{out:?}"
    );
    assert_eq!(s.hits("/truncated"), 3);
}

#[tokio::test]
async fn hundred_megabyte_body_stops_at_the_cap() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    let t = Instant::now();
    assert_eq!(get(&f, &s, "/huge").await, Err(error("too_large")));
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_decoded_cap() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    assert_eq!(get(&f, &s, "/bomb").await, Err(error("too_large")));
}

#[tokio::test]
async fn redirect_loop_and_bad_scheme() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    assert_eq!(get(&f, &s, "/loop").await, Err(error("redirect_loop")));
    // The loop is seen before /loop is asked again, and never retried.
    assert_eq!((s.hits("/loop"), s.hits("/loop2")), (1, 1));
    assert_eq!(get(&f, &s, "/scheme").await, Err(error("redirect_scheme")));
}

#[tokio::test]
async fn storm_of_429_waits_for_retry_after_and_slows_the_whole_host() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    let t = Instant::now();
    let storm = {
        let (f, url) = (f.clone(), s.url("/storm"));
        tokio::spawn(async move { f.fetch(&FetchRequest::get(url)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Another page on the same host waits out the pause too.
    let other = get(&f, &s, "/other").await.expect("other page");
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(other.status, 200);
    let page = storm.await.unwrap().expect("success after the storm");
    assert_eq!(page.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(1900));
    assert_eq!(s.hits("/storm"), 3);
}

#[tokio::test]
async fn endless_429_is_rate_limited_past_the_budget() {
    let s = start(None).await;
    let f = Fetcher::new(CrawlConfig {
        retries: 1,
        ..config()
    })
    .unwrap();
    assert_eq!(
        get(&f, &s, "/always429").await,
        Err(CheckState::RateLimited)
    );
    assert_eq!(s.hits("/always429"), 2);
    // A host asking for a wait beyond our patience is given up at once.
    let impatient = Fetcher::new(CrawlConfig {
        max_retry_wait: Duration::from_millis(500),
        ..config()
    })
    .unwrap();
    let t = Instant::now();
    assert_eq!(
        get(&impatient, &s, "/always429").await,
        Err(CheckState::RateLimited)
    );
    assert!(t.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn server_errors_then_success() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    let page = get(&f, &s, "/flaky").await.expect("third try succeeds");
    assert_eq!(page.body, "<p>fine</p>");
    assert_eq!(s.hits("/flaky"), 3);
}

#[tokio::test]
async fn captcha_with_200_is_blocked_not_a_page() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    assert_eq!(
        get(&f, &s, "/captcha").await,
        Err(CheckState::Blocked("captcha".into()))
    );
    let mut req = FetchRequest::get(s.url("/other"));
    req.blocked_markers = vec!["FINE".into()];
    assert_eq!(
        f.fetch(&req).await,
        Err(CheckState::Blocked("marker".into()))
    );
}

#[tokio::test]
async fn latin1_and_invalid_utf8_are_decoded() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    assert_eq!(
        get(&f, &s, "/latin1").await.unwrap().body,
        "<p>José Müller</p>"
    );
    assert_eq!(
        get(&f, &s, "/invalid-utf8").await.unwrap().body,
        "<p>ok \u{fffd}\u{fffd}\u{fffd} end</p>"
    );
    assert_eq!(get(&f, &s, "/gone").await.unwrap().status, 404);
}

#[tokio::test]
async fn robots_disallow_is_obeyed_and_fetched_once() {
    let s = start(Some(
        "User-agent: brokertrace\nDisallow: /private\n\nUser-agent: *\nDisallow: /",
    ))
    .await;
    let f = Fetcher::new(CrawlConfig {
        respect_robots: true,
        ..config()
    })
    .unwrap();
    let (a, b, c) = tokio::join!(
        get(&f, &s, "/private/x"),
        get(&f, &s, "/public"),
        get(&f, &s, "/private/y")
    );
    assert_eq!(a, Err(CheckState::RobotsDisallowed));
    assert_eq!(c, Err(CheckState::RobotsDisallowed));
    assert_eq!(b.unwrap().status, 200);
    assert_eq!(s.hits("/robots.txt"), 1);
    assert_eq!(s.hits("/private/x"), 0);
    let rude = Fetcher::new(config()).unwrap();
    assert_eq!(get(&rude, &s, "/private/x").await.unwrap().status, 200);
}

#[tokio::test]
async fn per_host_limits_hold_across_tasks() {
    let s = start(None).await;
    let f = Fetcher::new(CrawlConfig {
        max_in_flight_per_host: 2,
        ..config()
    })
    .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (f, url) = (f.clone(), s.url("/slow"));
            tokio::spawn(async move { f.fetch(&FetchRequest::get(url)).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().status, 200);
    }
    assert_eq!(s.counters.max_in_flight.load(Ordering::SeqCst), 2);

    // 600 per minute is one per 100 ms after a burst of two.
    let slow = Fetcher::new(CrawlConfig {
        requests_per_minute: 600,
        max_in_flight_per_host: 2,
        ..config()
    })
    .unwrap();
    let t = Instant::now();
    for _ in 0..5 {
        get(&slow, &s, "/other").await.unwrap();
    }
    assert!(
        t.elapsed() >= Duration::from_millis(280),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn conditional_request_gets_304() {
    let s = start(None).await;
    let f = Fetcher::new(config()).unwrap();
    let first = get(&f, &s, "/etag").await.unwrap();
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    let mut req = FetchRequest::get(s.url("/etag"));
    req.validators = Some(Validators {
        etag: first.etag.clone(),
        last_modified: None,
    });
    let again = f.fetch(&req).await.unwrap();
    assert!(again.not_modified());
    assert_eq!(again.body, "");
}

#[test]
fn invalid_proxy_is_a_clear_error() {
    for bad in ["ftp://proxy.example:21", "not a url", "socks5h://"] {
        let err = Fetcher::new(CrawlConfig {
            proxy: Some(bad.into()),
            ..CrawlConfig::default()
        })
        .err()
        .unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(format!("{err:#}").contains("invalid proxy URL"), "{err:#}");
    }
    for good in ["http://127.0.0.1:3128", "socks5h://127.0.0.1:9050"] {
        assert!(
            Fetcher::new(CrawlConfig {
                proxy: Some(good.into()),
                ..CrawlConfig::default()
            })
            .is_ok()
        );
    }
}
