//! Progress display: indicatif bars on a terminal, JSON lines for scripts,
//! nothing otherwise. The library only emits [`ProgressEvent`]s.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::Mutex;

use brokertrace::scan::{Progress, ProgressEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Chooses the display from the global flags: bars only when both stdout
/// and stderr are terminals (piped or logged runs get no bars).
pub fn for_cli(quiet: bool, json: bool) -> Box<dyn Progress> {
    if json {
        Box::new(JsonLines)
    } else if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        Box::new(brokertrace::scan::NoProgress)
    } else {
        Box::new(Bars::new())
    }
}

struct JsonLines;

impl Progress for JsonLines {
    fn event(&self, e: &ProgressEvent) {
        if let Ok(line) = serde_json::to_string(e) {
            eprintln!("{line}");
        }
    }
}

/// A source's bar and its count of check states.
type SourceBar = (ProgressBar, BTreeMap<String, usize>);

/// One overall bar plus one bar per source.
struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    per_source: Mutex<HashMap<String, SourceBar>>,
    subjects: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:>14} [{bar:30}] {pos}/{len} checks  {per_sec}  ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        overall.set_prefix("all sources");
        Bars {
            multi,
            overall,
            per_source: Mutex::new(HashMap::new()),
            subjects: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn event(&self, e: &ProgressEvent) {
        match e {
            ProgressEvent::Planned {
                total, per_source, ..
            } => {
                self.overall.inc_length(*total as u64);
                let style =
                    ProgressStyle::with_template("  {prefix:>14} [{bar:30}] {pos}/{len} {msg}")
                        .expect("valid template")
                        .progress_chars("=> ");
                let mut bars = self.per_source.lock().expect("progress lock");
                for (source, n) in per_source {
                    let (bar, _) = bars.entry(source.clone()).or_insert_with(|| {
                        let b = self.multi.add(ProgressBar::new(0));
                        b.set_style(style.clone());
                        b.set_prefix(source.chars().take(14).collect::<String>());
                        (b, BTreeMap::new())
                    });
                    bar.inc_length(*n as u64);
                }
            }
            ProgressEvent::CheckDone { source, state, .. } => {
                self.overall.inc(1);
                if let Some((b, counts)) = self
                    .per_source
                    .lock()
                    .expect("progress lock")
                    .get_mut(source)
                {
                    b.inc(1);
                    *counts.entry(state.clone()).or_default() += 1;
                    let msg: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                    b.set_message(msg.join(" · "));
                }
            }
            ProgressEvent::BatchPlanned { subjects } => {
                let b = self.multi.insert(0, ProgressBar::new(*subjects as u64));
                b.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix:>14} [{bar:30}] {pos}/{len} subjects  ETA {eta}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                b.set_prefix("subjects");
                *self.subjects.lock().expect("progress lock") = Some(b);
            }
            ProgressEvent::SubjectSkipped { .. } | ProgressEvent::Finished { .. } => {
                if let Some(b) = self.subjects.lock().expect("progress lock").as_ref() {
                    b.inc(1);
                }
            }
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
        for (b, _) in self.per_source.lock().expect("progress lock").values() {
            b.finish_and_clear();
        }
        if let Some(b) = self.subjects.lock().expect("progress lock").as_ref() {
            b.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
