//! How the command talks to people: errors on stderr with their causes,
//! results on stdout, a quiet exit when stdout is closed.

use std::io::Write;
use std::process::ExitCode;

/// Prints `error: …` and its causes on stderr; exit code 2.
pub fn fail(err: &anyhow::Error) -> ExitCode {
    let mut message = format!("error: {err}");
    for cause in err.chain().skip(1) {
        message.push_str(&format!(": {cause}"));
    }
    let _ = writeln!(std::io::stderr(), "{message}");
    ExitCode::from(2)
}

/// Prints clap's message: help and version on stdout with exit code 0, a
/// usage error on stderr with exit code 2, like every other error.
pub fn usage(err: &clap::Error) -> ExitCode {
    let _ = err.print();
    if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes to stdout, turning a failed write into an error (broken pipe
/// included) instead of a panic.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}
