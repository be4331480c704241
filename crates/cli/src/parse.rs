//! `fixgate parse`: what fixgate reads from a report, normalized, without
//! storing anything. Users check a new scanner's output with it; tests use it.

use std::io::{BufRead, BufReader, Read};

use anyhow::Context;
use fixgate_intake::formats::{self, Format};
use fixgate_intake::{Collected, Options};
use serde::Serialize;

use crate::cli::ParseArgs;
use crate::output::{print, print_json};

#[derive(Serialize)]
struct Parsed<'a> {
    format: &'static str,
    findings: &'a [fixgate_domain::Finding],
}

pub fn parse(args: &ParseArgs) -> anyhow::Result<()> {
    let Some(report) = &args.report else {
        let list: String =
            formats::FORMATS.iter().map(|f| format!("{}\t{}\n", f.name, f.description)).collect();
        return print(&list);
    };
    let reader: Box<dyn Read> = if report.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        let path = report;
        Box::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        )
    };
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let format = choose(args.format.as_deref(), reader.fill_buf()?)?;

    let mut collected = Collected::default();
    (format.parse)(&mut reader, &Options::default(), &mut collected)
        .with_context(|| format!("reading {} as {}", report.display(), format.name))?;
    // Numbered as an import numbers them, so the fingerprints shown are the
    // ones a ticket would carry.
    fixgate_domain::fingerprint::Occurrences::default().assign(&mut collected.findings);
    if args.json {
        return print_json(&Parsed { format: format.name, findings: &collected.findings });
    }
    let mut out = String::new();
    for f in &collected.findings {
        let place = f.location.as_ref().map(|l| l.display()).unwrap_or_default();
        out.push_str(&format!(
            "{:<8} {:<30} {} {place}\n",
            f.severity.as_str(),
            f.rule_id,
            f.title
        ));
    }
    out.push_str(&format!("{} findings ({})\n", collected.findings.len(), format.name));
    print(&out)
}

fn choose(name: Option<&str>, prefix: &[u8]) -> anyhow::Result<&'static Format> {
    match name {
        Some(name) => formats::by_name(name).with_context(|| {
            format!("unknown format {name:?}; supported formats: {}", formats::names())
        }),
        None => formats::detect(prefix).with_context(|| {
            format!(
                "no parser recognises this report ({}); supported formats: {}",
                formats::describe(prefix),
                formats::names()
            )
        }),
    }
}
