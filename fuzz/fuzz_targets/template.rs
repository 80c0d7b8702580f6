//! keygen's edition templates (keygen_core::template): any text as a template file. Oracles: a
//! template that is accepted holds what the rules ask (at least one feature, valid_days 1 to 65535);
//! a refusal names the file and a line of it.
#![no_main]

use std::path::Path;

use keygen_core::template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match template::parse(Path::new("fuzz.toml"), text) {
        Ok(t) => {
            assert_eq!(t.id, "fuzz");
            assert!(t.features.features().next().is_some() || t.features.unknown_bits().next().is_some());
            assert!(t.valid_days.is_none_or(|d| (1..=65_535).contains(&d)));
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("fuzz.toml"), "{message}");
            if let Some(line) = message
                .strip_prefix("fuzz.toml:")
                .and_then(|m| m.split(':').next())
                .and_then(|n| n.parse::<usize>().ok())
            {
                assert!(line >= 1 && line <= text.matches('\n').count() + 1, "line {line}: {message}");
            }
        }
    }
});
