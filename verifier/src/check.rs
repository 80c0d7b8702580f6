//! `verifier check`: one key, from the argument or stdin.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use product_key::{Check, verify};

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::trust;
use product_key_report as report;

/// The most of a paste that is read: 64 MiB, where the support page reads a pasted text
/// whole (its text box has no limit) and the desk takes 8 MiB forms. A customer's e-mail
/// thread with attachments pasted in runs to several megabytes, and the key can be at its
/// end; reading is linear in the text. A longer text is judged on its first 64 MiB, and the
/// verifier says where it was cut.
const MAX_INPUT: usize = 64 << 20;

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
        cli_support::warn(&paste_prompt(cfg!(windows)));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io(format!("cannot read the key from stdin: {e}")))?;
    let (text, cut) = paste_text(bytes, MAX_INPUT);
    if let Some(cut) = cut {
        cli_support::warn(&format!("verifier: {cut}"));
    }
    Ok(text)
}

/// What a person at a terminal is asked to do: paste, then end the input as their console
/// does. The Windows console ends input with Ctrl-Z then Enter, at the start of a line (Ctrl-D
/// does nothing there); a Unix terminal with Ctrl-D.
fn paste_prompt(windows: bool) -> String {
    let end = if windows { "on a new line press Ctrl-Z, then Enter" } else { "press Ctrl-D" };
    format!("Paste the key (several lines are fine), then {end}:")
}

/// The text of `bytes` read from a paste, cut to `max` bytes (at a character's start) when
/// there are more, with a sentence saying where it was cut. Invalid UTF-8 becomes U+FFFD,
/// which the decoder names with its position.
fn paste_text(mut bytes: Vec<u8>, max: usize) -> (String, Option<String>) {
    if bytes.len() <= max {
        return (String::from_utf8_lossy(&bytes).into_owned(), None);
    }
    bytes.truncate(max);
    // Not inside a character: drop the bytes of one that the cut left incomplete.
    let lead = bytes.iter().rposition(|b| b & 0xc0 != 0x80).unwrap_or(0);
    let needs = match bytes.get(lead) {
        Some(b) if b & 0xe0 == 0xc0 => 2,
        Some(b) if b & 0xf0 == 0xe0 => 3,
        Some(b) if b & 0xf8 == 0xf0 => 4,
        _ => 1,
    };
    if bytes.len() - lead < needs {
        bytes.truncate(lead);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let lines = text.matches('\n').count() + 1;
    let last = text.rsplit('\n').next().unwrap_or_default().chars().count();
    let cut = format!(
        "the text is longer than {} MiB: only its first {} bytes were read, up to line {lines}, \
         character {last} of that line; a key after that was not looked for",
        max >> 20,
        bytes.len(),
    );
    (text, Some(cut))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_names_the_keys_that_end_input_on_each_system() {
        let windows = paste_prompt(true);
        assert!(windows.contains("Ctrl-Z, then Enter"), "{windows}");
        assert!(!windows.contains("Ctrl-D"), "{windows}");
        let unix = paste_prompt(false);
        assert!(unix.contains("Ctrl-D"), "{unix}");
        assert!(!unix.contains("Ctrl-Z"), "{unix}");
        // The binary asks in its own system's words.
        assert_eq!(paste_prompt(cfg!(windows)), if cfg!(windows) { windows } else { unix });
    }

    #[test]
    fn a_paste_over_the_limit_is_cut_at_a_character_and_says_where() {
        let (text, cut) = paste_text(b"one\ntwo".to_vec(), 8);
        assert_eq!((text.as_str(), cut), ("one\ntwo", None));
        // "é" is two bytes: a cut after its first byte drops it whole.
        let mut long = vec![b'x'; (1 << 20) - 1];
        long.extend_from_slice("é and more".as_bytes());
        let (text, cut) = paste_text(long, 1 << 20);
        assert_eq!(text.len(), (1 << 20) - 1);
        assert!(!text.contains('\u{fffd}'));
        let cut = cut.expect("cut");
        assert!(cut.contains("longer than 1 MiB"), "{cut}");
        assert!(cut.contains("first 1048575 bytes"), "{cut}");
        assert!(cut.contains("up to line 1, character 1048575"), "{cut}");
    }
}
