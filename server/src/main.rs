//! The `infradesk` binary: `serve` (the default), `migrate`, and the admin commands for
//! users, teams and the audit trail.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = server::cli::Args::parse();
    match server::cli::run(args).await {
        Ok(code) => code,
        Err(e) => {
            // The whole cause chain, never a backtrace.
            eprintln!("infradesk: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
