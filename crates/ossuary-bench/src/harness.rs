//! The interleaving harness: contenders grouped by what they are compared
//! with, run round by round in a rotated order, one sample each per round.
//!
//! ```text
//!   round 0:  A B C D      every contender once per round, so a slow
//!   round 1:  B C D A      second of machine noise lands on one sample
//!   round 2:  C D A B      of each contender rather than on all samples
//!   ...                    of one of them
//! ```
//!
//! A sample is one timed call of the contender's body with the iteration
//! count chosen by calibration (so each sample lasts about the target time).
//! Ratios are taken per round, between samples of the same round, and then
//! summarised like any other figure: median and min–max over the rounds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;

/// Whether in-memory samples use the wall clock instead of thread CPU time.
static WALL_CLOCK: AtomicBool = AtomicBool::new(false);

/// Times in-memory work with the wall clock (`--wall-clock`) instead of the
/// calling thread's CPU time.
pub(crate) fn use_wall_clock(on: bool) {
    WALL_CLOCK.store(on, Ordering::Relaxed);
}

/// Runs `f` `iters` times and returns the time it took: the calling
/// thread's CPU time by default, so that time the scheduler gives to other
/// processes on a shared machine is not charged to the contender.
pub(crate) fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
    if WALL_CLOCK.load(Ordering::Relaxed) {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    } else {
        let start = ThreadTime::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    }
}

/// What a contender's samples are expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Megabytes (10^6 bytes) of plaintext per second; higher is better.
    MBps,
    /// Microseconds per iteration; lower is better.
    Micros,
    /// Iterations (handshakes) per second; higher is better.
    PerSecond,
    /// CPU cores kept busy (CPU seconds per wall-clock second).
    Cores,
}

impl Unit {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::MBps => "MB/s",
            Self::Micros => "µs",
            Self::PerSecond => "handshakes/s",
            Self::Cores => "cores",
        }
    }
}

/// Runs `iterations` iterations and returns the time they took (the body
/// may time only part of its work, as the TCP transfer does).
pub(crate) type Body = Box<dyn FnMut(u64) -> Duration>;

/// One thing being measured.
pub(crate) struct Contender {
    /// Short key used to find it when computing ratios.
    pub(crate) key: &'static str,
    /// What the table calls it.
    pub(crate) label: String,
    pub(crate) unit: Unit,
    /// Plaintext bytes moved per iteration (throughput contenders).
    bytes_per_iter: u64,
    /// Iterations per sample; 0 until calibrated.
    iters: u64,
    body: Body,
    /// One value per round.
    pub(crate) samples: Vec<f64>,
}

impl Contender {
    /// A throughput contender moving `bytes_per_iter` plaintext bytes per
    /// iteration.
    pub(crate) fn throughput(
        key: &'static str,
        label: impl Into<String>,
        bytes_per_iter: usize,
        body: Body,
    ) -> Self {
        Self {
            key,
            label: label.into(),
            unit: Unit::MBps,
            bytes_per_iter: bytes_per_iter as u64,
            iters: 0,
            body,
            samples: Vec::new(),
        }
    }

    /// A latency contender: microseconds per iteration.
    pub(crate) fn latency(key: &'static str, label: impl Into<String>, body: Body) -> Self {
        Self {
            key,
            label: label.into(),
            unit: Unit::Micros,
            bytes_per_iter: 0,
            iters: 0,
            body,
            samples: Vec::new(),
        }
    }

    /// Skips calibration: every sample runs exactly `iters` iterations.
    pub(crate) fn fixed_iterations(mut self, iters: u64) -> Self {
        self.iters = iters.max(1);
        self
    }

    /// Runs the body outside any sample (warm-up, allocation counting).
    pub(crate) fn run_untimed(&mut self, iters: u64) {
        let _ = (self.body)(iters);
    }

    /// Chooses the iteration count so a sample lasts about `target`; the
    /// runs it takes double as warm-up.
    fn calibrate(&mut self, target: Duration) {
        if self.iters > 0 {
            // Fixed count: one warm-up run.
            let _ = (self.body)(self.iters);
            return;
        }
        let mut iters = 1u64;
        let floor = target / 8;
        let mut took = (self.body)(iters);
        while took < floor && iters < 1 << 40 {
            iters *= 2;
            took = (self.body)(iters);
        }
        let per_iter = took.as_secs_f64() / iters as f64;
        let scaled = (target.as_secs_f64() / per_iter.max(1e-12)).round();
        self.iters = (scaled as u64).max(1);
    }

