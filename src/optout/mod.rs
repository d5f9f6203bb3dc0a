//! Opt-out and access request drafts, and the request ledger.
