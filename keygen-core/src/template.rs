//! Edition templates (`templates/*.toml`), read strictly: unknown keys, missing keys and
//! unknown feature names are errors naming the file and line.

use std::path::{Path, PathBuf};

use product_key::{FeatureSet, Seats};
use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;

/// A checked edition template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The file's name without `.toml`, recorded with each key.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line about the edition.
    pub description: Option<String>,
    /// Client seats.
    pub seats: Seats,
    /// Granted features.
    pub features: FeatureSet,
    /// Days of validity: a key issued on D expires on D + N. `None` is perpetual.
    pub valid_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    description: Option<String>,
    seats: Spanned<RawSeats>,
    features: Spanned<Vec<Spanned<String>>>,
    valid_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSeats {
    Count(i64),
    Word(String),
}

/// The editions shipped inside keygen, so that it works from any folder.
const BUILT_IN: [(&str, &str); 4] = [
    ("enterprise", include_str!("../../templates/enterprise.toml")),
    ("professional", include_str!("../../templates/professional.toml")),
    ("standard", include_str!("../../templates/standard.toml")),
    ("trial", include_str!("../../templates/trial.toml")),
];

/// The folder of templates that add to or override the built-in editions.
#[derive(Clone, Debug)]
pub struct Folder {
    /// Its path.
    pub dir: PathBuf,
    /// Whether it was named (`--templates`, `$KEYGEN_TEMPLATES`): then it must exist.
    pub named: bool,
}

impl Folder {
    /// The `*.toml` files in the folder, sorted; none when an unnamed folder is missing.
    fn files(&self) -> Result<Vec<PathBuf>, Error> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.named => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::input(format!(
                    "cannot read the templates folder {}: {e} (name another folder, or set \
                     KEYGEN_TEMPLATES; the built-in editions need no folder)",
                    self.dir.display()
                )));
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        Ok(paths)
    }
}

/// Where a template comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Shipped inside keygen.
    BuiltIn,
    /// A file (in the templates folder, or named by its path).
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built in"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The most bytes of a template file read: a template is a few lines; `/dev/zero` or a
/// large file named by mistake is refused before it fills the memory.
pub const MAX_TEMPLATE_BYTES: u64 = 64 * 1024;

thread_local! {
    /// Set while the desk checks or issues a batch: a template cell then names an edition,
    /// never a file (see [`names_only`]).
    static NAMES_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every [`load`] on this thread limited to the editions listed (built in and
/// the templates folder): no file is named by a request. The desk runs a batch's check and
/// its issue in here, since the batch reads its template cells on the calling thread.
pub fn names_only<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            NAMES_ONLY.with(|n| n.set(self.0));
        }
    }
    let _reset = Reset(NAMES_ONLY.with(|n| n.replace(true)));
    f()
}

/// Reads the edition named `arg` among those listed (built in and the templates folder),
/// never a path: what the desk's Issue page reads.
pub fn load_listed(arg: &str, folder: &Folder) -> Result<Template, Error> {
    names_only(|| load(arg, folder))
}

/// Reads the template named by `arg`: a path when it holds `/` or ends in `.toml`; else a
/// name, matched without regard to case, in the folder first, then among the built-in ones.
pub fn load(arg: &str, folder: &Folder) -> Result<Template, Error> {
    let is_path = arg.contains('/') || arg.contains('\\') || arg.ends_with(".toml") || arg.starts_with('.');
    if is_path && NAMES_ONLY.with(std::cell::Cell::get) {
        // The answer says nothing of what the path holds, or whether it exists.
        let shown: String = arg.chars().filter(|c| !c.is_control()).take(64).collect();
        return Err(Error::input(format!(
            "'{shown}' is not an edition: name one of the editions listed (known: {})",
            known_names(folder).join(", ")
        )));
    }
    if arg.contains('/') || arg.ends_with(".toml") {
        let path = PathBuf::from(arg);
        return read(&path, arg);
    }
    if let Some(path) = folder
        .files()?
        .into_iter()
        .find(|p| p.file_stem().is_some_and(|stem| stem.to_string_lossy().eq_ignore_ascii_case(arg)))
    {
        return read(&path, arg);
    }
    if let Some((name, text)) = BUILT_IN.iter().find(|(name, _)| name.eq_ignore_ascii_case(arg)) {
        return parse(&built_in_path(name), text);
    }
    let known = known_names(folder);
    let hint = closest(arg, &known).map(|k| format!("; did you mean '{k}'?")).unwrap_or_default();
    Err(Error::input(format!("template '{arg}' not found (known: {}){hint}", known.join(", "))))
}

