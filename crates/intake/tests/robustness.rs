//! No parser panics, whatever it is given: every report of the shared corpus
//! and of the examples, cut short at many places and with bytes changed, goes
//! through detection and the parsers. The inputs fuzzing once crashed a
//! parser with (`fuzz/regressions/<format>/`) are replayed too. The fuzz
//! targets themselves (one per format, `fuzz/`) run with cargo-fuzz.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use fixgate_intake::formats::{self, Format};
use fixgate_intake::{Collected, Limits, Options};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if !path.extension().is_some_and(|e| e == "md" || e == "tsv" || e == "sh") {
            out.push(path);
        }
    }
}

fn options() -> Options {
    Options { limits: Limits { max_bytes: 4 << 20, max_depth: 64 }, ..Options::default() }
}

/// Runs `format` over `data`; a panic fails the test with the input's story.
fn must_not_panic(format: &Format, data: &[u8], story: &str) {
    let options = options();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _ = formats::detect(data);
        let _ = formats::describe(data);
        let _ = (format.parse)(&mut &data[..], &options, &mut Collected::default());
    }));
    assert!(outcome.is_ok(), "the {} parser panicked on {story}", format.name);
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn cut_and_changed_reports_never_panic_a_parser() {
    let mut files = Vec::new();
    files_under(&repository().join("examples/reports"), &mut files);
    if let Some(corpus) = support::corpus_dir() {
        files_under(&corpus, &mut files);
    }
    assert!(files.len() > 10, "the reports were found: {files:?}");
    let mut noise = Noise(0x5eed_f1c5_6a7e);
    let mut runs = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Some(own) = formats::detect(&bytes) else { continue };
        let name = path.display();
        let mut variants: Vec<(Vec<u8>, String)> = Vec::new();
        for cut in 1..12 {
            let at = bytes.len() * cut / 12;
            variants.push((bytes[..at].to_vec(), format!("{name} cut at byte {at}")));
        }
        for round in 0..12 {
            let mut changed = bytes.clone();
            for _ in 0..1 + round % 4 {
                if changed.is_empty() {
                    break;
                }
                let at = (noise.next() as usize) % changed.len();
                const BYTES: &[u8] = b"{}[]\",:<>/&\\0\xff\x00";
                let byte = BYTES[(noise.next() as usize) % BYTES.len()];
                changed[at] = byte;
            }
            variants.push((changed, format!("{name} changed in round {round}")));
        }
        for (data, story) in &variants {
            must_not_panic(own, data, story);
            if let Some(other) = formats::detect(data).filter(|f| f.name != own.name) {
                must_not_panic(other, data, story);
            }
            runs += 1;
        }
    }
    assert!(runs > 100, "{runs} inputs were tried");
}

#[test]
fn every_input_that_once_crashed_a_parser_is_handled() {
    let dir = repository().join("fuzz/regressions");
    for format in formats::FORMATS {
        let mut files = Vec::new();
        files_under(&dir.join(format.name), &mut files);
        for path in files {
            let data = std::fs::read(&path).unwrap();
            must_not_panic(format, &data, &path.display().to_string());
        }
    }
}

#[test]
fn every_format_has_a_fuzz_target() {
    let fuzz = repository().join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    for format in formats::FORMATS {
        let target = fuzz.join("fuzz_targets").join(format!("{}.rs", format.name));
        let source = std::fs::read_to_string(&target).unwrap_or_else(|_| {
            panic!("{} has no fuzz target; run fuzz/gen-targets.sh", format.name)
        });
        assert!(source.contains(&format!("check(\"{}\"", format.name)), "{}", target.display());
        assert!(
            manifest.contains(&format!("name = \"{}\"", format.name)),
            "{} not in fuzz/Cargo.toml",
            format.name
        );
    }
}

#[test]
fn every_parser_refuses_a_report_over_the_size_limit() {
    // Real reports of every format, each given a limit of half its size.
    let mut files = Vec::new();
    files_under(&repository().join("examples/reports"), &mut files);
    let corpus = support::corpus_dir();
    if let Some(corpus) = &corpus {
        files_under(corpus, &mut files);
    }
    let mut reports: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|path| (path.display().to_string(), std::fs::read(path).unwrap()))
        .collect();
    // Formats the corpus has no report of.
    let padding = " ".repeat(300);
    reports.push((
        "pip-audit".into(),
        format!(r#"{{"dependencies": [{padding}], "fixes": []}}"#).into_bytes(),
    ));
    reports.push((
        "fixgate".into(),
        format!(r#"{{"fixgate": 1, "tool": {{"name": "t"}}, {padding} "findings": []}}"#)
            .into_bytes(),
    ));
    reports
        .push(("fixgate-csv".into(), format!("title,severity\na,low\n{padding}\n").into_bytes()));

    let mut covered = Vec::new();
    for (name, bytes) in &reports {
        if bytes.len() < 200 {
            continue;
        }
        let Some(format) = formats::detect(bytes) else { continue };
        let limit = bytes.len() as u64 / 2;
        let options =
            Options { limits: Limits { max_bytes: limit, max_depth: 128 }, ..Options::default() };
        let outcome = (format.parse)(&mut &bytes[..], &options, &mut Collected::default());
        match outcome {
            Err(fixgate_intake::ParseError::TooLarge { limit: said }) if said == limit => {}
            other => panic!(
                "{} took {name} ({} bytes) over a limit of {limit}: {other:?}",
                format.name,
                bytes.len()
            ),
        }
        covered.push(format.name);
    }
    if corpus.is_some() {
        for format in formats::FORMATS {
            assert!(covered.contains(&format.name), "no report of {} was tried", format.name);
        }
    }
}

#[test]
fn every_parser_refuses_nesting_past_the_limit() {
    let deep_json = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(500), "}".repeat(500));
    let deep_xml = format!("<?xml version=\"1.0\"?>{}{}", "<a>".repeat(500), "</a>".repeat(500));
    for format in formats::FORMATS {
        for sample in [&deep_json, &deep_object, &deep_xml] {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                (format.parse)(&mut sample.as_bytes(), &options(), &mut Collected::default())
            }));
            let result =
                outcome.unwrap_or_else(|_| panic!("{} panicked on deep nesting", format.name));
            assert!(result.is_err(), "{} accepted 500 levels of nesting", format.name);
        }
    }
}

/// A clean scan proves every earlier finding of its scope fixed, so a
/// report with no findings must still say which tool wrote it: that names
/// the scope. Checked on every empty report of the corpus.
#[test]
fn a_report_without_findings_still_names_its_tool() {
    let Some(dir) = support::corpus_dir() else { return };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells[7] != "0" {
            continue;
        }
        // The corpus names formats by tool and file type (`osv-scanner-json`);
        // fixgate's name is the longest one the corpus name starts with.
        let format = formats::FORMATS
            .iter()
            .filter(|f| cells[1].starts_with(f.name))
            .max_by_key(|f| f.name.len())
            .unwrap_or_else(|| panic!("no fixgate format for {}", cells[1]));
        let bytes = std::fs::read(dir.join(cells[0])).unwrap();
        let mut sink = Collected::default();
        // A format that refuses an empty file (OSV-Scanner always writes a
        // document) verifies nothing with it: that is safe too.
        if (format.parse)(&mut bytes.as_slice(), &options(), &mut sink).is_err() {
            continue;
        }
        assert!(sink.findings.is_empty(), "{}", cells[0]);
        assert!(
            !sink.runs.is_empty() && sink.runs.iter().all(|r| !r.tool.is_empty()),
            "{} ({}): {:?}",
            cells[0],
            format.name,
            sink.runs
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} empty reports in the corpus");
}
