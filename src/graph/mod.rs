//! The exposure graph: subject → attributes → listings → sources → companies.

pub mod provenance;
