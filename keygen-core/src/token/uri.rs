//! RFC 7512 PKCS#11 URIs: `pkcs11:token=vendor;object=signing?module-path=/usr/lib/...`.
//!
//! Only what names a signing key is understood; any other attribute is refused rather than
//! ignored, so that a misspelt `tokn=` cannot quietly match every token. A PIN is never taken
//! from the URI (`pin-value` is refused): a command line is seen by every user of the host.

use std::path::PathBuf;

/// A parsed `pkcs11:` URI. Text attributes are percent-decoded; `id` is raw bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenUri {
    /// `token=`: the token's label.
    pub token: Option<String>,
    /// `manufacturer=`: the token's manufacturer id.
    pub manufacturer: Option<String>,
    /// `model=`: the token's model.
    pub model: Option<String>,
    /// `serial=`: the token's serial number.
    pub serial: Option<String>,
    /// `slot-id=`: the slot's number.
    pub slot_id: Option<u64>,
    /// `object=`: the key's label (CKA_LABEL).
    pub object: Option<String>,
    /// `id=`: the key's CKA_ID.
    pub id: Option<Vec<u8>>,
    /// `module-path=`: the PKCS#11 module to load.
    pub module_path: Option<PathBuf>,
    /// `pin-source=`: the file the PIN is read from.
    pub pin_source: Option<PathBuf>,
}

/// Why a text is not a usable PKCS#11 URI. Never holds a PIN: a refused `pin-value` is
/// named, its value dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// It does not start with `pkcs11:`.
    #[error("a token key is named by a PKCS#11 URI starting with \"pkcs11:\" (RFC 7512)")]
    Scheme,
    /// An attribute without `=`.
    #[error("the PKCS#11 URI's attribute \"{0}\" has no \"=value\"")]
    NoValue(String),
    /// A `%` not followed by two hex digits.
    #[error("the PKCS#11 URI's attribute \"{attribute}\" has a bad percent-escape at character {position}")]
    BadEscape {
        /// The attribute.
        attribute: String,
        /// 1-based position of the `%` in the value.
        position: usize,
    },
    /// A text attribute that is not UTF-8 once decoded.
    #[error("the PKCS#11 URI's attribute \"{0}\" is not UTF-8 text once decoded")]
    NotText(String),
    /// An attribute given twice.
    #[error("the PKCS#11 URI gives \"{0}\" twice")]
    Repeated(String),
    /// An attribute this tool does not understand.
    #[error(
        "the PKCS#11 URI's attribute \"{0}\" is not understood here (understood: token, \
         manufacturer, model, serial, slot-id, object, id, type, module-path, pin-source)"
    )]
    Unknown(String),
    /// `pin-value=`.
    #[error(
        "the PKCS#11 URI carries a PIN (pin-value): refused, a command line is visible to every \
         user of the host; give pin-source=file:/path (a file only you can read) or \
         KEYGEN_PKCS11_PIN_FILE, or type it at the prompt"
    )]
    PinValue,
    /// `module-name=`, which needs a search path this tool does not guess.
    #[error("the PKCS#11 URI's module-name is not supported: give module-path=/path/to/module.so")]
    ModuleName,
    /// `type=` other than `private`.
    #[error("the PKCS#11 URI's type={0} cannot sign: a signing key is type=private")]
    Type(String),
    /// `slot-id=` that is not a number.
    #[error("the PKCS#11 URI's slot-id \"{0}\" is not a number")]
    SlotId(String),
    /// `pin-source=` that is not a `file:` URI or an absolute path.
    #[error("the PKCS#11 URI's pin-source must be file:/absolute/path (or an absolute path)")]
    PinSource,
    /// Neither `token=`, `serial=` nor `slot-id=`: any token would do.
    #[error("the PKCS#11 URI names no token: give token=LABEL (or serial= or slot-id=)")]
    NoToken,
    /// Neither `object=` nor `id=`: any key would do.
    #[error("the PKCS#11 URI names no key: give object=LABEL or id=%01...")]
    NoObject,
}

