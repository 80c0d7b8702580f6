//! Batch upload (operations): a CSV export uploaded with the choices of `keygen batch`,
//! checked as `keygen batch` checks it (every problem shown, nothing signed), then on
//! confirmation (`Issue N keys`) issued and recorded under the person's name, and keys.csv
//! offered for download. The upload waits in a private temporary folder, named by a random
//! token that only the session that uploaded it may use; it is removed at the next upload
//! after its session ends, or when the desk stops.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{self, layout};
use super::session::{Visit, check_csrf, random_token, require};
use crate::cli::{BatchArgs, KeyArgs, TemplatesArgs};
use crate::db::people::Role;
use crate::error::Error;

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

/// An upload waiting for confirmation, or issued and waiting for its download.
pub struct Upload {
    dir: tempfile::TempDir,
    name: String,
    session: String,
    choices: Choices,
    rows: u64,
    issued: bool,
}

/// The uploads, by token.
#[derive(Default)]
pub struct Uploads {
    map: Mutex<HashMap<String, Upload>>,
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn given(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn args(desk: &super::Desk, upload: &Upload) -> BatchArgs {
    let c = &upload.choices;
    BatchArgs {
        input: upload.dir.path().join("input.csv"),
        output: upload.dir.path().join("keys.csv"),
        template: given(&c.template),
        columns: lines(&c.columns),
        ignore_columns: lines(&c.ignore_columns),
        ignore_other_columns: c.ignore_other_columns,
        no_order_ids: c.no_order_ids,
        delimiter: given(&c.delimiter),
        encoding: given(&c.encoding),
        issued: None,
        skip_issued: c.skip_issued,
        force: true,
        ledger: Some(desk.ledger.clone()),
        quiet: true,
        key: KeyArgs { key: desk.key_path.clone(), passphrase_file: None },
        templates: TemplatesArgs { templates: desk.templates.named.then(|| desk.templates.dir.clone()) },
    }
}

fn form(visit: &Visit, c: &Choices) -> Markup {
    html! {
        form method="post" action="/batch" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(visit.csrf);
            label for="file" { "CSV export" }
            input id="file" name="file" type="file" accept=".csv,.txt,text/csv" required;
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
pub async fn page(State(desk): State<super::State>, headers: HeaderMap) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Operations) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = html! { h1 { "Batch" } (form(&visit, &Choices::default())) };
    layout("Batch", Some((&visit, &person)), body).into_response()
}

async fn read_upload(mut multipart: Multipart) -> Result<(String, Choices, String, Vec<u8>), String> {
    let (mut csrf, mut choices, mut name, mut bytes) =
        (String::new(), Choices::default(), String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let field_name = field.name().unwrap_or("").to_owned();
        if field_name == "file" {
            name = field.file_name().unwrap_or("export.csv").to_owned();
            bytes = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(|e| e.to_string())?;
        match field_name.as_str() {
            "csrf" => csrf = text,
            "template" => choices.template = text,
            "columns" => choices.columns = text,
            "ignore_columns" => choices.ignore_columns = text,
            "delimiter" => choices.delimiter = text,
            "encoding" => choices.encoding = text,
            "ignore_other_columns" => choices.ignore_other_columns = true,
            "no_order_ids" => choices.no_order_ids = true,
            "skip_issued" => choices.skip_issued = true,
            _ => {}
        }
    }
    Ok((csrf, choices, name, bytes))
}

/// `POST /batch`: the upload checked; every problem, or the confirmation.
pub async fn check(State(desk): State<super::State>, headers: HeaderMap, multipart: Multipart) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Operations) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (csrf, choices, name, bytes) = match read_upload(multipart).await {
        Ok(u) => u,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("cannot read the upload: {e}")).into_response(),
    };
    if let Err(r) = check_csrf(&visit, &csrf) {
        return r;
    }
    let d = desk.clone();
    let session = visit.id.clone();
    let c = choices.clone();
    let checked = super::blocking(move || {
        let dir = tempfile::Builder::new()
            .prefix("keygen-desk-batch-")
            .tempdir()
            .map_err(Error::io("cannot make a private folder for the upload"))?;
        // tempdir() makes it 0700: only the desk's user reads the customers' rows.
        std::fs::write(dir.path().join("input.csv"), &bytes).map_err(Error::io("cannot keep the upload"))?;
        let mut upload = Upload { dir, name, session, choices: c, rows: 0, issued: false };
        let rows = crate::batch::check_only(&args(&d, &upload));
        // Problems name the file as it was uploaded, not the private copy.
        let copy = upload.dir.path().join("input.csv").display().to_string();
        let rows = rows.map_err(|e| Error::Input(e.to_string().replace(&copy, &upload.name)))?;
        upload.rows = rows;
        let token = random_token()?;
        let mut uploads = d.uploads.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The uploads of sessions that ended go (their folders with them).
        uploads.retain(|_, u| d.sessions.is_live(&u.session, &d.limits));
        uploads.insert(token.clone(), upload);
        Ok((token, rows))
    })
    .await;
    let body = match checked {
        Ok((token, rows)) => html! {
            h1 { "Batch: checked" }
            p role="status" { "Every row is good: " (rows) " key" @if rows != 1 { "s" } " to issue. Nothing is signed until you confirm." }
            form method="post" action="/batch/confirm" {
                input type="hidden" name="csrf" value=(visit.csrf);
                input type="hidden" name="upload" value=(token);
                button type="submit" { "Issue " (rows) " key" @if rows != 1 { "s" } }
            }
        },
        Err(e) => {
            let body = html! {
                h1 { "Batch: problems" }
                p { "Nothing was issued. Correct the file (or the choices) and upload it again." }
                ul.problems role="alert" { @for l in pages::lines(&e) { li { (l) } } }
                (form(&visit, &choices))
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

fn owned<'a>(
    desk: &'a super::Desk,
    token: &str,
    visit: &Visit,
) -> Option<std::sync::MutexGuard<'a, HashMap<String, Upload>>> {
    let map = desk.uploads.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.get(token).is_some_and(|u| u.session == visit.id).then_some(map)
}

/// `POST /batch/confirm`: the keys issued and recorded under the person's name.
pub async fn confirm(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(f): Form<Confirm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Operations) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &f.csrf) {
        return r;
    }
    let Some(upload) = owned(&desk, &f.upload, &visit).and_then(|mut m| m.remove(&f.upload)) else {
        return (StatusCode::NOT_FOUND, "No such upload: upload the file again.").into_response();
    };
    let d = desk.clone();
    let actor = person.name.clone();
    let token = f.upload.clone();
    let done = super::blocking(move || {
        let mut upload = upload;
        let result = crate::batch::execute(
            &args(&d, &upload),
            &AtomicBool::new(false),
            crate::batch::SignerFrom::Given(&d.signer),
            &actor,
        );
        upload.issued = result.is_ok();
        let name = upload.name.clone();
        if result.is_ok() {
            d.uploads.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(token, upload);
        }
        result.map(|done| (done, name))
    })
    .await;
    match done {
        Ok((done, name)) => {
            let body = html! {
                h1 { "Batch: issued" }
                p role="status" { (done.new_keys) " keys issued from " (name) " and recorded by " (person.name)
                    @if done.reused > 0 { ", " (done.reused) " taken from the ledger" } "." }
                a.download href={ "/batch/" (f.upload) "/keys.csv" } download="keys.csv" { "Download keys.csv" }
            };
            layout("Batch", Some((&visit, &person)), body).into_response()
        }
        Err(e) => pages::problems(
            (&visit, &person),
            "Batch",
            &pages::lines(&e),
            html! { a href="/batch" { "Batch" } },
        ),
    }
}

/// `GET /batch/{token}/keys.csv`: the input's rows with their keys.
pub async fn download(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let (visit, _) = match require(&desk, &headers, Role::Operations) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let path = match owned(&desk, &token, &visit) {
        Some(map) => match map.get(&token) {
            Some(u) if u.issued => u.dir.path().join("keys.csv"),
            _ => return (StatusCode::NOT_FOUND, "not issued").into_response(),
        },
        None => return (StatusCode::NOT_FOUND, "No such batch.").into_response(),
    };
    match tokio::fs::read(&path).await {
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
        Err(e) => pages::error(&format!("cannot read keys.csv: {e}")),
    }
}
