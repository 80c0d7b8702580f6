//! Batch upload (operations): a CSV export uploaded with the choices of `keygen batch`,
//! checked as `keygen batch` checks it (every problem shown, nothing signed), then on
//! confirmation (`Issue N keys`) issued and recorded under the person's name, and keys.csv
//! offered for download. The upload waits in a private temporary folder (0700, its files
//! 0600), named by a random token that only the session that uploaded it may use. It issues
//! at most once: a second confirmation (a double click, a resent form) is answered with the
//! first one's result. An upload lives [`UPLOAD_LIFETIME`], goes at sign-out, and the desk
//! keeps at most [`PER_SESSION`] per session and [`IN_ALL`] in all. Template choices and
//! cells name editions, never files (`template::names_only`).

use std::collections::HashMap;
use std::path::Path as FilePath;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::extract::{Operations, Posted, Signed, Token};
use super::failure::{said, said_text};
use super::fields::given;
use super::pages::{self, layout};
use super::session::random_token;
use super::visit::Visit;
use keygen_core::batch::Request as BatchRequest;
use keygen_core::error::Error;

/// The choices of `keygen batch` the desk offers.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Choices {
    /// `--template`.
    #[serde(default)]
    pub template: String,
    /// `--column NAME=HEADER`, one a line.
    #[serde(default)]
    pub columns: String,
    /// `--ignore-column HEADER`, one a line.
    #[serde(default)]
    pub ignore_columns: String,
    /// `--ignore-other-columns`.
    #[serde(default)]
    pub ignore_other_columns: bool,
    /// `--no-order-ids`.
    #[serde(default)]
    pub no_order_ids: bool,
    /// `--skip-issued`.
    #[serde(default)]
    pub skip_issued: bool,
    /// `--delimiter`.
    #[serde(default)]
    pub delimiter: String,
    /// `--encoding`.
    #[serde(default)]
    pub encoding: String,
}

/// How long an upload is kept after its check: to confirm it, then to download its keys.
pub const UPLOAD_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// The most uploads one session keeps (a new check drops its oldest).
pub const PER_SESSION: usize = 3;
/// The most uploads the desk keeps in all (then a new one is refused until some go).
pub const IN_ALL: usize = 32;

/// What issuing an upload gave: the counts, or why nothing was issued.
type Outcome = Result<keygen_core::batch::Done, String>;

/// An upload: checked (with problems or without), then issued once.
pub struct Upload {
    dir: Arc<tempfile::TempDir>,
    name: String,
    session: String,
    choices: Choices,
    /// The encoding the file was read in (detected when the choice was empty).
    encoding: Option<String>,
    /// Rows when every row is good; `None` while it has problems.
    rows: Option<u64>,
    made: Instant,
    /// Set once by the first confirmation; the others wait for it and answer with it.
    outcome: Arc<tokio::sync::OnceCell<Outcome>>,
}

