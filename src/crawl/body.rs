//! Reading a body within a size cap and turning its bytes into text.

use encoding_rs::{Encoding, UTF_8};
use futures_util::StreamExt;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// More decoded bytes than the cap.
    TooLarge,
    /// The stream broke off (reset, truncated, timeout).
    Broken(String),
}

/// Reads the whole body, stopping as soon as the decoded size passes `cap`.
///
/// reqwest inflates gzip and brotli transparently, so the chunks counted
/// here are already decoded: a 10 KB gzip bomb stops at the cap instead of
/// filling memory.
pub async fn read_capped(resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyError::Broken(super::classify(&e)))?;
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Decodes a body to text: a byte-order mark wins, then the `Content-Type`
/// charset, then a `<meta charset>` in the first 1 KiB, then UTF-8. Invalid
/// sequences become U+FFFD instead of failing.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| meta_charset(bytes));
    let enc = declared.unwrap_or(UTF_8);
    // `decode` sniffs a BOM first and replaces malformed sequences.
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `<meta charset="x">` or `<meta http-equiv=Content-Type content="...; charset=x">`.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(i) = rest.find("<meta") {
        rest = &rest[i + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(j) = tag.find("charset=") {
            let v = tag[j + 8..].trim_start_matches(['"', '\'', ' ']);
            let end = v
                .find(|c: char| c == '"' || c == '\'' || c == ';' || c.is_whitespace() || c == '/')
                .unwrap_or(v.len());
            if let Some(enc) = Encoding::for_label(&v.as_bytes()[..end]) {
                // A page cannot really be UTF-16 if we read its meta tag as ASCII.
                return Some(if enc.is_single_byte() || enc == UTF_8 {
                    enc
                } else {
                    UTF_8
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_from_header_meta_and_fallback() {
        let latin1 = b"<p>Jos\xe9 M\xfcller</p>";
        assert_eq!(
            decode(latin1, Some("text/html; charset=ISO-8859-1")),
            "<p>José Müller</p>"
        );
        let meta = b"<html><head><meta charset=\"windows-1252\"></head>Jos\xe9";
        assert!(decode(meta, Some("text/html")).ends_with("José"));
        let equiv =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">\xe9";
        assert!(decode(equiv, None).ends_with('é'));
        assert_eq!(decode(b"ok \xff\xfe bad", None), "ok \u{fffd}\u{fffd} bad");
        assert_eq!(decode("żółw".as_bytes(), None), "żółw");
        assert_eq!(decode(b"x", Some("text/html; charset=bogus")), "x");
    }
}
