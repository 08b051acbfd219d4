use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user account may do. A user may hold several roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Coordinator,
    Agent,
    Manager,
}

/// Coordinators, managers and admins: who sees the team's figures and call log (agents see
/// their own).
pub fn sees_the_team(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Coordinator | Role::Manager | Role::Admin))
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Coordinator, Role::Agent, Role::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Agent => "agent",
            Role::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }

    /// Parses a list such as `admin,agent`; unknown names are an error naming them.
    pub fn parse_list(s: &str) -> Result<Vec<Role>, super::Invalid> {
        let mut roles = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let role = Role::parse(part).ok_or_else(|| {
                super::Invalid::new(
                    "roles",
                    format!("unknown role '{part}' (use admin, coordinator, agent or manager)"),
                )
            })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles.sort();
        Ok(roles)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_rejects_unknown_names() {
        assert_eq!(
            Role::parse_list("agent, admin,agent").unwrap(),
            vec![Role::Admin, Role::Agent]
        );
        assert_eq!(Role::parse_list("").unwrap(), vec![]);
        let err = Role::parse_list("agent,boss").unwrap_err();
        assert_eq!(err.field, "roles");
        assert!(err.message.contains("boss"));
    }
}
