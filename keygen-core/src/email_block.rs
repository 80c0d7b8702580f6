//! The block a sales rep pastes into the e-mail to the customer (`--format text` of `issue`,
//! `renew` and `amend`): the terms, from when and until when the key is valid, what it
//! replaces, the key, and how to enter it.

use product_key::{Day, Payload};

use crate::key_record::KeyRecord;

/// The key a new one replaces, as the customer knows it.
pub struct Replaces<'a> {
    /// The old key's record.
    pub old: &'a KeyRecord,
    /// `renewal` or `amendment`.
    pub reason: &'a str,
}

/// The block for the customer of the key `record` (signed as `payload`), of the edition
/// shown as `edition`. `today` decides whether the key's first day is worth saying: a key
/// dated later is not valid until then.
pub fn block(
    record: &KeyRecord,
    payload: &Payload,
    edition: &str,
    today: Option<Day>,
    replaces: Option<&Replaces<'_>>,
) -> String {
    let product = format!("{} {}", product_key::PRODUCT_CODE, product_key::MAJOR_VERSION);
    let modules: Vec<&str> = payload.features.features().map(product_key::Feature::shown).collect();
    let seats = payload.seats.limit().map_or("unlimited".to_owned(), |n| n.to_string());
    let valid = payload
        .expires
        .last_day()
        .map_or("no end date (perpetual)".to_owned(), |d| format!("{d} (last day)"));
    let title = match replaces {
        Some(r) if r.reason == "renewal" => format!("Your renewed {product} product key"),
        Some(_) => format!("Your new {product} product key"),
        None => format!("Your {product} product key"),
    };
    let mut out = format!("{title}\n\n");
    let mut row = |name: &str, value: &str| out.push_str(&format!("{name:<14} {value}\n"));
    row("Organization:", &record.organization);
    row("Edition:", edition);
    row("Client seats:", &seats);
    row("Modules:", &modules.join(", "));
    if today.is_some_and(|t| payload.issued > t) {
        row("Valid from:", &format!("{} (the key is not accepted before this day)", payload.issued));
    }
    row("Valid until:", &valid);
    if let Some(order) = &record.order_id {
        row("Order:", order);
    }
    if let Some(r) = replaces {
        let of_order = r.old.order_id.as_deref().map(|o| format!(", order {o}")).unwrap_or_default();
        row(
            "Replaces:",
            &format!("the key with serial {} (issued {}{of_order})", r.old.serial, r.old.issued),
        );
    }
    let enter = if replaces.is_some() {
        "To enter it: on the {product} server, open Tools > Manage License and replace the old key\n  "
    } else {
        "To enter it: on the {product} server, open Tools > Manage License and fill in\n  "
    }
    .replace("{product}", &product);
    out.push_str(&format!(
        "\nProduct key:\n{}\n\n{enter}\
         Name:          your name\n  \
         Organization:  {}\n  \
         Product Key:   the key above (paste it; dashes and line breaks do not matter)\n\
         One key unlocks the server and every client connected to it.",
        record.key, record.organization
    ));
    out
}

/// The warning for a key dated after today, if it is: it is not valid until its day.
pub fn future_warning(issued: Day, today: Option<Day>) -> Option<String> {
    let today = today.filter(|t| issued > *t)?;
    Some(format!(
        "keygen: warning: the key is dated {issued}, after today ({today}): it is not valid before \
         {issued} (verifier check says not_yet_valid until then)"
    ))
}

/// The customer's e-mail block of a replacing key: the edition by its template's name (the
/// built-in or ./templates one; its id if that cannot be read), and the key it replaces.
pub fn customer_block(record: &KeyRecord, payload: &Payload, old: &KeyRecord, reason: &str) -> String {
    let id = record.template.clone().unwrap_or_default();
    let folder = crate::template::Folder { dir: std::path::PathBuf::from("templates"), named: false };
    let edition = crate::template::load(&id, &folder).map_or(id, |t| t.name);
    let replaces = crate::email_block::Replaces { old, reason };
    crate::email_block::block(record, payload, &edition, Day::today(), Some(&replaces))
}
