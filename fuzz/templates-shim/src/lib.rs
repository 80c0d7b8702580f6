//! keygen's `template.rs`, compiled as it is, with the one item of keygen it uses besides
//! its dependencies: `crate::error::Error::input`, a message for the user.

#[path = "../../../keygen/src/template.rs"]
pub mod template;

/// Stands in for keygen's `error` module.
pub mod error {
    /// A message for the user, as keygen's `Error::input` carries it.
    #[derive(Debug)]
    pub struct Error(pub String);

    impl Error {
        /// As keygen's: a message about the input.
        pub fn input(message: impl Into<String>) -> Error {
            Error(message.into())
        }
    }
}
