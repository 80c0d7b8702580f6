//! [`TokenSigner`]: an Ed25519 private key on a PKCS#11 token, signing with CKM_EDDSA through a
//! pool of logged-in sessions, so that a batch signs on as many threads as the module allows.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::{Limit, Slot};
use cryptoki::types::AuthPin;
use product_key::Ed25519Sign;

use super::TokenError;
use super::pin::{self, Pin, Prompt};
use super::uri::TokenUri;

/// The environment variable naming the PKCS#11 module when the URI has no `module-path=`.
pub const MODULE_ENV: &str = "KEYGEN_PKCS11_MODULE";

/// Ed25519's curve in CKA_EC_PARAMS, as PKCS#11 3.0 allows it: the DER OID 1.3.101.112 ...
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// ... or the DER PrintableString "edwards25519" (what pkcs11-tool writes).
const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

/// How a token key is opened beyond its URI.
#[derive(Default)]
pub struct Options<'a> {
    /// Asks for the PIN when neither `pin-source=` nor `$KEYGEN_PKCS11_PIN_FILE` gives it.
    pub prompt: Option<Prompt<'a>>,
    /// The most sessions to sign through (default: the machine's threads, capped by the
    /// token's own limit).
    pub sessions: Option<usize>,
}

/// An Ed25519 key on a token. The PIN is kept (wiped on drop) to log in again when the
/// token goes away and comes back; the key itself never enters this process.
pub struct TokenSigner {
    module: Pkcs11,
    uri: TokenUri,
    key_name: String,
    pin: Pin,
    sessions: usize,
    public: [u8; 32],
    state: Mutex<Arc<State>>,
    reconnecting: Mutex<()>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("key", &self.key_name)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

/// One connection to the token: its slot, the key's handle, the logged-in sessions.
struct State {
    key: ObjectHandle,
    idle: Mutex<Vec<Session>>,
    returned: Condvar,
    size: usize,
}

impl TokenSigner {
    /// Opens the private key `uri` names: loads the module, finds the token, logs in, checks
    /// the key is an Ed25519 key allowed to sign and reads its public key.
    pub fn open(uri: &TokenUri, options: &Options<'_>) -> Result<TokenSigner, TokenError> {
        let module = load(&module_path(uri)?)?;
        let (_, token) = find_token(&module, uri)?;
        let pin = pin::obtain(uri.pin_source.as_deref(), &token, options.prompt)?;
        Self::connect_new(module, uri, pin, options)
    }

    /// Generates an Ed25519 key pair on the token (`CKM_EC_EDWARDS_KEY_PAIR_GEN`): the private
    /// key on the token, sensitive, never extractable, allowed to sign; labelled `object=` and
    /// with CKA_ID `id=` when given. Refuses a name already used on the token.
    pub fn generate(uri: &TokenUri, options: &Options<'_>) -> Result<TokenSigner, TokenError> {
        let module = load(&module_path(uri)?)?;
        let (slot, token) = find_token(&module, uri)?;
        let pin = pin::obtain(uri.pin_source.as_deref(), &token, options.prompt)?;
        let key = uri.key_name();
        {
            let session = module.open_rw_session(slot).map_err(ck("opening a session"))?;
            login(&session, &pin, &token)?;
            require(
                &module,
                slot,
                &token,
                MechanismType::ECC_EDWARDS_KEY_PAIR_GEN,
                "CKM_EC_EDWARDS_KEY_PAIR_GEN",
            )?;
            require(&module, slot, &token, MechanismType::EDDSA, "CKM_EDDSA")?;
            if !session.find_objects(&named(uri, None)).map_err(ck("searching objects"))?.is_empty() {
                return Err(TokenError::KeyExists { key });
            }
            let (public, private) = generate_pair(&session, uri)?;
            let check = check_kept_in(&session, private, &key);
            if check.is_err() {
                // The key could leave the token: it must not be used, nor stay.
                let _ = session.destroy_object(private);
                let _ = session.destroy_object(public);
            }
            check?;
        }
        Self::connect_new(module, uri, pin, options)
    }

    fn connect_new(
        module: Pkcs11,
        uri: &TokenUri,
        pin: Pin,
        options: &Options<'_>,
    ) -> Result<TokenSigner, TokenError> {
        let wanted = options
            .sessions
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let key_name = uri.key_name();
        let (state, public) = connect(&module, uri, &key_name, &pin, wanted)?;
        Ok(TokenSigner {
            module,
            uri: uri.clone(),
            key_name,
            pin,
            sessions: state.size,
            public,
            state: Mutex::new(Arc::new(state)),
            reconnecting: Mutex::new(()),
        })
    }

