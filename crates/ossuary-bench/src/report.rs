//! The one markdown table: figures, ratios and the targets.

use std::fmt::Write as _;

use crate::harness::{Summary, Unit};

/// A target a ratio or figure is held to (the median decides).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    AtLeast(f64),
    AtMost(f64),
    Below(f64),
    Above(f64),
}

impl Target {
    fn met(self, v: f64) -> bool {
        match self {
            Self::AtLeast(t) => v >= t,
            Self::AtMost(t) => v <= t,
            Self::Below(t) => v < t,
            Self::Above(t) => v > t,
        }
    }

    fn describe(self, unit: &str) -> String {
        let sep = if unit.is_empty() || unit == "×" {
            ""
        } else {
            " "
        };
        match self {
            Self::AtLeast(t) => format!("≥ {}{sep}{unit}", trim(t)),
            Self::AtMost(t) => format!("≤ {}{sep}{unit}", trim(t)),
            Self::Below(t) => format!("< {}{sep}{unit}", trim(t)),
            Self::Above(t) => format!("> {}{sep}{unit}", trim(t)),
        }
    }
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// One target's outcome, for the list under the table.
pub(crate) struct Verdict {
    pub(crate) what: String,
    pub(crate) met: bool,
}

/// The table being built, row by row.
#[derive(Default)]
pub(crate) struct Table {
    rows: Vec<[String; 5]>,
    pub(crate) verdicts: Vec<Verdict>,
}

fn number(v: f64, unit: Unit) -> String {
    match unit {
        Unit::MBps if v >= 100.0 => format!("{v:.0}"),
        Unit::MBps => format!("{v:.1}"),
        Unit::Micros if v >= 100.0 => format!("{v:.0}"),
        Unit::Micros if v >= 10.0 => format!("{v:.1}"),
        Unit::Micros => format!("{v:.2}"),
        Unit::PerSecond => format!("{v:.0}"),
        Unit::Cores => format!("{v:.2}"),
    }
}

fn ratio(v: f64) -> String {
    format!("{v:.2}×")
}

impl Table {
    /// A section heading row.
    pub(crate) fn section(&mut self, title: &str) {
        self.rows.push([
            format!("**{title}**"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }

    /// A timed figure: median and min–max of its samples.
    pub(crate) fn timed(&mut self, label: &str, samples: &[f64], unit: Unit, note: &str) {
        let s = Summary::of(samples);
        self.rows.push([
            label.to_owned(),
            number(s.median, unit),
            format!("{} – {}", number(s.min, unit), number(s.max, unit)),
            unit.label().to_owned(),
            note.to_owned(),
        ]);
    }

    /// A ratio computed per round; `target` (if any) is checked on the
    /// median and recorded as a verdict named `what`.
    pub(crate) fn ratio(&mut self, label: &str, per_round: &[f64], target: Option<(Target, &str)>) {
        let s = Summary::of(per_round);
        let note = match target {
            Some((t, what)) => self.verdict(what, t, s.median, "×"),
            None => String::new(),
        };
        self.rows.push([
            label.to_owned(),
            ratio(s.median),
            format!("{} – {}", ratio(s.min), ratio(s.max)),
            "ratio".to_owned(),
            note,
        ]);
    }

    /// A ratio row with an explanatory note instead of a target.
    pub(crate) fn ratio_note(&mut self, label: &str, per_round: &[f64], note: &str) {
        let s = Summary::of(per_round);
        self.rows.push([
            label.to_owned(),
            ratio(s.median),
            format!("{} – {}", ratio(s.min), ratio(s.max)),
            "ratio".to_owned(),
            note.to_owned(),
        ]);
    }

    /// A figure measured once (bytes, counts).
    pub(crate) fn fixed(
        &mut self,
        label: &str,
        value: f64,
        unit: &str,
        target: Option<(Target, &str)>,
        note: &str,
    ) {
        let shown = if value.fract() == 0.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.3}")
        };
        let mut text = match target {
            Some((t, what)) => self.verdict(what, t, value, unit),
            None => String::new(),
        };
        if !note.is_empty() {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(note);
        }
        self.rows.push([
            label.to_owned(),
            shown,
            "—".to_owned(),
            unit.to_owned(),
            text,
        ]);
    }

    fn verdict(&mut self, what: &str, target: Target, value: f64, unit: &str) -> String {
        let met = target.met(value);
        self.verdicts.push(Verdict {
            what: what.to_owned(),
            met,
        });
        let goal = target.describe(unit);
        let verdict = if met {
            format!("target {goal}: met")
        } else {
            format!("target {goal}: **not met**")
        };
        // When two decimals would hide which side of the line the median is on.
        let bound = match target {
            Target::AtLeast(t) | Target::AtMost(t) | Target::Below(t) | Target::Above(t) => t,
        };
        if unit == "×" && (value - bound).abs() < 0.005 && value != bound {
            format!("{verdict} (median {value:.3})")
        } else {
            verdict
        }
    }

    /// The markdown table.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let header = ["Figure", "Median", "Min – max", "Unit", "Target / note"];
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|---|--:|--:|---|---|");
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out
    }
}