/// The uploads, by token.
#[derive(Default)]
pub struct Uploads {
    map: Mutex<HashMap<String, Upload>>,
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Upload>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops the uploads past their lifetime or of sessions that ended (their folders go
    /// with them, once no confirmation still uses them).
    fn prune(&self, desk: &super::Desk) {
        self.lock().retain(|_, u| {
            u.made.elapsed() < UPLOAD_LIFETIME && desk.sessions.is_live(&u.session, &desk.limits)
        });
    }

    /// How many uploads the desk holds.
    pub fn count(&self) -> usize {
        self.lock().len()
    }
}

/// What a person is told when the desk holds [`IN_ALL`] uploads.
const FULL: &str = "The desk holds as many uploads as it keeps: try again in a few minutes.";

/// Makes room for one more upload of `session`: its oldest goes when it has
/// [`PER_SESSION`]; false when the desk holds [`IN_ALL`] even so.
fn admit(map: &mut HashMap<String, Upload>, session: &str) -> bool {
    let mine = map.iter().filter(|(_, u)| u.session == session);
    if mine.clone().count() >= PER_SESSION
        && let Some(oldest) = mine.min_by_key(|(_, u)| u.made).map(|(t, _)| t.clone())
    {
        // Its keys, if it was issued, stay in the ledger.
        map.remove(&oldest);
    }
    map.len() < IN_ALL
}

/// Removes every upload of a session: called when it signs out.
pub fn discard_session(desk: &super::Desk, session: &str) {
    desk.uploads.lock().retain(|_, u| u.session != session);
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn args(desk: &super::Desk, dir: &FilePath, choices: &Choices, encoding: Option<String>) -> BatchRequest {
    let c = choices;
    BatchRequest {
        input: dir.join("input.csv"),
        output: dir.join("keys.csv"),
        template: given(&c.template),
        columns: lines(&c.columns),
        ignore_columns: lines(&c.ignore_columns),
        ignore_other_columns: c.ignore_other_columns,
        no_order_ids: c.no_order_ids,
        delimiter: given(&c.delimiter),
        encoding,
        issued: None,
        skip_issued: c.skip_issued,
        force: true,
        ledger: Some(desk.ledger.clone()),
        key: desk.key_path.clone(),
        passphrase_file: None,
        templates: desk.templates.clone(),
        words: MARKS,
    }
}

/// The batch's options as the core's hints name them here: marks that [`in_page_words`]
/// turns into the page's fields and boxes (a mark alone, or the phrase around it).
const MARKS: keygen_core::batch::Words = keygen_core::batch::Words {
    template: "--template",
    column: "--column",
    ignore_column: "--ignore-column",
    ignore_other_columns: "--ignore-other-columns",
    no_order_ids: "--no-order-ids",
    skip_issued: "--skip-issued",
    delimiter: "--delimiter",
    encoding: "--encoding",
    issued: "--issued",
    again: "run the same command with",
};

/// The encoding to read `bytes` in: the one chosen, else the one a byte order mark names,
/// else UTF-8 when the bytes are UTF-8, else Windows-1252 (what Excel's plain "CSV" writes
/// in Western Europe), as the form's placeholder says.
fn encoding_for(chosen: &str, bytes: &[u8]) -> Option<String> {
    if let Some(c) = given(chosen) {
        return Some(c);
    }
    if tabular::TextEncoding::sniff(bytes).is_some() || std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    Some(tabular::TextEncoding::Windows1252.name().to_owned())
}

/// The batch core's words for a command line, said in the page's own words: the field to
/// fill or the box to tick.
fn in_page_words(text: &str) -> String {
    const WORDS: [(&str, &str); 16] = [
        ("no --template was given", "the Edition field is empty"),
        ("or give --template", "or fill in the Edition field"),
        ("give --no-order-ids", "tick \"no order_id column\""),
        ("--no-order-ids", "\"no order_id column\""),
        ("--ignore-other-columns", "\"ignore every other column\""),
        ("--ignore-column it", "add it to \"Ignore columns\""),
        ("--ignore-column: ", "Ignore columns: "),
        ("--ignore-column ", "a line in \"Ignore columns\": "),
        ("--column ", "a line in \"Columns\": "),
        ("use --skip-issued", "tick \"rows already issued get their recorded key\""),
        ("--skip-issued", "\"rows already issued get their recorded key\""),
        ("use --encoding windows-1252", "choose the Encoding windows-1252"),
        ("--template: ", "Edition: "),
        ("--encoding: ", "Encoding: "),
        ("--delimiter: ", "Delimiter: "),
        ("run the same command with", "check the same file again with"),
    ];
    let mut out = text.to_owned();
    for (flag, words) in WORDS {
        out = out.replace(flag, words);
    }
    out
}

fn form(visit: &Visit, c: &Choices, kept: Option<(&str, &str)>) -> Markup {
    html! {
        form method="post" action="/batch" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(visit.csrf);
            @if let Some((token, name)) = kept {
                input type="hidden" name="upload" value=(token);
                p.kept role="status" { "The file " strong { (name) } " is kept: correct a choice and check it again, or choose another file." }
            }
            label for="file" { "CSV export" }
            @if kept.is_some() {
                input id="file" name="file" type="file" accept=".csv,.txt,text/csv";
            } @else {
                input id="file" name="file" type="file" accept=".csv,.txt,text/csv" required;
            }
            label for="template" { "Edition" }
            input id="template" name="template" value=(c.template) placeholder="for rows without a template cell";
            label for="columns" { "Columns" }
            textarea id="columns" name="columns" rows="3" placeholder="organization=Kunde (one a line)" { (c.columns) }
            label for="ignore_columns" { "Ignore columns" }
            textarea id="ignore_columns" name="ignore_columns" rows="2" placeholder="one header a line" { (c.ignore_columns) }
            label for="delimiter" { "Delimiter" }
            input id="delimiter" name="delimiter" value=(c.delimiter) placeholder="detected: , ; or tab";
            label for="encoding" { "Encoding" }
            input id="encoding" name="encoding" value=(c.encoding) placeholder="detected: utf-8, utf-16le, utf-16be, windows-1252";
            label { input type="checkbox" name="ignore_other_columns" value="true" checked[c.ignore_other_columns]; " ignore every other column" }
            label { input type="checkbox" name="no_order_ids" value="true" checked[c.no_order_ids]; " no order_id column" }
            label { input type="checkbox" name="skip_issued" value="true" checked[c.skip_issued]; " rows already issued get their recorded key" }
            button type="submit" { "Check" }
        }
    }
}

/// `GET /batch`.
pub async fn page(signed: Signed<Operations>) -> Response {
    let body = html! { h1 { "Batch" } (form(&signed.visit, &Choices::default(), None)) };
    layout("Batch", Some(signed.who()), body).into_response()
}

/// What a check's form sent.
pub struct Sent {
    csrf: String,
    choices: Choices,
    /// The upload kept from the check before, when no new file was chosen.
    upload: String,
    name: String,
    bytes: Vec<u8>,
}

impl FromRequest<super::State> for Sent {
    type Rejection = Response;

