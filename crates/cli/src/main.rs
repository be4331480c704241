//! The `fixgate` command: parses arguments and calls the library crates.
//!
//! Exit codes: 0 success, 1 a check whose policy failed (`fixgate check`)
//! or an event log whose hash chain is broken (`fixgate audit verify`), 2
//! error (the message and its causes go to stderr; clap's usage errors
//! too). A closed stdout (`fixgate tickets list | head`) ends the command
//! quietly.

mod admin;
mod audit;
mod bench;
mod bench_formats;
mod bench_web;
mod check;
mod cli;
mod codeowners;
mod collab;
mod demo;
mod exploits;
mod export;
mod import;
mod notify;
mod output;
mod parse;
mod policy;
mod report;
mod seed;
mod serve;
mod tickets;
mod tls;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return output::usage(&err),
    };
    serve::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return output::fail(&anyhow::Error::new(err)),
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => code,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => output::fail(&err),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let done = match cli.command {
        // The commands whose outcome is more than success or error.
        Command::Check(args) => return check::check(&cli.store, args).await,
        Command::Audit(args) => return audit::audit(&cli.store, args).await,
        Command::Serve(args) => serve::serve(&cli.store, args).await,
        Command::Demo(args) => demo::demo(&cli.store, args).await,
        Command::Import(args) => import::import(&cli.store, args).await,
        Command::Parse(args) => parse::parse(&args),
        Command::Tickets(args) => tickets::tickets(&cli.store, args).await,
        Command::Export(args) => export::export(&cli.store, args).await,
        Command::Policy(args) => policy::policy(&cli.store, args).await,
        Command::Bench(args) => bench::bench(&cli.store, args).await,
        Command::Seed(args) => seed::seed(&cli.store, args).await,
        Command::Admin(args) => admin::admin(&cli.store, args).await,
        Command::Codeowners(args) => codeowners::codeowners(&cli.store, args).await,
        Command::Exploits(args) => exploits::exploits(&cli.store, args).await,
        Command::Notify(args) => notify::notify(&cli.store, args).await,
        Command::Report(args) => report::report(&cli.store, args).await,
    };
    done.map(|()| ExitCode::SUCCESS)
}
