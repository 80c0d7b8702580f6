//! The desk's form fields: their text as typed, and the desk's words for the core's errors (a
//! field by its label on the form; the status a kind of failure answers with is `failure`'s).

use keygen_core::error::{Error, Field};

/// The form's label of `field`.
pub fn label(field: Field) -> &'static str {
    match field {
        Field::Serial => "Serial",
        Field::OrderId => "Order",
        Field::ForOrder => "Order",
        Field::Organization => "Organization",
        Field::Seats => "Seats",
        Field::Features => "Features",
        Field::AddFeature => "Add feature",
        Field::RemoveFeature => "Remove feature",
        Field::Expires => "Expires",
        Field::ValidDays => "Days",
        Field::Issued => "Issued",
        Field::Template => "Edition",
        Field::Delimiter => "Delimiter",
        Field::Encoding => "Encoding",
        Field::All => "All",
    }
}

/// What a person reads for `e`: fields by their labels.
pub fn message(e: &Error) -> String {
    match e {
        Error::Invalid { field, what } => format!("{}: {what}", label(*field)),
        Error::Missing { context, any_of } => {
            let labels: Vec<&str> = any_of.iter().map(|f| label(*f)).collect();
            let fill = format!("fill in {}", keygen_core::error::one_of(&labels));
            match context {
                Some(c) => format!("{c}: {fill}"),
                None => fill,
            }
        }
        other => other.to_string(),
    }
}

/// A form's text field, trimmed; `None` when empty.
pub fn given(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}