/// The ids of every good edition, sorted.
fn known_names(folder: &Folder) -> Vec<String> {
    let mut known: Vec<String> = load_all(folder)
        .map(|all| all.into_iter().filter_map(|(_, t)| t.ok().map(|t| t.id)).collect())
        .unwrap_or_default();
    known.sort();
    known.dedup();
    known
}

/// The known name nearest to a mistyped one (`standart`: `standard`), if one is near enough
/// to be the likely meaning: at most a third of its letters differ, case aside.
fn closest<'k>(typed: &str, known: &'k [String]) -> Option<&'k str> {
    let typed = typed.to_lowercase();
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&typed, &k.to_lowercase()), k))
        .filter(|(d, k)| *d > 0 && *d * 3 <= k.chars().count().max(typed.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

fn built_in_path(name: &str) -> PathBuf {
    PathBuf::from(format!("built-in:{name}.toml"))
}

fn read(path: &Path, arg: &str) -> Result<Template, Error> {
    let text = read_limited(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::input(format!("template '{arg}' not found: no file {}", path.display()))
        } else {
            Error::input(format!("cannot read template {}: {e}", path.display()))
        }
    })?;
    parse(path, &text)
}

/// A template file's text: a regular file of at most [`MAX_TEMPLATE_BYTES`], UTF-8.
fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    // A device or a pipe (`/dev/zero`, a FIFO) is no template, whatever it would give.
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_TEMPLATE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TEMPLATE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} KiB; a template is a few lines", MAX_TEMPLATE_BYTES / 1024),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Parses a template's text; `path` names it in errors and gives its id.
pub fn parse(path: &Path, text: &str) -> Result<Template, Error> {
    let file = path.display();
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| format!(":{}", line_of(s.start))).unwrap_or_default();
        Error::input(format!("{file}{at}: {}", e.message()))
    })?;
    let at = |offset: usize| format!("{file}:{}", line_of(offset));

    let seats_at = at(raw.seats.span().start);
    let seats = match raw.seats.into_inner() {
        RawSeats::Count(n) => u16::try_from(n).ok().and_then(Seats::count),
        RawSeats::Word(w) if w.eq_ignore_ascii_case("unlimited") => Some(Seats::Unlimited),
        RawSeats::Word(_) => None,
    }
    .ok_or_else(|| Error::input(format!("{seats_at}: seats must be 1 to 65534 or \"unlimited\"")))?;

    let features_at = at(raw.features.span().start);
    let names = raw.features.into_inner();
    if names.is_empty() {
        return Err(Error::input(format!("{features_at}: features must name at least one feature")));
    }
    for n in &names {
        if !n.get_ref().eq_ignore_ascii_case("all") && product_key::Feature::from_name(n.get_ref()).is_err() {
            return Err(Error::input(format!(
                "{}: unknown feature '{}' (see: keygen features)",
                at(n.span().start),
                n.get_ref()
            )));
        }
    }
    let features = FeatureSet::from_names(names.iter().map(|n| n.get_ref().as_str()))
        .map_err(|e| Error::input(format!("{features_at}: {e}")))?;

    let valid_days = match raw.valid_days {
        None => None,
        Some(v) => {
            let n = u32::try_from(*v.get_ref()).ok().filter(|n| (1..=u32::from(u16::MAX)).contains(n));
            Some(n.ok_or_else(|| {
                Error::input(format!("{}: valid_days must be 1 to 65535", at(v.span().start)))
            })?)
        }
    };
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().trim_start_matches("built-in:").to_owned())
        .unwrap_or_default();
    Ok(Template { id, name: raw.name, description: raw.description, seats, features, valid_days })
}

