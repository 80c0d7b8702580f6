//! The checked plan of a batch: flags turned into values before anything is touched, the
//! input's columns found, and each row's terms built from its template and cells.

use std::collections::HashMap;
use std::path::PathBuf;

use product_key::Day;
use tabular::{Row, Table};

pub use super::columns::{KNOWN, Mapping, RESERVED};
use super::words::Words;
use crate::error::Error;
use crate::template::{self, Template};
use crate::terms::{self, Overrides, Terms};

/// Separators of feature names in a cell.
/// Separators of feature names in a cell: `;` `|` or `,` (a `,` that is the delimiter is
/// inside a quoted cell anyway).
const FEATURE_SEPARATORS: [char; 3] = [';', '|', ','];

/// The flags of `keygen batch`, checked.
pub struct Plan {
    /// The input, as named on the command line (for messages).
    pub file: String,
    /// The delimiter given, or `None` to detect it.
    pub delimiter: Option<u8>,
    /// The encoding given, or `None` for the BOM's, else UTF-8.
    pub encoding: Option<tabular::TextEncoding>,
    /// The day of issue of every key.
    pub issued: Day,
    /// The ledger's path.
    pub ledger: PathBuf,
    /// How the input's columns are read.
    pub mapping: Mapping,
}

impl Plan {
    /// Checks every flag value; refuses an existing output unless `--force`.
    pub fn new(args: &super::request::Request) -> Result<Plan, Error> {
        let w = &args.words;
        let delimiter = match &args.delimiter {
            Some(d) => {
                Some(tabular::parse_delimiter(d).map_err(|e| Error::input(format!("{}: {e}", w.delimiter)))?)
            }
            None => None,
        };
        let encoding = match &args.encoding {
            Some(e) => {
                Some(tabular::parse_encoding(e).map_err(|e| Error::input(format!("{}: {e}", w.encoding)))?)
            }
            None => None,
        };
        let issued = match &args.issued {
            Some(text) => terms::issue_day(text).map_err(|e| Error::input(format!("{}: {e}", w.issued)))?,
            None => Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?,
        };
        let mut mapping = HashMap::new();
        for spec in &args.columns {
            let Some((name, header)) =
                spec.split_once('=').map(|(n, h)| (n.trim().to_ascii_lowercase(), h.trim()))
            else {
                return Err(Error::input(format!(
                    "{} {spec}: use NAME=HEADER, e.g. organization=Kunde",
                    w.column
                )));
            };
            if !KNOWN.contains(&name.as_str()) {
                return Err(Error::input(format!(
                    "{} {spec}: '{name}' is not a known column ({})",
                    w.column,
                    KNOWN.join(", ")
                )));
            }
            if header.is_empty() || mapping.insert(name.clone(), header.to_owned()).is_some() {
                return Err(Error::input(format!(
                    "{} {spec}: give one non-empty header for '{name}'",
                    w.column
                )));
            }
        }
        if !args.force && args.output.symlink_metadata().is_ok() {
            return Err(cli_support::PublishError::Exists(args.output.clone()).into());
        }
        Ok(Plan {
            file: args.input.display().to_string(),
            delimiter,
            encoding,
            issued,
            ledger: crate::db::path_for(args.ledger.as_deref(), &args.key),
            mapping: Mapping {
                columns: mapping,
                ignored: ignored(&args.ignore_columns, w)?,
                ignore_others: args.ignore_other_columns,
                no_order_ids: args.no_order_ids,
                words: args.words,
            },
        })
    }
}

/// The `--ignore-column` values, each non-empty and given once.
fn ignored(values: &[String], w: &Words) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let header = v.trim();
        if header.is_empty() {
            return Err(Error::input(format!("{}: give the header of a column", w.ignore_column)));
        }
        if out.iter().any(|h| h.eq_ignore_ascii_case(header)) {
            return Err(Error::input(format!("{} {header} is given twice", w.ignore_column)));
        }
        out.push(header.to_owned());
    }
    Ok(out)
}

/// Something wrong with one cell of a row (or the row, with column `-`).
pub struct Bad<'c> {
    /// The column, by the input's header.
    pub column: &'c str,
    /// What is wrong.
    pub what: String,
}

