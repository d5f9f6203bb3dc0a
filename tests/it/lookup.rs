//! `brokertrace lookup` against tiny synthetic site lists that point at a
//! loopback server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use crate::common::cmd;

/// Answers by path: `/u/jqtest` exists, `/u/*` else is 404, `/msg/*`
/// always 200 with a "no such user" text unless the name is jqtest,
/// `/redir/*` redirects to the home page unless the name is jqtest.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            std::thread::spawn(move || answer(sock));
        }
    });
    format!("http://{addr}")
}

fn answer(mut sock: TcpStream) {
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
        }
        let me = path.ends_with("/jqtest");
        let (status, extra, body) = match path.split('/').nth(1).unwrap_or("") {
            "u" if me => ("200 OK", "", "<h1>jqtest's profile</h1>"),
            "u" => ("404 Not Found", "", "nope"),
            "msg" if me => ("200 OK", "", "<h1>jqtest</h1>"),
            "msg" => ("200 OK", "", "<p>No such user</p>"),
            "redir" if me => ("200 OK", "", "<h1>jqtest</h1>"),
            "redir" => ("302 Found", "Location: /\r\n", ""),
            "wall" => ("200 OK", "", "<h1>Please verify you are human</h1>"),
            "api" if me => ("200 OK", "", r#"{"id": 7}"#),
            "api" => ("404 Not Found", "", r#"{"error": "not found"}"#),
            _ => ("404 Not Found", "", "home"),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        );
        if sock.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(file: &std::path::Path, user: &str, extra: &[&str]) -> (String, String, i32) {
    let out = cmd()
        .args(["lookup", user, "--sites"])
        .arg(file)
        .args(extra)
        // Every synthetic site shares one loopback host; lift the per-host rate.
        .args(["--rate", "6000"])
        .output()
        .unwrap();
    let mut stdout = String::new();
    out.stdout.as_slice().read_to_string(&mut stdout).unwrap();
    (
        stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn sherlock_file_finds_exactly_the_profiles() {
    let base = server();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "data.json",
        &format!(
            r#"{{
  "$schema": "data.schema.json",
  "Zeta": {{"url": "{base}/u/{{}}", "urlMain": "{base}", "errorType": "status_code"}},
  "alpha": {{"url": "{base}/msg/{{}}", "urlMain": "{base}", "errorType": "message", "errorMsg": "No such user"}},
  "Mid": {{"url": "{base}/redir/{{}}", "urlMain": "{base}", "errorType": "response_url"}},
  "Walled": {{"url": "{base}/wall/{{}}", "urlMain": "{base}", "errorType": "status_code"}},
  "Strict": {{"url": "{base}/u/{{}}x", "urlMain": "{base}", "errorType": "status_code", "regexCheck": "^[0-9]+$"}}
}}"#
        ),
    );
    let (stdout, stderr, code) = run(&file, "jqtest", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("{base}/msg/jqtest\n{base}/redir/jqtest\n{base}/u/jqtest\n")
    );
    assert!(stderr.contains("1 blocked"), "{stderr}");
    assert!(stderr.contains("1 skipped"), "{stderr}");

    let (stdout, _, code) = run(&file, "someone", &["--format", "sherlock"]);
    assert_eq!((stdout.as_str(), code), ("", 1));
}

#[test]
fn maigret_and_whatsmyname_files() {
    let base = server();
    let dir = tempfile::tempdir().unwrap();
    let maigret = write(
        &dir,
        "maigret.json",
        &format!(
            r#"{{"sites": {{
  "One": {{"url": "{{urlMain}}/msg/{{username}}", "urlMain": "{base}", "checkType": "message",
           "absenceStrs": ["No such user"], "presenseStrs": ["<h1>"]}},
  "Two": {{"url": "{base}/u/{{username}}", "checkType": "status_code", "disabled": true}}
}}}}"#
        ),
    );
    let (stdout, stderr, code) = run(&maigret, "jqtest", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{base}/msg/jqtest\n"));

    let wmn = write(
        &dir,
        "wmn-data.json",
        &format!(
            r#"{{"sites": [
  {{"name": "Api", "uri_check": "{base}/api/{{account}}", "uri_pretty": "{base}/u/{{account}}",
    "e_code": 200, "e_string": "\"id\"", "m_code": 404, "m_string": "not found", "cat": "social"}}
]}}"#
        ),
    );
    let (stdout, stderr, code) = run(&wmn, "jqtest", &["--format", "wmn"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{base}/u/jqtest\n"));
}

#[test]
fn unreadable_site_file_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let odd = write(&dir, "odd.json", r#"{"hello": 1}"#);
    let (_, stderr, code) = run(&odd, "jqtest", &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--format"), "{stderr}");
}
