//! `verifier check`: one key, from the argument or stdin.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use product_key::{Check, verify};

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::trust;
use product_key_report as report;

/// More than any key: a longer paste is refused without reading further.
const MAX_INPUT: u64 = 1 << 20;

/// Runs `verifier check`; the exit code is the status's.
pub fn run(args: &CheckArgs) -> Result<ExitCode, Error> {
    let setup = trust::load(&args.trust)?;
    let text = match args.key.as_deref() {
        Some(k) if k != "-" => k.to_owned(),
        _ => read_stdin()?,
    };
    let check =
        Check { at: setup.at, organization: args.org.as_deref(), revocations: setup.revocations.as_ref() };
    let verdict = verify(&text, &setup.trusted, &check);
    let out = if args.json {
        format!("{}\n", report::verdict_json(&verdict, &text, setup.at))
    } else {
        let headline = report::headline(&verdict, &text, setup.at);
        let headline = if colour() { paint(&headline, verdict.is_valid()) } else { headline };
        let list = setup.revocations.as_ref();
        let found = report::found_line(&verdict, &text).map(|l| format!("{l}\n")).unwrap_or_default();
        format!(
            "{headline}\n{found}\n{}",
            report::details(&verdict, setup.at, list, trust::HOW_TO_GIVE_A_LIST)
        )
    };
    cli_support::print(&out).map_err(|e| Error::Io(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::from(verdict.status().exit_code()))
}

fn read_stdin() -> Result<String, Error> {
    if std::io::stdin().is_terminal() {
        cli_support::warn("Paste the key (several lines are fine), then press Ctrl-D:");
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io(format!("cannot read the key from stdin: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT {
        // Judged like any other text: the length rule makes it malformed, with a message.
        bytes.truncate(MAX_INPUT as usize);
    }
    // Invalid UTF-8 becomes U+FFFD, which the decoder names with its position.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn paint(text: &str, good: bool) -> String {
    let code = if good { "32" } else { "31" };
    match text.split_once(':') {
        Some((word, rest)) => format!("\x1b[1;{code}m{word}\x1b[0m:{rest}"),
        None => text.to_owned(),
    }
}
