//! Parses a SARIF file with a sink that only counts, for timing and memory
//! checks: `cargo run --release -p fixgate-intake --example count_sarif -- big.sarif`.

use std::process::ExitCode;

use fixgate_domain::{Finding, RunInfo};
use fixgate_intake::{Limits, Sink, SinkError, sarif};

#[derive(Default)]
struct Counting {
    findings: usize,
    runs: usize,
}

impl Sink for Counting {
    fn finding(&mut self, _: Finding) -> Result<(), SinkError> {
        self.findings += 1;
        Ok(())
    }

    fn run(&mut self, _: usize, _: RunInfo) -> Result<(), SinkError> {
        self.runs += 1;
        Ok(())
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: count_sarif FILE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };

    let started = std::time::Instant::now();
    let mut sink = Counting::default();
    match sarif::parse(file, &Limits::default(), &mut sink) {
        Ok(summary) => {
            println!("{summary:?} in {:.3} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{path}: {error}");
            ExitCode::from(1)
        }
    }
}