impl<'c> Bad<'c> {
    fn new(column: &'c str, what: impl Into<String>) -> Bad<'c> {
        Bad { column, what: what.into() }
    }
}

/// Where each known column is, and the header it is read from (messages name the user's
/// header, `Plätze`, not ours, `seats`).
pub struct Columns {
    organization: usize,
    template: Option<usize>,
    seats: Option<usize>,
    features: Option<usize>,
    expires: Option<usize>,
    order_id: Option<usize>,
    contact: Option<usize>,
    headers: Vec<String>,
}

impl Columns {
    /// Finds the columns in the header; every problem of the header is reported: a mapped
    /// header that is missing, a reserved or repeated column, a required one missing, a
    /// column that is neither read nor named as ignored, and a missing order_id column
    /// unless `--no-order-ids`.
    pub fn find(
        table: &Table,
        have_template: bool,
        mapping: &Mapping,
    ) -> Result<Columns, Vec<(String, String)>> {
        let mut problems = Vec::new();
        for (name, header) in &mapping.columns {
            if table.column(header).is_none() {
                problems.push((
                    header.clone(),
                    format!("no such column (from {} {name}={header})", mapping.words.column),
                ));
            }
        }
        // A contact column under its usual ERP name (`Ansprechpartner`, `E-Mail`, ...) is read
        // as the contact when nothing else is: a contact is only recorded in the ledger, never
        // put in a key, so reading it cannot change what a customer gets.
        let contact_alias = (!mapping.columns.contains_key("contact") && table.column("contact").is_none())
            .then(|| super::unread::contact_alias(&table.headers, mapping))
            .flatten();
        let column = |name: &str| match (name, contact_alias) {
            ("contact", Some(i)) => Some(i),
            _ => table.column(mapping.columns.get(name).map_or(name, String::as_str)),
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, h) in table.headers.iter().enumerate() {
            let name = h.trim().to_ascii_lowercase();
            if RESERVED.contains(&name.as_str()) {
                problems
                    .push((h.clone(), "this column is written by keygen; remove it from the input".into()));
            }
            if seen.insert(name, i).is_some() {
                problems.push((h.clone(), "the column appears twice".into()));
            }
        }
        let organization = column("organization");
        if organization.is_none() {
            problems.push((
                "organization".into(),
                format!(
                    "the required column is missing (name it here, or map it: {} organization=HEADER)",
                    mapping.words.column
                ),
            ));
        }
        let template = column("template");
        if template.is_none() && !have_template {
            problems.push((
                "template".into(),
                format!("the column is missing and no {} was given", mapping.words.template),
            ));
        }
        let read: Vec<(&str, usize)> =
            KNOWN.iter().filter_map(|name| column(name).map(|i| (*name, i))).collect();
        problems.extend(super::unread::problems(&table.headers, &read, mapping));
        let order_id = column("order_id");
        match (order_id, mapping.no_order_ids) {
            (None, false) => problems.push(("order_id".into(), super::unread::no_order_ids(&mapping.words))),
            (Some(i), true) => problems.push((
                table.headers[i].clone(),
                format!(
                    "this column holds order ids, and {} says there are none: drop the flag \
                     (orders make a rerun safe), or {} it",
                    mapping.words.no_order_ids, mapping.words.ignore_column
                ),
            )),
            _ => {}
        }
        match organization {
            Some(organization) if problems.is_empty() => Ok(Columns {
                organization,
                template,
                seats: column("seats"),
                features: column("features"),
                expires: column("expires"),
                order_id,
                contact: column("contact"),
                headers: table.headers.iter().map(|h| h.trim().to_owned()).collect(),
            }),
            _ => Err(problems),
        }
    }

    /// The template cell of a row, if there is such a column and it reads.
    pub fn template_cell<'r>(&self, row: &'r Row) -> Option<&'r str> {
        self.template.and_then(|i| tabular::cell(&row.record, i).ok())
    }

    /// The header a known column is read from, as the input writes it (`name` itself when
    /// the input has no such column, e.g. `template` filled by `--template`).
    pub fn header<'a>(&'a self, name: &'a str) -> &'a str {
        let index = match name {
            "organization" => Some(self.organization),
            "template" => self.template,
            "seats" => self.seats,
            "features" => self.features,
            "expires" => self.expires,
            "order_id" => self.order_id,
            "contact" => self.contact,
            _ => None,
        };
        index.and_then(|i| self.headers.get(i)).map_or(name, String::as_str)
    }
}

/// What one row asks for.
pub struct RowPlan {
    /// The key's terms.
    pub terms: Terms,
    /// Whether the row states its last day (else it follows from the day of issue).
    pub expires_stated: bool,
    /// The order, if the row names one.
    pub order_id: Option<String>,
    /// The contact, if any.
    pub contact: Option<String>,
}

