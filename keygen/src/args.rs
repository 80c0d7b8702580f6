//! Flag groups that several commands share: where the signing key is, where the templates are.

use std::path::PathBuf;

use clap::Args;
use keygen_core::db::people::Role;

/// Where the signing key is and how to open it.
#[derive(Debug, Args, Clone)]
pub struct KeyArgs {
    /// The signing key: a file (PKCS#8 PEM, plain or encrypted), or a key in a PKCS#11 token,
    /// 'pkcs11:token=LABEL;object=LABEL' (its PIN from pin-source=file:PATH,
    /// KEYGEN_PKCS11_PIN_FILE or the terminal; see docs/token.md).
    #[arg(long, value_name = "PATH", env = "KEYGEN_SIGNING_KEY", default_value = "signing-key.pem")]
    pub key: PathBuf,
    /// Read the passphrase of an encrypted key from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
}

/// Where the templates are.
#[derive(Debug, Args, Clone)]
pub struct TemplatesArgs {
    /// A folder of edition templates (*.toml) that add to the built-in editions (trial,
    /// standard, professional, enterprise) or override one of the same name. Default:
    /// ./templates if it exists.
    #[arg(long, value_name = "DIR", env = "KEYGEN_TEMPLATES")]
    pub templates: Option<PathBuf>,
}

impl TemplatesArgs {
    /// The folder, and whether it was named (a named folder must exist).
    pub fn folder(&self) -> keygen_core::template::Folder {
        match &self.templates {
            Some(dir) => keygen_core::template::Folder { dir: dir.clone(), named: true },
            None => keygen_core::template::Folder { dir: PathBuf::from("templates"), named: false },
        }
    }
}

/// A role as typed on the command line.
#[derive(Clone, Copy, Debug)]
pub struct RoleArg(pub Role);

impl clap::ValueEnum for RoleArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[RoleArg(Role::Support), RoleArg(Role::Sales), RoleArg(Role::Operations), RoleArg(Role::Admin)]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()))
    }
}
