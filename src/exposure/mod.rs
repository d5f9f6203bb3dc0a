//! Breach exposure and risk summaries.