impl TokenUri {
    /// Whether `text` is meant as a token URI rather than a key file's path.
    pub fn is_uri(text: &str) -> bool {
        text.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("pkcs11:"))
    }

    /// Parses a URI, refusing one that names no token or no key.
    pub fn parse(text: &str) -> Result<TokenUri, UriError> {
        if !TokenUri::is_uri(text) {
            return Err(UriError::Scheme);
        }
        let rest = &text[7..];
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = TokenUri::default();
        let mut seen: Vec<String> = Vec::new();
        let attrs = path.split(';').map(|a| (a, false)).chain(query.split('&').map(|a| (a, true)));
        for (attr, in_query) in attrs.filter(|(a, _)| !a.is_empty()) {
            let (name, raw) = attr.split_once('=').ok_or_else(|| UriError::NoValue(shown(attr)))?;
            // pin-value is refused before anything else is looked at, in either part.
            if name == "pin-value" {
                return Err(UriError::PinValue);
            }
            if seen.iter().any(|s| s == name) {
                return Err(UriError::Repeated(shown(name)));
            }
            seen.push(name.to_owned());
            let bytes = percent_decode(name, raw)?;
            let text = || String::from_utf8(bytes.clone()).map_err(|_| UriError::NotText(name.to_owned()));
            match (name, in_query) {
                ("token", false) => uri.token = Some(text()?),
                ("manufacturer", false) => uri.manufacturer = Some(text()?),
                ("model", false) => uri.model = Some(text()?),
                ("serial", false) => uri.serial = Some(text()?),
                ("object", false) => uri.object = Some(text()?),
                ("id", false) => uri.id = Some(bytes),
                ("slot-id", false) => {
                    let t = text()?;
                    uri.slot_id = Some(t.parse().map_err(|_| UriError::SlotId(shown(&t)))?);
                }
                ("type", false) => {
                    let t = text()?;
                    if t != "private" {
                        return Err(UriError::Type(shown(&t)));
                    }
                }
                ("module-path", true) => uri.module_path = Some(PathBuf::from(text()?)),
                ("module-name", true) => return Err(UriError::ModuleName),
                ("pin-source", true) => uri.pin_source = Some(pin_source(&text()?)?),
                _ => return Err(UriError::Unknown(shown(name))),
            }
        }
        if uri.token.is_none() && uri.serial.is_none() && uri.slot_id.is_none() {
            return Err(UriError::NoToken);
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err(UriError::NoObject);
        }
        Ok(uri)
    }

    /// The URI without its query (module and PIN source): what names the key, for messages.
    pub fn key_name(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |name: &str, value: &[u8]| parts.push(format!("{name}={}", percent_encode(value)));
        if let Some(v) = &self.token {
            add("token", v.as_bytes());
        }
        if let Some(v) = &self.manufacturer {
            add("manufacturer", v.as_bytes());
        }
        if let Some(v) = &self.model {
            add("model", v.as_bytes());
        }
        if let Some(v) = &self.serial {
            add("serial", v.as_bytes());
        }
        if let Some(v) = self.slot_id {
            add("slot-id", v.to_string().as_bytes());
        }
        if let Some(v) = &self.object {
            add("object", v.as_bytes());
        }
        if let Some(v) = &self.id {
            // An id is bytes: every one escaped, as RFC 7512 writes them.
            parts.push(format!("id={}", v.iter().map(|b| format!("%{b:02x}")).collect::<String>()));
        }
        format!("pkcs11:{}", parts.join(";"))
    }
}

/// An attribute name or value for a message: control characters escaped, at most 64 chars.
fn shown(text: &str) -> String {
    text.chars().take(64).flat_map(char::escape_debug).collect()
}

