//! `fixgate export`: the decisions in force on a repository's tickets, as a
//! file scanners read (CycloneDX or OpenVEX VEX, `.trivyignore`,
//! `.gitleaksignore`), on standard output or into `--out`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use fixgate_service::{Export, ExportRequest};

use crate::cli::{ExportArgs, StoreArgs};
use crate::output::print;

pub async fn export(store: &StoreArgs, args: ExportArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let request = ExportRequest {
        kind: args.kind,
        repository: args.repository,
        application: args.application,
        product: args.product,
    };
    let result = fixgate.export(&request).await;
    fixgate.store().close().await;
    let export = result?;

    match &args.out {
        Some(path) => {
            write_whole(path, &export.body)?;
            notes(&export, &format!("wrote {} entries to {}", export.entries, path.display()))?;
        }
        None => {
            print(&export.body)?;
            notes(&export, "")?;
        }
    }
    Ok(())
}

/// Writes `text` next to `path` first and renames it into place, so a
/// scanner never reads a half-written file.
fn write_whole(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, text)
        .with_context(|| format!("cannot write {}", Path::new(&partial).display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
}

/// What the file leaves out, and `done` when there is something to say, on
/// stderr: stdout carries only the file.
fn notes(export: &Export, done: &str) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    for note in &export.left_out {
        writeln!(err, "note: left out {note}")?;
    }
    if !done.is_empty() {
        writeln!(err, "{done}")?;
    }
    Ok(())
}
