//! Batch input: one subject per CSV row or JSONL line, read as a stream.
//!
//! CSV columns (header required, any order, all optional but `first` and
//! `last`): `id, first, middle, last, suffix, former_names, nicknames,
//! birth_year, birth_date, street, city, state, zip, country, past_addresses,
//! phones, emails, usernames, relatives, jurisdiction`. List columns are
//! separated by `;`; a former name is "First Last"; a past address is
//! "City, ST" or "City, ST ZIP". JSONL lines are profile objects with the
//! same fields as the TOML profile.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::diagnostics::InputError;
use crate::model::{Address, PersonName};
use crate::profile::{Profile, slug};

/// Columns a batch CSV may have.
pub const CSV_COLUMNS: [&str; 20] = [
    "id",
    "first",
    "middle",
    "last",
    "suffix",
    "former_names",
    "nicknames",
    "birth_year",
    "birth_date",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "past_addresses",
    "phones",
    "emails",
    "usernames",
    "relatives",
    "jurisdiction",
];

/// One input row: its line number and the profile, or why it is unusable.
pub type Row = (usize, Result<Profile, Vec<InputError>>);

/// Input format, from the file extension unless given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON profile object per line.
    Jsonl,
}

impl Format {
    /// Guesses from the extension: `.jsonl`/`.ndjson` are JSONL, the rest CSV.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") | Some("ndjson") => Format::Jsonl,
            _ => Format::Csv,
        }
    }
}

/// Opens a batch file and yields its rows lazily, so memory stays flat
/// however many people it lists. Fails only if the file or its CSV header
/// is unusable.
pub fn rows(path: &Path) -> Result<Box<dyn Iterator<Item = Row>>, InputError> {
    let file =
        File::open(path).map_err(|e| InputError::file(path, format!("cannot read file: {e}")))?;
    match Format::of(path) {
        Format::Jsonl => Ok(Box::new(jsonl_rows(
            path.to_path_buf(),
            BufReader::new(file),
        ))),
        Format::Csv => csv_rows(path.to_path_buf(), file),
    }
}

fn jsonl_rows(path: PathBuf, reader: BufReader<File>) -> impl Iterator<Item = Row> {
    reader.lines().enumerate().filter_map(move |(i, line)| {
        let n = i + 1;
        let err = |field: &str, msg: String| InputError {
            file: path.clone(),
            line: Some(n),
            field: field.to_string(),
            message: msg,
        };
        let line = match line {
            Ok(l) => l,
            Err(e) => return Some((n, Err(vec![err("", format!("unreadable line: {e}"))]))),
        };
        if line.trim().is_empty() {
            return None;
        }
        let profile: Profile = match serde_json::from_str(&line) {
            Ok(p) => p,
            Err(e) => {
                return Some((
                    n,
                    Err(vec![err(
                        "",
                        format!("{e}; expected a JSON object with profile fields"),
                    )]),
                ));
            }
        };
        Some((n, finish(profile, n, |field, msg| err(field, msg))))
    })
}

fn csv_rows(path: PathBuf, file: File) -> Result<Box<dyn Iterator<Item = Row>>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| InputError::file(&path, format!("cannot read the CSV header: {e}")))?
        .clone();
    for (i, h) in headers.iter().enumerate() {
        if !CSV_COLUMNS.contains(&h) {
            return Err(InputError {
                file: path.clone(),
                line: Some(1),
                field: h.to_string(),
                message: format!(
                    "unknown column {} ({h:?}); expected some of: {}",
                    i + 1,
                    CSV_COLUMNS.join(", ")
                ),
            });
        }
    }
    for needed in ["first", "last"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(InputError {
                file: path.clone(),
                line: Some(1),
                field: needed.into(),
                message: format!(
                    "missing column {needed:?}; the header must name at least first and last"
                ),
            });
        }
    }
    let iter = reader.into_records().map(move |rec| {
        let (line, rec) = match rec {
            Ok(r) => (r.position().map_or(0, |p| p.line() as usize), r),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return (
                    line,
                    Err(vec![InputError {
                        file: path.clone(),
                        line: Some(line),
                        field: String::new(),
                        message: format!("{e}"),
                    }]),
                );
            }
        };
        let get = |col: &str| {
            headers
                .iter()
                .position(|h| h == col)
                .and_then(|i| rec.get(i))
                .unwrap_or("")
                .to_string()
        };
        let err = |field: &str, msg: String| InputError {
            file: path.clone(),
            line: Some(line),
            field: field.to_string(),
            message: msg,
        };
        (line, csv_profile(&get, line, &err))
    });
    Ok(Box::new(iter))
}