    async fn from_request(request: Request, desk: &super::State) -> Result<Self, Response> {
        let multipart = Multipart::from_request(request, desk).await.map_err(IntoResponse::into_response)?;
        read_upload(multipart)
            .await
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("cannot read the upload: {e}")).into_response())
    }
}

impl Token for Sent {
    const MULTIPART: bool = true;
    fn token(&self) -> &str {
        &self.csrf
    }
}

async fn read_upload(mut multipart: Multipart) -> Result<Sent, String> {
    let mut sent = Sent {
        csrf: String::new(),
        choices: Choices::default(),
        upload: String::new(),
        name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let field_name = field.name().unwrap_or("").to_owned();
        if field_name == "file" {
            sent.name = field
                .file_name()
                .unwrap_or("export.csv")
                .chars()
                .filter(|c| !c.is_control())
                .take(128)
                .collect();
            sent.bytes = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(|e| e.to_string())?;
        let c = &mut sent.choices;
        match field_name.as_str() {
            "csrf" => sent.csrf = text,
            "upload" => sent.upload = text,
            "template" => c.template = text,
            "columns" => c.columns = text,
            "ignore_columns" => c.ignore_columns = text,
            "delimiter" => c.delimiter = text,
            "encoding" => c.encoding = text,
            "ignore_other_columns" => c.ignore_other_columns = true,
            "no_order_ids" => c.no_order_ids = true,
            "skip_issued" => c.skip_issued = true,
            _ => {}
        }
    }
    Ok(sent)
}

/// A private folder for an upload, whatever the umask: 0700, and its input 0600.
fn keep(bytes: &[u8]) -> Result<tempfile::TempDir, Error> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = tempfile::Builder::new()
        .prefix("keygen-desk-batch-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(Error::io("cannot make a private folder for the upload"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.path().join("input.csv"))
        .map_err(Error::io("cannot keep the upload"))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(Error::io("cannot keep the upload"))?;
    Ok(dir)
}

/// An error's lines with the upload's private folder named as a person knows it.
fn without_paths(desk: &super::Desk, dir: &FilePath, name: &str, e: &Error) -> Vec<String> {
    let folder = dir.display().to_string();
    let text = e
        .to_string()
        .replace(&dir.join("input.csv").display().to_string(), name)
        .replace(&dir.join("keys.csv").display().to_string(), "keys.csv")
        .replace(&folder, "the upload");
    said_text(desk, &in_page_words(&text))
}

/// The cells recorded with a key (organization, order id, contact), checked by
/// `text_rules` before the batch core reads them: `LINE: column: problem` for each.
fn check_cells(dir: &FilePath, name: &str, choices: &Choices, encoding: Option<&str>) -> Vec<String> {
    use keygen_core::text_rules::{Field, check};
    let encoding = encoding.and_then(|e| tabular::parse_encoding(e).ok());
    let delimiter = given(&choices.delimiter).and_then(|d| tabular::parse_delimiter(&d).ok());
    let Ok(file) = std::fs::File::open(dir.join("input.csv")) else { return Vec::new() };
    // A file the batch core cannot read is its to report.
    let Ok(mut table) = tabular::Table::from_reader(FilePath::new(name), Box::new(file), delimiter, encoding)
    else {
        return Vec::new();
    };
    let mapped: Vec<(String, String)> = lines(&choices.columns)
        .iter()
        .filter_map(|l| l.split_once('=').map(|(n, h)| (n.trim().to_ascii_lowercase(), h.trim().to_owned())))
        .collect();
    let column = |known: &str| {
        let header = mapped.iter().find(|(n, _)| n == known).map_or(known, |(_, h)| h.as_str());
        table.column(header)
    };
    let fields: Vec<(usize, Field)> =
        [("organization", Field::Organization), ("order_id", Field::OrderId), ("contact", Field::Contact)]
            .into_iter()
            .filter_map(|(known, field)| column(known).map(|i| (i, field)))
            .collect();
    let mut problems = Vec::new();
    while let Some(row) = table.next_row() {
        let Ok(row) = row else { continue };
        for (i, field) in &fields {
            if let Ok(cell) = tabular::cell(&row.record, *i)
                && let Err(e) = check(*field, cell)
            {
                problems.push(format!("{name}:{}: {e}", row.line));
            }
        }
        if problems.len() >= keygen_core::error::MAX_PROBLEM_LINES {
            break;
        }
    }
    problems
}

/// `POST /batch`: the upload checked; every problem, or the confirmation. The upload is kept
/// either way, so that a choice can be corrected without choosing the file again.
pub async fn check(State(desk): State<super::State>, posted: Posted<Operations, Sent>) -> Response {
    let Posted { visit, person, body: sent, .. } = posted;
    desk.uploads.prune(&desk);
    // The file kept from the check before, when no new one was chosen.
    let kept = if sent.bytes.is_empty() && !sent.upload.is_empty() {
        let mut map = desk.uploads.lock();
        match map.get(&sent.upload) {
            // Only an upload with problems is checked again: one that passed may be being
            // issued, and a copy of it under a new token could be confirmed a second time.
            Some(u) if u.session == visit.id && u.rows.is_none() => {
                map.remove(&sent.upload).map(|u| (u.dir, u.name))
            }
            _ => None,
        }
    } else {
        None
    };
    if kept.is_none() && sent.bytes.is_empty() {
        let body = html! {
            h1 { "Batch" }
            ul.problems role="alert" { li { "Choose the CSV export to upload." } }
            (form(&visit, &sent.choices, None))
        };
        return (StatusCode::UNPROCESSABLE_ENTITY, layout("Batch", Some((&visit, &person)), body))
            .into_response();
    }
    // Refused early when the desk is full, before any work; `admit` decides again at the insert.
    if !admit(&mut desk.uploads.lock(), &visit.id) {
        let body = html! {
            h1 { "Batch" }
            ul.problems role="alert" { li { (FULL) } }
            (form(&visit, &sent.choices, None))
        };
        return (StatusCode::SERVICE_UNAVAILABLE, layout("Batch", Some((&visit, &person)), body))
            .into_response();
    }
    let d = desk.clone();
    let session = visit.id.clone();
    let c = sent.choices.clone();
    let checked = super::blocking(move || {
        let (dir, name) = match kept {
            Some((dir, name)) => (dir, name),
            None => (Arc::new(keep(&sent.bytes)?), sent.name),
        };
        let encoding = match given(&c.encoding) {
            Some(e) => Some(e),
            None => encoding_for(
                "",
                &std::fs::read(dir.path().join("input.csv")).map_err(Error::io("cannot read the upload"))?,
            ),
        };
        let mut problems = check_cells(dir.path(), &name, &c, encoding.as_deref());
        let rows = if problems.is_empty() {
            let a = args(&d, dir.path(), &c, encoding.clone());
            match keygen_core::template::names_only(|| keygen_core::batch::check_only(&a)) {
                Ok(rows) => Some(rows),
                Err(e) => {
                    problems = without_paths(&d, dir.path(), &name, &e);
                    None
                }
            }
        } else {
            None
        };
        let token = random_token()?;
        let upload = Upload {
            dir,
            name: name.clone(),
            session,
            choices: c,
            encoding: encoding.clone(),
            rows,
            made: Instant::now(),
            outcome: Arc::default(),
        };
        let mut map = d.uploads.lock();
        if !admit(&mut map, &upload.session) {
            return Err(Error::input(FULL));
        }
        map.insert(token.clone(), upload);
        Ok((token, name, rows, problems, encoding))
    })
    .await;
    // The upload goes at the end of its lifetime even if no one asks the desk anything.
    let weak = Arc::downgrade(&desk);
    tokio::spawn(async move {
        tokio::time::sleep(UPLOAD_LIFETIME).await;
        if let Some(d) = weak.upgrade() {
            d.uploads.prune(&d);
        }
    });
    let (token, name, rows, problems, encoding) = match checked {
        Ok(c) => c,
        Err(e) => {
            return pages::problems(
                (&visit, &person),
                "Batch",
                &said(&desk, &e),
                html! { a href="/batch" { "Batch" } },
            );
        }
    };
    let detected = encoding.filter(|_| sent.choices.encoding.trim().is_empty());
    let body = match rows {
        Some(rows) => html! {
            h1 { "Batch: checked" }
            @if let Some(e) = &detected { p { "The file is not UTF-8: it was read as " (e) "." } }
            p role="status" { "Every row of " (name) " is good: " (rows) " key" @if rows != 1 { "s" } " to issue. Nothing is signed until you confirm." }
            form method="post" action="/batch/confirm" {
                input type="hidden" name="csrf" value=(visit.csrf);
                input type="hidden" name="upload" value=(token);
                button type="submit" { "Issue " (rows) " key" @if rows != 1 { "s" } }
            }
        },
        None => {
            let body = html! {
                h1 { "Batch: problems" }
                p { "Nothing was issued. Correct the file (or the choices) and check it again." }
                @if let Some(e) = &detected { p { "The file is not UTF-8: it was read as " (e) "; if its letters look wrong, choose its encoding." } }
                ul.problems role="alert" { @for l in &problems { li { (l) } } }
                (form(&visit, &sent.choices, Some((&token, &name))))
            };
            return (StatusCode::UNPROCESSABLE_ENTITY, layout("Batch", Some((&visit, &person)), body))
                .into_response();
        }
    };
    layout("Batch", Some((&visit, &person)), body).into_response()
}

/// The confirmation.
#[derive(Deserialize)]
pub struct Confirm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    upload: String,
}