    /// The URI that names the key, without its query (module, PIN source).
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// How many sessions sign in parallel.
    pub fn sessions(&self) -> usize {
        self.sessions
    }

    fn current(&self) -> Arc<State> {
        Arc::clone(&self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Connects again after the token went away, unless another thread already has since
    /// `seen` was current. The key found must be the same key (same public key).
    fn reconnect(&self, seen: &Arc<State>) -> Result<(), TokenError> {
        let _one_at_a_time = self.reconnecting.lock().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(seen, &self.current()) {
            return Ok(());
        }
        let (state, public) = connect(&self.module, &self.uri, &self.key_name, &self.pin, self.sessions)?;
        if public != self.public {
            return Err(TokenError::BadSignature {
                key: self.key_name.clone(),
                reason: "after reconnecting, the key found has another public key".to_owned(),
            });
        }
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(state);
        Ok(())
    }
}

impl Ed25519Sign for TokenSigner {
    type Error = TokenError;

    fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Signs on an idle session (waiting for one when all are busy). A failure that means
    /// the token or its sessions went away is answered by connecting again, once.
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], TokenError> {
        let state = self.current();
        match state.sign(message) {
            Err(SignFailure::Gone(_)) => {
                self.reconnect(&state)?;
                self.current().sign(message).map_err(|e| e.into_error(&self.key_name))
            }
            other => other.map_err(|e| e.into_error(&self.key_name)),
        }
    }
}

enum SignFailure {
    /// The session, the login or the token is gone: worth connecting again.
    Gone(CkError),
    Other(CkError),
    Length(usize),
}

impl SignFailure {
    fn into_error(self, key: &str) -> TokenError {
        match self {
            SignFailure::Gone(e) | SignFailure::Other(e) => ck("signing")(e),
            SignFailure::Length(len) => TokenError::BadSignature {
                key: key.to_owned(),
                reason: format!("the token returned {len} bytes, not a 64-byte signature"),
            },
        }
    }
}

impl State {
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignFailure> {
        let session = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(session) = idle.pop() {
                    break session;
                }
                idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner());
            }
        };
        let result =
            session.sign(&Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)), self.key, message);
        // Every session goes back, even a dead one, so that no thread waits for a session
        // that will never come; a dead one fails its next user, who connects again too.
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(session);
        self.returned.notify_one();
        let signature = result.map_err(|e| match e {
            CkError::Pkcs11(rv, _) if gone(rv) => SignFailure::Gone(e),
            e => SignFailure::Other(e),
        })?;
        <[u8; 64]>::try_from(signature.as_slice()).map_err(|_| SignFailure::Length(signature.len()))
    }
}

fn gone(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::DeviceRemoved
            | RvError::DeviceError
            | RvError::TokenNotPresent
            | RvError::UserNotLoggedIn
            | RvError::KeyHandleInvalid
            | RvError::ObjectHandleInvalid
            | RvError::CryptokiNotInitialized
    )
}

/// Maps a cryptoki error met during `during`.
fn ck(during: &'static str) -> impl Fn(CkError) -> TokenError {
    move |e| TokenError::Pkcs11 { during, reason: e.to_string() }
}

fn module_path(uri: &TokenUri) -> Result<PathBuf, TokenError> {
    uri.module_path
        .clone()
        .or_else(|| std::env::var_os(MODULE_ENV).map(PathBuf::from))
        .ok_or(TokenError::NoModule)
}

/// Loads and initializes a module once per process: PKCS#11 allows one C_Initialize per
/// module and application, and a second C_Finalize would pull it from under the first user.
fn load(path: &Path) -> Result<Pkcs11, TokenError> {
    static MODULES: OnceLock<Mutex<Vec<(PathBuf, Pkcs11)>>> = OnceLock::new();
    let failed = |reason: String| TokenError::ModuleLoad { path: path.to_owned(), reason };
    let canonical = std::fs::canonicalize(path).map_err(|e| failed(e.to_string()))?;
    let mut modules = MODULES.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, module)) = modules.iter().find(|(p, _)| *p == canonical) {
        return Ok(module.clone());
    }
    let module = Pkcs11::new(&canonical).map_err(|e| failed(e.to_string()))?;
    match module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(format!("C_Initialize failed: {e}"))),
    }
    modules.push((canonical, module.clone()));
    Ok(module)
}