fn percent_decode(name: &str, raw: &str) -> Result<Vec<u8>, UriError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let value = hex
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(value) = value else {
                return Err(UriError::BadEscape {
                    attribute: shown(name),
                    position: raw[..i].chars().count() + 1,
                });
            };
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn percent_encode(value: &[u8]) -> String {
    value
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `file:/p`, `file:///p` or `/p`; a `file://host/p` names another machine and is refused.
fn pin_source(text: &str) -> Result<PathBuf, UriError> {
    let path = match text.strip_prefix("file:") {
        Some(rest) => match rest.strip_prefix("//") {
            Some(after) if after.starts_with('/') => after,
            Some(_) => return Err(UriError::PinSource),
            None => rest,
        },
        None => text,
    };
    if !path.starts_with('/') {
        return Err(UriError::PinSource);
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_of_rfc_7512_are_read() {
        let uri = TokenUri::parse(
            "pkcs11:token=my%20vendor;object=signing;id=%01%a2;type=private;slot-id=3\
             ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:///run/pin",
        )
        .expect("parses");
        assert_eq!(uri.token.as_deref(), Some("my vendor"));
        assert_eq!(uri.object.as_deref(), Some("signing"));
        assert_eq!(uri.id.as_deref(), Some(&[1u8, 0xa2][..]));
        assert_eq!(uri.slot_id, Some(3));
        assert_eq!(uri.module_path, Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so")));
        assert_eq!(uri.pin_source, Some(PathBuf::from("/run/pin")));
        assert_eq!(uri.key_name(), "pkcs11:token=my%20vendor;slot-id=3;object=signing;id=%01%a2");
        let bare = TokenUri::parse("PKCS11:serial=abc;id=%01?pin-source=/etc/pin").expect("parses");
        assert_eq!(bare.pin_source, Some(PathBuf::from("/etc/pin")));
    }

    #[test]
    fn a_pin_on_the_command_line_is_refused_without_echoing_it() {
        for text in [
            "pkcs11:token=t;object=o?pin-value=123456",
            "pkcs11:token=t;pin-value=123456;object=o",
            "pkcs11:token=t;object=o?pin-value=123456&pin-value=123456",
        ] {
            let err = TokenUri::parse(text).expect_err("refused");
            assert_eq!(err, UriError::PinValue);
            assert!(!format!("{err} {err:?}").contains("123456"));
        }
    }

    #[test]
    fn what_is_not_understood_is_refused() {
        let cases: &[(&str, UriError)] = &[
            ("file:/key.pem", UriError::Scheme),
            ("pkcs11:tokn=t;object=o", UriError::Unknown("tokn".into())),
            ("pkcs11:token=t;object=o;object=p", UriError::Repeated("object".into())),
            ("pkcs11:token=t;object=o%4", UriError::BadEscape { attribute: "object".into(), position: 2 }),
            ("pkcs11:token=t;object=%zz", UriError::BadEscape { attribute: "object".into(), position: 1 }),
            ("pkcs11:token=%ff;object=o", UriError::NotText("token".into())),
            ("pkcs11:token=t;object=o;type=cert", UriError::Type("cert".into())),
            ("pkcs11:token=t;slot-id=x;object=o", UriError::SlotId("x".into())),
            ("pkcs11:token=t;object=o?pin-source=pin.txt", UriError::PinSource),
            ("pkcs11:token=t;object=o?pin-source=file://host/pin", UriError::PinSource),
            ("pkcs11:token=t;object=o?module-name=softhsm2", UriError::ModuleName),
            ("pkcs11:token=t;object", UriError::NoValue("object".into())),
            ("pkcs11:object=o", UriError::NoToken),
            ("pkcs11:token=t", UriError::NoObject),
            // A query attribute in the path is not one.
            ("pkcs11:token=t;object=o;module-path=/m.so", UriError::Unknown("module-path".into())),
        ];
        for (text, want) in cases {
            assert_eq!(TokenUri::parse(text).as_ref(), Err(want), "{text}");
        }
    }
}