impl Token for Confirm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /batch/confirm`: the keys issued and recorded under the person's name, once: a
/// confirmation of an upload issued or being issued answers with that result.
pub async fn confirm(
    State(desk): State<super::State>,
    posted: Posted<Operations, Form<Confirm>>,
) -> Response {
    let Posted { visit, person, body: Form(f), .. } = posted;
    desk.uploads.prune(&desk);
    let found = {
        let map = desk.uploads.lock();
        map.get(&f.upload).filter(|u| u.session == visit.id).map(|u| {
            (
                Arc::clone(&u.dir),
                u.name.clone(),
                u.choices.clone(),
                u.encoding.clone(),
                u.rows,
                Arc::clone(&u.outcome),
            )
        })
    };
    let Some((dir, name, choices, encoding, rows, outcome)) = found else {
        return (StatusCode::NOT_FOUND, layout("Batch", Some((&visit, &person)), html! {
            h1 { "Batch" } p { "No such upload (it is kept " (UPLOAD_LIFETIME.as_secs() / 60) " minutes, and until sign-out): upload the file again." }
            a href="/batch" { "Batch" }
        })).into_response();
    };
    if rows.is_none() {
        return pages::problems(
            (&visit, &person),
            "Batch",
            &["This upload has problems: correct them and check it again.".to_owned()],
            html! { a href="/batch" { "Batch" } },
        );
    }
    let d = desk.clone();
    let actor = person.name.clone();
    let shown_name = name.clone();
    // The first confirmation issues; any other, at the same time or later, waits for it and
    // answers with its result.
    let result = outcome
        .get_or_init(|| async move {
            let run = super::blocking(move || {
                let signer = super::writer::signer_now(&d)?;
                let a = args(&d, dir.path(), &choices, encoding);
                keygen_core::template::names_only(|| {
                    keygen_core::batch::execute(
                        &a,
                        &AtomicBool::new(false),
                        keygen_core::batch::SignerFrom::Given(&signer),
                        &actor,
                        &keygen_core::batch::Silent,
                    )
                })
                .map_err(|e| without_paths(&d, dir.path(), &name, &super::writer::for_people(e)).join("\n"))
                .map_err(Error::Input)
            })
            .await;
            run.map_err(|e| e.to_string())
        })
        .await
        .clone();
    match result {
        Ok(done) => {
            let body = html! {
                h1 { "Batch: issued" }
                p role="status" { (done.new_keys) " keys issued from " (shown_name) " and recorded"
                    @if done.reused > 0 { ", " (done.reused) " taken from the ledger" } "." }
                a.download href={ "/batch/" (f.upload) "/keys.csv" } download="keys.csv" { "Download keys.csv" }
            };
            layout("Batch", Some((&visit, &person)), body).into_response()
        }
        Err(e) => pages::problems(
            (&visit, &person),
            "Batch",
            &e.lines().map(str::to_owned).collect::<Vec<_>>(),
            html! { p { "Nothing was issued from this upload. To try again, upload the file again." } a href="/batch" { "Batch" } },
        ),
    }
}

/// `GET /batch/{token}/keys.csv`: the input's rows with their keys.
pub async fn download(
    Signed { visit, .. }: Signed<Operations>,
    State(desk): State<super::State>,
    Path(token): Path<String>,
) -> Response {
    let found = {
        let map = desk.uploads.lock();
        map.get(&token)
            .filter(|u| u.session == visit.id && u.made.elapsed() < UPLOAD_LIFETIME)
            .map(|u| (Arc::clone(&u.dir), matches!(u.outcome.get(), Some(Ok(_)))))
    };
    let dir = match found {
        Some((dir, true)) => dir,
        Some(_) => return (StatusCode::NOT_FOUND, "This batch was not issued.").into_response(),
        None => return (StatusCode::NOT_FOUND, "No such batch.").into_response(),
    };
    let d = desk.clone();
    // `keygen batch` wrote every cell that a spreadsheet would run as a formula as text
    // (cli_support::csv_cell): the file is sent as it is.
    let bytes = super::blocking(move || {
        std::fs::read(dir.path().join("keys.csv")).map_err(Error::io("cannot read keys.csv"))
    })
    .await;
    match bytes {
        Ok(bytes) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"keys.csv\""),
            );
            r
        }
        Err(e) => pages::error(&said(&d, &e).join("\n")),
    }
}