/// The one slot whose token matches the URI's token attributes, with the token's label.
fn find_token(module: &Pkcs11, uri: &TokenUri) -> Result<(Slot, String), TokenError> {
    let slots = module.get_slots_with_token().map_err(ck("listing slots"))?;
    let mut present = Vec::new();
    let mut matching = Vec::new();
    for slot in slots {
        let Ok(info) = module.get_token_info(slot) else { continue };
        if !info.token_initialized() {
            continue;
        }
        present.push(format!("\"{}\"", info.label()));
        let fits = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        if fits(&uri.token, info.label())
            && fits(&uri.manufacturer, info.manufacturer_id())
            && fits(&uri.model, info.model())
            && fits(&uri.serial, info.serial_number())
            && uri.slot_id.is_none_or(|id| id == slot.id())
        {
            matching.push((slot, info.label().to_owned()));
        }
    }
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 => Err(TokenError::TokenAbsent {
            key: uri.key_name(),
            present: if present.is_empty() { "none".to_owned() } else { present.join(", ") },
        }),
        count => Err(TokenError::TokenAmbiguous { key: uri.key_name(), count }),
    }
}

fn login(session: &Session, pin: &Pin, token: &str) -> Result<(), TokenError> {
    let secret = AuthPin::from(pin.expose());
    match session.login(UserType::User, Some(&secret)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange | RvError::PinInvalid, _)) => {
            Err(TokenError::WrongPin { token: token.to_owned() })
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(TokenError::PinLocked { token: token.to_owned() }),
        Err(e) => Err(ck("logging in")(e)),
    }
}

fn require(
    module: &Pkcs11,
    slot: Slot,
    token: &str,
    mechanism: MechanismType,
    name: &'static str,
) -> Result<(), TokenError> {
    let list = module.get_mechanism_list(slot).map_err(ck("listing mechanisms"))?;
    if list.contains(&mechanism) {
        Ok(())
    } else {
        Err(TokenError::MechanismMissing { token: token.to_owned(), mechanism: name })
    }
}

