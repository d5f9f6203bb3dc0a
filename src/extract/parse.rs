//! Typed parsers for the strings pages show: names, ages, phones, addresses.

use crate::geo;
use crate::model::{Address, PersonName};

/// Parses a displayed name ("Jane Q Doe", "DOE, JANE").
pub fn name(s: &str) -> Option<PersonName> {
    let s = s.trim();
    if let Some((last, rest)) = s.split_once(',') {
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let first = parts.first()?;
        return Some(PersonName::new(first, &parts[1..].join(" "), last.trim()));
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() < 2 {
        return None;
    }
    Some(PersonName::new(
        parts[0],
        &parts[1..parts.len() - 1].join(" "),
        parts[parts.len() - 1],
    ))
}

/// Parses an age ("Age 42", "42").
pub fn age(s: &str) -> Option<u32> {
    s.split(|c: char| !c.is_ascii_digit())
        .find(|p| !p.is_empty())
        .and_then(|p| p.parse().ok())
        .filter(|a| (1..130).contains(a))
}

/// Parses a US phone into E.164.
pub fn phone(s: &str) -> Option<String> {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    match d.len() {
        10 => Some(format!("+1{d}")),
        11 if d.starts_with('1') => Some(format!("+{d}")),
        _ => None,
    }
}

/// Parses "street, City, ST 12345" or "City, ST".
pub fn address(s: &str) -> Option<Address> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let last = *parts.last()?;
    let mut words = last.split_whitespace();
    let state = geo::state_code(words.next()?)?;
    let zip = words.next().unwrap_or_default();
    let city = parts.get(parts.len().checked_sub(2)?)?;
    let street = if parts.len() >= 3 {
        parts[..parts.len() - 2].join(", ")
    } else {
        String::new()
    };
    Some(Address {
        street,
        city: city.to_string(),
        state: state.to_string(),
        zip: zip.to_string(),
        country: "US".into(),
    })
}