/// Templates by the name a row gives, each read once.
pub struct Templates<'a> {
    folder: template::Folder,
    default: Option<&'a str>,
    loaded: HashMap<String, Result<Template, String>>,
    /// What the caller's user calls the default template.
    word: &'static str,
}

impl<'a> Templates<'a> {
    /// Templates from `dir`; `default` serves rows with no template cell.
    pub fn new(folder: template::Folder, default: Option<&'a str>, word: &'static str) -> Templates<'a> {
        Templates { folder, default, loaded: HashMap::new(), word }
    }

    fn name<'c>(&'c self, cell: &'c str) -> Result<&'c str, Bad<'static>> {
        match (cell, self.default) {
            ("", Some(d)) => Ok(d),
            ("", None) => {
                Err(Bad::new("template", format!("empty: name a template here or give {}", self.word)))
            }
            (n, _) => Ok(n),
        }
    }

    /// Reads the template a cell names, once; its problem is reported by [`Templates::get`].
    pub fn load(&mut self, cell: &str) {
        // Names are matched without regard to case: `Standard` is `standard`.
        let Ok(name) = self.name(cell).map(str::to_owned) else { return };
        let folder = &self.folder;
        self.loaded
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| template::load(&name, folder).map_err(|e| e.to_string()));
    }

    /// The template a cell names, read by [`Templates::load`] before.
    pub fn get(&self, cell: &str) -> Result<&Template, Bad<'static>> {
        let name = self.name(cell)?;
        match self.loaded.get(&name.to_ascii_lowercase()) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(Bad::new("template", e.clone())),
            None => Err(Bad::new("template", format!("template '{name}' was not read"))),
        }
    }
}

/// Builds one row's terms. Every problem of the row is reported (with its order id, so
/// that duplicates are still found), not only the first.
pub fn plan_row<'c>(
    row: &Row,
    columns: &'c Columns,
    templates: &Templates<'_>,
    issued: Day,
) -> Result<RowPlan, (Option<String>, Vec<Bad<'c>>)> {
    let mut problems = Vec::new();
    let mut text = |index: Option<usize>, name: &'static str| -> Option<&str> {
        let i = index?;
        match tabular::cell(&row.record, i) {
            Ok("") => None,
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(Bad::new(columns.header(name), e));
                None
            }
        }
    };
    let organization = text(Some(columns.organization), "organization").unwrap_or("");
    let template_cell = text(columns.template, "template").unwrap_or("");
    let seats = text(columns.seats, "seats");
    let features = text(columns.features, "features");
    let expires = text(columns.expires, "expires");
    let order_id = text(columns.order_id, "order_id").map(str::to_owned);
    let contact = text(columns.contact, "contact").map(str::to_owned);
    let seats = seats.and_then(|cell| {
        super::cells::seats(cell).map_err(|e| problems.push(Bad::new(columns.header("seats"), e))).ok()
    });
    let expires = expires.and_then(|cell| {
        super::cells::date(cell).map_err(|e| problems.push(Bad::new(columns.header("expires"), e))).ok()
    });
    let overrides =
        Overrides { organization, seats: seats.as_deref(), features, expires: expires.as_deref() };
    let template = match templates.get(template_cell) {
        Ok(t) => Some(t),
        Err(bad) => {
            problems.push(Bad::new(columns.header(bad.column), bad.what));
            None
        }
    };
    // Without a template the cells are still checked, against a stand-in that adds no
    // problem of its own (perpetual, so no last day can overflow).
    let stand_in;
    let base = match template {
        Some(t) => t,
        None => {
            stand_in = template::Template {
                id: String::new(),
                name: String::new(),
                description: None,
                seats: product_key::Seats::Unlimited,
                features: product_key::FeatureSet::all(),
                valid_days: None,
            };
            &stand_in
        }
    };
    let terms = terms::build(base, &overrides, issued, &FEATURE_SEPARATORS)
        .map_err(|errors| {
            problems.extend(errors.into_iter().map(|(f, e)| Bad::new(columns.header(f.column()), e)))
        })
        .ok();
    match terms {
        Some(terms) if problems.is_empty() => {
            Ok(RowPlan { terms, expires_stated: expires.is_some(), order_id, contact })
        }
        _ => Err((order_id, problems)),
    }
}