/// The template that finds the URI's objects (of `class`, or any).
fn named(uri: &TokenUri, class: Option<ObjectClass>) -> Vec<Attribute> {
    let mut template: Vec<Attribute> = class.map(Attribute::Class).into_iter().collect();
    if let Some(label) = &uri.object {
        template.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    template
}

/// Finds the token, logs in, finds and checks the key, opens the pool.
fn connect(
    module: &Pkcs11,
    uri: &TokenUri,
    key: &str,
    pin: &Pin,
    wanted: usize,
) -> Result<(State, [u8; 32]), TokenError> {
    let (slot, token) = find_token(module, uri)?;
    let first = module.open_ro_session(slot).map_err(ck("opening a session"))?;
    // The login holds for every session of this process on the token.
    login(&first, pin, &token)?;
    require(module, slot, &token, MechanismType::EDDSA, "CKM_EDDSA")?;

    let found =
        first.find_objects(&named(uri, Some(ObjectClass::PRIVATE_KEY))).map_err(ck("searching keys"))?;
    let private = match found.as_slice() {
        [one] => *one,
        [] => return Err(TokenError::NoSuchKey { key: key.to_owned() }),
        many => return Err(TokenError::KeyAmbiguous { key: key.to_owned(), count: many.len() }),
    };
    let attrs = first
        .get_attributes(
            private,
            &[
                AttributeType::KeyType,
                AttributeType::Sign,
                AttributeType::EcParams,
                AttributeType::Id,
                AttributeType::Label,
            ],
        )
        .map_err(ck("reading the key's attributes"))?;
    let mut id = Vec::new();
    let mut label = Vec::new();
    for attr in attrs {
        match attr {
            Attribute::KeyType(kind) if kind != KeyType::EC_EDWARDS => {
                return Err(TokenError::WrongKeyType { key: key.to_owned(), found: kind.to_string() });
            }
            Attribute::EcParams(params) if params != ED25519_OID && params != ED25519_NAME => {
                return Err(TokenError::WrongKeyType {
                    key: key.to_owned(),
                    found: format!(
                        "key on a curve other than edwards25519 (CKA_EC_PARAMS {})",
                        hex::encode(&params)
                    ),
                });
            }
            Attribute::Sign(false) => return Err(TokenError::CannotSign { key: key.to_owned() }),
            Attribute::Id(value) => id = value,
            Attribute::Label(value) => label = value,
            _ => {}
        }
    }
    let public =
        public_key(&first, if id.is_empty() { Attribute::Label(label) } else { Attribute::Id(id) }, key)?;

    let size = match module.get_token_info(slot).map_err(ck("reading the token"))?.max_session_count() {
        Limit::Max(max) => wanted.min(usize::try_from(max).unwrap_or(usize::MAX)).max(1),
        Limit::Unavailable | Limit::Infinite => wanted,
    };
    let mut idle = vec![first];
    while idle.len() < size {
        // A module may allow fewer sessions than it says; what opens is the pool.
        match module.open_ro_session(slot) {
            Ok(session) => idle.push(session),
            Err(_) => break,
        }
    }
    let size = idle.len();
    Ok((State { key: private, idle: Mutex::new(idle), returned: Condvar::new(), size }, public))
}

/// The public key beside the private key (same CKA_ID, or same label when it has no id).
fn public_key(session: &Session, pair: Attribute, key: &str) -> Result<[u8; 32], TokenError> {
    let template = [Attribute::Class(ObjectClass::PUBLIC_KEY), Attribute::KeyType(KeyType::EC_EDWARDS), pair];
    let found = session.find_objects(&template).map_err(ck("searching the public key"))?;
    let [public] = found.as_slice() else {
        return Err(match found.len() {
            0 => TokenError::NoPublicKey { key: key.to_owned() },
            count => TokenError::KeyAmbiguous { key: format!("{key} (its public key)"), count },
        });
    };
    let point = session
        .get_attributes(*public, &[AttributeType::EcPoint])
        .map_err(ck("reading the public key"))?
        .into_iter()
        .find_map(|a| if let Attribute::EcPoint(p) = a { Some(p) } else { None })
        .ok_or_else(|| TokenError::NoPublicKey { key: key.to_owned() })?;
    // PKCS#11 3.0 says a DER OCTET STRING; some modules store the 32 bytes bare.
    let raw = match point.as_slice() {
        [0x04, 0x20, rest @ ..] if rest.len() == 32 => rest,
        bare if bare.len() == 32 => bare,
        other => return Err(TokenError::BadPublicKey { key: key.to_owned(), len: other.len() }),
    };
    let mut out = [0u8; 32];
    out.copy_from_slice(raw);
    Ok(out)
}

fn generate_pair(session: &Session, uri: &TokenUri) -> Result<(ObjectHandle, ObjectHandle), TokenError> {
    let mut common = Vec::new();
    if let Some(label) = &uri.object {
        common.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        common.push(Attribute::Id(id.clone()));
    }
    let private = [
        vec![
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
        ],
        common.clone(),
    ]
    .concat();
    let mut last = None;
    // PKCS#11 3.0 names the curve either way; a module may know only one of them.
    for curve in [ED25519_OID, ED25519_NAME] {
        let public = [
            vec![Attribute::Token(true), Attribute::Verify(true), Attribute::EcParams(curve.to_vec())],
            common.clone(),
        ]
        .concat();
        match session.generate_key_pair(&Mechanism::EccEdwardsKeyPairGen, &public, &private) {
            Ok(pair) => return Ok(pair),
            Err(
                e @ CkError::Pkcs11(
                    RvError::CurveNotSupported
                    | RvError::AttributeValueInvalid
                    | RvError::DomainParamsInvalid,
                    _,
                ),
            ) => last = Some(e),
            Err(e) => return Err(ck("generating the key pair")(e)),
        }
    }
    Err(ck("generating the key pair")(last.unwrap_or(CkError::NotSupported)))
}

/// Reads back what the token made: a private key that could leave it is refused.
fn check_kept_in(session: &Session, private: ObjectHandle, key: &str) -> Result<(), TokenError> {
    let attrs = session
        .get_attributes(private, &[AttributeType::Sensitive, AttributeType::Extractable])
        .map_err(ck("reading the new key's attributes"))?;
    let exposed = |what| TokenError::KeyExposed { key: key.to_owned(), what };
    // An attribute the token does not report counts as the unsafe value.
    let (mut sensitive, mut extractable) = (false, true);
    for attr in attrs {
        match attr {
            Attribute::Sensitive(s) => sensitive = s,
            Attribute::Extractable(e) => extractable = e,
            _ => {}
        }
    }
    if extractable {
        return Err(exposed("extractable (CKA_EXTRACTABLE true)"));
    }
    if sensitive { Ok(()) } else { Err(exposed("readable (CKA_SENSITIVE false)")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_comes_from_the_uri_first_and_a_missing_one_is_named() {
        let mut uri = TokenUri::parse("pkcs11:token=t;object=o?module-path=/opt/hsm/lib.so").expect("uri");
        assert_eq!(module_path(&uri).expect("path"), PathBuf::from("/opt/hsm/lib.so"));
        uri.module_path = None;
        // keygen's unit tests run without the variable; a developer who exports it skips this.
        if std::env::var_os(MODULE_ENV).is_none() {
            assert!(matches!(module_path(&uri), Err(TokenError::NoModule)));
        }
        let err = load(Path::new("/nonexistent/libpkcs11.so")).expect_err("no module");
        assert!(
            matches!(&err, TokenError::ModuleLoad { path, .. } if path == Path::new("/nonexistent/libpkcs11.so"))
        );
        // A file that is no library at all.
        let err = load(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml").as_path())
            .expect_err("not a library");
        assert!(matches!(err, TokenError::ModuleLoad { .. }), "{err:?}");
    }
}