/// A template's source and what reading it gave.
pub type Loaded = (Source, Result<Template, Error>);

/// Every edition: the built-in ones, then the folder's files, a file overriding the
/// built-in edition of the same name (case aside); sorted by name.
pub fn load_all(folder: &Folder) -> Result<Vec<Loaded>, Error> {
    let files = folder.files()?;
    let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut all: Vec<(String, Loaded)> = BUILT_IN
        .iter()
        .filter(|(name, _)| !files.iter().any(|f| stem(f) == *name))
        .map(|(name, text)| ((*name).to_owned(), (Source::BuiltIn, parse(&built_in_path(name), text))))
        .collect();
    for p in files {
        let parsed = read_limited(&p)
            .map_err(|e| Error::input(format!("cannot read {}: {e}", p.display())))
            .and_then(|text| parse(&p, &text));
        all.push((stem(&p), (Source::File(p), parsed)));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(all.into_iter().map(|(_, loaded)| loaded).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("t/x.toml"), text).map(|_| String::new()).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn strict_with_lines() {
        assert_eq!(
            err("name = \"A\"\nseats = 5\nfeatures = [\"edi\",\n \"teleport\"]\n"),
            "t/x.toml:4: unknown feature 'teleport' (see: keygen features)"
        );
        assert!(
            err("name = \"A\"\nseats = 5\nfeatures = [\"edi\"]\ncolour = 1\n")
                .starts_with("t/x.toml:4: unknown field `colour`"),
            "{}",
            err("name = \"A\"\nseats = 5\nfeatures = [\"edi\"]\ncolour = 1\n")
        );
        assert!(err("name = \"A\"\nfeatures = [\"edi\"]\n").contains("missing field `seats`"));
        assert_eq!(
            err("name = \"A\"\nseats = 0\nfeatures = [\"edi\"]\n"),
            "t/x.toml:2: seats must be 1 to 65534 or \"unlimited\""
        );
        assert_eq!(
            err("name = \"A\"\nseats = 1\nfeatures = [\"all\", \"edi\"]\n"),
            "t/x.toml:3: 'all' cannot be combined with other feature names"
        );
        assert_eq!(
            err("name = \"A\"\nseats = 1\nfeatures = []\n"),
            "t/x.toml:3: features must name at least one feature"
        );
        for days in ["0", "70000", "-1"] {
            assert_eq!(
                err(&format!("name = \"A\"\nseats = 1\nfeatures = [\"all\"]\nvalid_days = {days}\n")),
                "t/x.toml:4: valid_days must be 1 to 65535"
            );
        }
        assert_eq!(
            err("name = \"A\"\nseats = \"many\"\nfeatures = [\"all\"]\n"),
            "t/x.toml:2: seats must be 1 to 65534 or \"unlimited\""
        );
        assert!(err("name = \"A\"\nseats = \"Unlimited\"\nfeatures = [\"all\"]\n").is_empty());
    }

    #[test]
    fn reads_a_good_template() {
        let t = parse(
            Path::new("x/enterprise.toml"),
            "name = \"E\"\nseats = \"unlimited\"\nfeatures = [\"all\"]\nvalid_days = 365\n",
        )
        .expect("valid");
        assert_eq!(
            (t.id.as_str(), t.seats, t.features, t.valid_days),
            ("enterprise", Seats::Unlimited, FeatureSet::all(), Some(365))
        );
    }
}