    fn sample(&mut self) {
        let took = (self.body)(self.iters).as_secs_f64().max(1e-9);
        let value = match self.unit {
            Unit::MBps => (self.bytes_per_iter * self.iters) as f64 / took / 1e6,
            Unit::Micros => took * 1e6 / self.iters as f64,
            Unit::PerSecond | Unit::Cores => self.iters as f64 / took,
        };
        self.samples.push(value);
    }
}

/// Contenders compared with one another, interleaved round by round.
pub(crate) struct Group {
    pub(crate) name: &'static str,
    pub(crate) contenders: Vec<Contender>,
}

impl Group {
    pub(crate) fn new(name: &'static str, contenders: Vec<Contender>) -> Self {
        Self { name, contenders }
    }

    /// Calibrates every contender, then runs `rounds` rounds; round `r`
    /// starts at contender `r mod n` and goes round the list.
    pub(crate) fn run(&mut self, rounds: usize, target: Duration) {
        let started = Instant::now();
        for c in &mut self.contenders {
            c.calibrate(target);
        }
        let n = self.contenders.len();
        for round in 0..rounds {
            for k in 0..n {
                if let Some(c) = self.contenders.get_mut((round + k) % n) {
                    c.sample();
                }
            }
        }
        eprintln!(
            "  {:<28} {} contenders x {rounds} rounds in {:.1} s",
            self.name,
            n,
            started.elapsed().as_secs_f64()
        );
    }

    /// The samples of the contender with `key`.
    ///
    /// # Panics
    /// If the group has no such contender (a bug in the bench).
    pub(crate) fn samples(&self, key: &str) -> &[f64] {
        match self.contenders.iter().find(|c| c.key == key) {
            Some(c) => &c.samples,
            None => panic!("group `{}` has no contender `{key}`", self.name),
        }
    }

    /// The contender with `key`, mutably.
    ///
    /// # Panics
    /// If the group has no such contender (a bug in the bench).
    pub(crate) fn contender_mut(&mut self, key: &str) -> &mut Contender {
        let name = self.name;
        match self.contenders.iter_mut().find(|c| c.key == key) {
            Some(c) => c,
            None => panic!("group `{name}` has no contender `{key}`"),
        }
    }
}

/// Median, minimum and maximum of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Summary {
    /// Summarises `values` (NaN if empty).
    pub(crate) fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.to_vec();
        v.sort_by(f64::total_cmp);
        let median = match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Self {
            median,
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// Per-round combination of several contenders' samples: `f` gets the
/// values of round `r` (one per series) and returns that round's value.
pub(crate) fn per_round(series: &[&[f64]], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let rounds = series.iter().map(|s| s.len()).min().unwrap_or(0);
    (0..rounds)
        .map(|r| {
            let row: Vec<f64> = series.iter().map(|s| s[r]).collect();
            f(&row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_counts() {
        let s = Summary::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Summary::of(&[4.0, 1.0, 2.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert!(Summary::of(&[]).median.is_nan());
    }

    #[test]
    fn ratios_pair_samples_of_the_same_round() {
        let a = [2.0, 4.0, 9.0];
        let b = [1.0, 2.0, 3.0];
        assert_eq!(per_round(&[&a, &b], |r| r[0] / r[1]), vec![2.0, 2.0, 3.0]);
    }

    #[test]
    fn every_contender_gets_one_sample_per_round() {
        let counter = |key| Contender::latency(key, key, Box::new(Duration::from_micros) as Body);
        let mut g = Group::new("test", vec![counter("a"), counter("b"), counter("c")]);
        g.run(5, Duration::from_micros(100));
        for key in ["a", "b", "c"] {
            assert_eq!(g.samples(key).len(), 5);
            assert!(g.samples(key).iter().all(|&v| (v - 1.0).abs() < 1e-9));
        }
    }
}
