//! Errors about the user's input files that point at the exact spot.
//!
//! Every loader (profile, source definitions, batch CSV) reports problems as
//! `file:line: field: what is wrong, what is expected`, the way a compiler
//! would, so that a person can fix the file without reading our code.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// A problem in an input file, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file that holds the problem.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted path of the field ("addresses[1].state"), empty for the file as a whole.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl InputError {
    /// A problem with the whole file (unreadable, empty, ...).
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            line: None,
            field: String::new(),
            message: message.into(),
        }
    }

    /// A problem in `field` of a TOML document, located by looking the field
    /// up in `text`.
    pub fn at_field(file: &Path, text: &str, field: &str, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            line: line_of_field(text, field),
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// Several input errors at once, so a user fixes a file in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// Reads and deserialises a TOML file, turning syntax and type errors into
/// an [`InputError`] with line and field.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<(T, String), InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::file(path, format!("cannot read file: {e}")))?;
    let value = parse_toml(path, &text)?;
    Ok((value, text))
}

/// Deserialises TOML text that came from `path`.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, InputError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        // toml's Display carries the key path as "in `a.b`"; keep just that.
        let shown = e.to_string();
        let field = shown
            .lines()
            .find_map(|l| l.strip_prefix("in `").and_then(|r| r.strip_suffix('`')))
            .map(str::to_string)
            .or_else(|| line.and_then(|l| key_on_line(text, l)))
            .unwrap_or_default();
        InputError {
            file: path.to_path_buf(),
            line,
            field,
            message: e.message().trim().to_string(),
        }
    })
}

/// The key assigned on a line (`count = "many"` → `count`), used when the
/// TOML error does not name the field itself.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = l.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// 1-based line number of a byte offset.
pub fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// Finds the line where a dotted field path ("a.b[2].c") is defined in a
/// TOML document. Falls back to the deepest parent that exists.
pub fn line_of_field(text: &str, field: &str) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let mut best: Option<usize> = None;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut array: Option<&[toml::Spanned<DeValue<'_>>]> = None;
    for seg in split_path(field) {
        let value = match seg {
            Seg::Key(k) => {
                let t = table?;
                let (key, value) = t.get_key_value(k)?;
                best = Some(line_at(text, key.span().start));
                value
            }
            Seg::Index(i) => {
                let items = array?;
                let value = items.get(i)?;
                best = Some(line_at(text, value.span().start));
                value
            }
        };
        table = None;
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(a),
            _ => {}
        }
    }
    best
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn split_path(field: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in field.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Seg::Key(&rest[..open]));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = match stripped.find(']') {
                    Some(c) => c,
                    None => break,
                };
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Seg::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Seg::Key(rest));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\n\n[[addresses]]\ncity = \"A\"\n\n[[addresses]]\ncity = \"B\"\nstate = \"ZZ\"\n\n[search.results]\ncard = \".c\"\n";

    #[test]
    fn finds_nested_fields() {
        assert_eq!(line_of_field(DOC, "name"), Some(1));
        assert_eq!(line_of_field(DOC, "addresses[1].state"), Some(8));
        assert_eq!(line_of_field(DOC, "addresses[0].city"), Some(4));
        assert_eq!(line_of_field(DOC, "search.results.card"), Some(11));
    }

    #[test]
    fn missing_field_has_no_line() {
        assert_eq!(line_of_field(DOC, "nope"), None);
    }

    #[test]
    fn type_errors_carry_line_and_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            name: String,
            count: u32,
        }
        let err =
            parse_toml::<T>(Path::new("p.toml"), "name = \"a\"\ncount = \"many\"\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.to_string().starts_with("p.toml:2: count: "), "{err}");
    }
}