fn list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn csv_profile(
    get: &dyn Fn(&str) -> String,
    line: usize,
    err: &dyn Fn(&str, String) -> InputError,
) -> Result<Profile, Vec<InputError>> {
    let mut errors = Vec::new();
    let birth_year = match get("birth_year").as_str() {
        "" => None,
        y => match y.parse() {
            Ok(y) => Some(y),
            Err(_) => {
                errors.push(err(
                    "birth_year",
                    format!("{y:?} is not a year; expected e.g. 1984"),
                ));
                None
            }
        },
    };
    let mut former_names = Vec::new();
    for n in list(&get("former_names")) {
        let parts: Vec<&str> = n.split_whitespace().collect();
        if parts.len() < 2 {
            errors.push(err(
                "former_names",
                format!("{n:?} needs a first and a last name, e.g. \"Jane Smith\""),
            ));
            continue;
        }
        former_names.push(PersonName::new(
            parts[0],
            &parts[1..parts.len() - 1].join(" "),
            parts[parts.len() - 1],
        ));
    }
    let mut past_addresses = Vec::new();
    for a in list(&get("past_addresses")) {
        match a.split_once(',') {
            Some((city, rest)) => {
                let mut w = rest.split_whitespace();
                past_addresses.push(Address {
                    city: city.trim().to_string(),
                    state: w.next().unwrap_or_default().to_string(),
                    zip: w.next().unwrap_or_default().to_string(),
                    ..Address::default()
                });
            }
            None => errors.push(err(
                "past_addresses",
                format!("{a:?} is not \"City, ST\" or \"City, ST ZIP\""),
            )),
        }
    }
    let current = Address {
        street: get("street"),
        city: get("city"),
        state: get("state"),
        zip: get("zip"),
        country: get("country"),
    };
    let profile = Profile {
        id: get("id"),
        jurisdiction: get("jurisdiction"),
        birth_year,
        birth_date: Some(get("birth_date")).filter(|d| !d.is_empty()),
        nicknames: list(&get("nicknames")),
        phones: list(&get("phones")),
        emails: list(&get("emails")),
        usernames: list(&get("usernames")),
        relatives: list(&get("relatives")),
        names: vec![PersonName {
            suffix: get("suffix"),
            ..PersonName::new(&get("first"), &get("middle"), &get("last"))
        }],
        former_names,
        addresses: if current == Address::default() {
            vec![]
        } else {
            vec![current]
        },
        past_addresses,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    finish(profile, line, |f, m| err(&csv_column(f), m))
}

/// Maps a profile field path to the CSV column that fills it.
fn csv_column(field: &str) -> String {
    let head = field.split(['[', '.']).next().unwrap_or(field);
    let tail = field.rsplit('.').next().unwrap_or(field);
    match head {
        "names" => tail.to_string(),
        "addresses" if field.contains('.') => tail.to_string(),
        "addresses" => "city".into(),
        other => other.to_string(),
    }
}

/// Validates a row's profile and gives it a stable id: the `id` column, or
/// the name's slug plus the line number (namesakes in one file must not
/// share a subject).
fn finish(
    mut p: Profile,
    line: usize,
    err: impl Fn(&str, String) -> InputError,
) -> Result<Profile, Vec<InputError>> {
    let problems = p.validate();
    if !problems.is_empty() {
        return Err(problems.into_iter().map(|(f, m)| err(&f, m)).collect());
    }
    if p.id.is_empty() {
        p.id = format!("{}-l{line}", slug(&p.primary_name().full()));
    }
    p.fill_defaults();
    Ok(p)
}

/// Writes profiles as a batch CSV (the inverse of [`rows`]): used to turn
/// the simulated population into benchmark and test input.
pub fn write_csv<'a, W: std::io::Write>(
    out: W,
    profiles: impl IntoIterator<Item = &'a Profile>,
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    let join = |v: &[String]| v.join("; ");
    for p in profiles {
        let name = p.primary_name();
        let current = p.addresses.first().cloned().unwrap_or_default();
        let former: Vec<String> = p
            .former_names
            .iter()
            .map(|n| format!("{} {}", n.first, n.last))
            .collect();
        let past: Vec<String> = p
            .past_addresses
            .iter()
            .map(|a| {
                format!("{}, {} {}", a.city, a.state, a.zip)
                    .trim()
                    .to_string()
            })
            .collect();
        w.write_record([
            p.id.clone(),
            name.first,
            name.middle,
            name.last,
            name.suffix,
            join(&former),
            join(&p.nicknames),
            p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            p.birth_date.clone().unwrap_or_default(),
            current.street,
            current.city,
            current.state,
            current.zip,
            current.country,
            join(&past),
            join(&p.phones),
            join(&p.emails),
            join(&p.usernames),
            join(&p.relatives),
            p.jurisdiction.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn csv_rows_become_profiles_and_bad_rows_name_line_and_column() {
        let (_d, p) = write(
            "people.csv",
            "first,last,city,state,phones,past_addresses,birth_year\n\
             Jane,Doe,Austin,TX,512-555-0100;512-555-0101,\"Boise, ID\",1984\n\
             John,Roe,Springfield,Narnia,,,\n\
             Ann,Lee,Reno,NV,,,old\n",
        );
        let rows: Vec<Row> = rows(&p).unwrap().collect();
        assert_eq!(rows.len(), 3);
        let jane = rows[0].1.as_ref().unwrap();
        assert_eq!(jane.id, "jane-doe-l2");
        assert_eq!(jane.phones.len(), 2);
        assert_eq!(jane.past_addresses[0].state, "ID");
        assert_eq!(jane.jurisdiction, "US-TX");
        let e = &rows[1].1.as_ref().unwrap_err()[0];
        assert_eq!((e.line, e.field.as_str()), (Some(3), "state"));
        assert!(
            e.to_string()
                .contains("people.csv:3: state: \"Narnia\" is not a US state"),
            "{e}"
        );
        let e = &rows[2].1.as_ref().unwrap_err()[0];
        assert_eq!((e.line, e.field.as_str()), (Some(4), "birth_year"));
    }

    #[test]
    fn written_csv_reads_back_to_the_same_profiles() {
        let mut p = Profile {
            id: "p1".into(),
            birth_year: Some(1970),
            phones: vec!["512-555-0100".into(), "512-555-0101".into()],
            names: vec![PersonName::new("Ann", "B", "Lee")],
            former_names: vec![PersonName::new("Ann", "", "Roe")],
            addresses: vec![Address {
                city: "Austin".into(),
                state: "TX".into(),
                zip: "78701".into(),
                ..Address::default()
            }],
            past_addresses: vec![Address {
                city: "Reno".into(),
                state: "NV".into(),
                ..Address::default()
            }],
            ..Profile::default()
        };
        p.fill_defaults();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_csv(std::fs::File::create(&path).unwrap(), [&p]).unwrap();
        let back: Vec<Row> = rows(&path).unwrap().collect();
        assert_eq!(back[0].1.as_ref().unwrap(), &p);
    }

    #[test]
    fn unknown_csv_column_is_an_error_with_its_name() {
        let (_d, p) = write("people.csv", "first,last,town\nA,B,C\n");
        let e = rows(&p).err().unwrap();
        assert!(e.to_string().contains("unknown column 3 (\"town\")"), "{e}");
    }

    #[test]
    fn jsonl_lines_become_profiles() {
        let (_d, p) = write(
            "people.jsonl",
            "{\"names\":[{\"first\":\"Jane\",\"last\":\"Doe\"}],\"addresses\":[{\"city\":\"Austin\",\"state\":\"TX\"}]}\n\n{\"names\":[]}\n",
        );
        let rows: Vec<Row> = rows(&p).unwrap().collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].1.is_ok());
        let e = &rows[1].1.as_ref().unwrap_err()[0];
        assert_eq!(e.line, Some(3));
        assert_eq!(e.field, "names");
    }
}
