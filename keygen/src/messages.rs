//! The command line's words for the core's errors: a field is named by its flag, and where a
//! key cannot be opened, the flags and variables that would open it are said. The core's own
//! messages name no flag (the desk and the API name fields their way).

use keygen_core::error::{Error, Field, KeyError};

/// The flag that sets `field`.
pub fn flag(field: Field) -> &'static str {
    match field {
        Field::Serial => "--serial",
        Field::OrderId => "--order-id",
        Field::ForOrder => "--for-order",
        Field::Organization => "--org",
        Field::Seats => "--seats",
        Field::Features => "--features",
        Field::AddFeature => "--add-feature",
        Field::RemoveFeature => "--remove-feature",
        Field::Expires => "--expires",
        Field::ValidDays => "--valid-days",
        Field::Issued => "--issued",
        Field::Template => "--template",
        Field::Delimiter => "--delimiter",
        Field::Encoding => "--encoding",
        Field::All => "--all",
    }
}

/// What the user reads for `e`.
pub fn message(e: &Error) -> String {
    match e {
        Error::Invalid { field: field @ (Field::AddFeature | Field::RemoveFeature), what } => {
            format!("{} {what}", flag(*field))
        }
        Error::Invalid { field, what } => format!("{}: {what}", flag(*field)),
        Error::Missing { context, any_of } => {
            let give = match any_of.as_slice() {
                // The placeholders say which is a serial and which an order.
                [Field::Serial, Field::ForOrder] => "give --serial S or --for-order O".to_owned(),
                fields => format!(
                    "give {}",
                    keygen_core::error::one_of(&fields.iter().map(|f| flag(*f)).collect::<Vec<_>>())
                ),
            };
            match context {
                Some(c) => format!("{c}: {give}"),
                None => give,
            }
        }
        Error::Key(k) => key_message(k),
        Error::OrderIssued { order, .. } => format!("{e}; see: keygen ledger find --order-id '{order}'"),
        Error::AfterRecording { cause, recorded } => format!("{}\n{recorded}", message(cause)),
        other => other.to_string(),
    }
}

fn key_message(k: &KeyError) -> String {
    match k {
        KeyError::Missing(_) => {
            format!("{k}: make one with 'keygen init', or give --key PATH (or KEYGEN_SIGNING_KEY)")
        }
        KeyError::NoPassphrase(_) | KeyError::NoNewPassphrase(_) => {
            format!("{k}: give --passphrase-file PATH or set KEYGEN_PASSPHRASE")
        }
        KeyError::WeakPassphrase { .. } => format!("{k}, or give --allow-weak-passphrase for a test key"),
        other => other.to_string(),
    }
}
