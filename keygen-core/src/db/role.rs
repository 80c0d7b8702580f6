//! What a person or an API token may do at the desk.

/// A role: what a person may do at the desk. Each role may do what the one before may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Find keys, read their stories, check a pasted key, the renewal report.
    Support,
    /// Also issue, renew, amend.
    Sales,
    /// Also batch upload.
    Operations,
    /// Also revoke and manage people.
    Admin,
}

impl Role {
    /// Every role, from the least.
    pub const ALL: [Role; 4] = [Role::Support, Role::Sales, Role::Operations, Role::Admin];

    /// Its name as stored and typed.
    pub fn name(self) -> &'static str {
        match self {
            Role::Support => "support",
            Role::Sales => "sales",
            Role::Operations => "operations",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("'{s}' is not a role: support, sales, operations or admin"))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
