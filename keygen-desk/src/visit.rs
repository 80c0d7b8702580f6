//! Who is asking: a visitor's session as a handler sees it, and the person signed in. Kept
//! apart from the sessions' store (`session`) and the layout (`pages`), which both use them.

use keygen_core::db::people::Role;

/// A person signed in.
#[derive(Clone, Debug)]
pub struct Person {
    /// Their name, recorded with what they do.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// A digest of their password hash at sign-in: another one now means a new password.
    pub signed_in_with: [u8; 32],
}

/// A visitor's session as a handler sees it.
#[derive(Clone, Debug)]
pub struct Visit {
    /// The session id (the cookie's value).
    pub id: String,
    /// The person signed in.
    pub person: Option<Person>,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
}
