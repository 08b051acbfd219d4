//! Rules for user accounts.
use super::Invalid;

pub const MIN_PASSWORD_LEN: usize = 10;

/// A user name is 2 to 32 characters of lowercase letters, digits, `.`, `_` and `-`; it is
/// compared in lowercase so `Anna` and `anna` are the same account.
pub fn normalize_username(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim().to_lowercase();
    if name.len() < 2 || name.len() > 32 {
        return Err(Invalid::new("username", "must be 2 to 32 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    {
        return Err(Invalid::new(
            "username",
            "may hold only letters a-z, digits, '.', '_' and '-'",
        ));
    }
    Ok(name)
}

pub fn check_display_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Invalid::new("display_name", "must be 1 to 100 characters"));
    }
    Ok(name.to_string())
}

pub fn check_password(pw: &str) -> Result<(), Invalid> {
    if pw.chars().count() < MIN_PASSWORD_LEN {
        return Err(Invalid::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if pw.len() > 1024 {
        return Err(Invalid::new("password", "must be at most 1024 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalized_and_checked() {
        assert_eq!(normalize_username("  Anna.B ").unwrap(), "anna.b");
        assert_eq!(normalize_username("a").unwrap_err().field, "username");
        assert!(normalize_username("anna b").is_err());
        assert!(normalize_username("ànna").is_err());
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pw").is_ok());
    }
}
