//! The desk's one search box: which field a query is about, guessed from its shape, and the
//! query in the form that field is stored in.
//!
//! [`guess`], in this order:
//! 1. an `@` → an email (lower case);
//! 2. a tax id whose check characters hold (directory::rules::tax_id) → a tax id;
//! 3. digits (with the separators a phone number may have) that are a phone number by the
//!    callouts' phone rules and have at least [`PHONE_MIN_TYPED`] digits, or start with `+` or
//!    `00` → a phone number in E.164 (a national number gets the default country code);
//! 4. exactly [`CONTRACT_DIGITS`] digits → a contract number (the ERP's zero-padded numbers);
//! 5. up to [`MEMBER_MAX_DIGITS`] digits, or one or two letters, an optional dash, then digits
//!    → a member number;
//! 6. anything else → a name: accent- and case-insensitive ([`fold`]), every part must match.
//!
//! The guess is shown and can be changed: [`as_field`] reads a query as the field chosen.
use super::Invalid;
use super::tax_id;
use crate::callouts::rules::phone;
use serde::{Deserialize, Serialize};

/// Results shown at most; more → "refine your search".
pub const SEARCH_CAP: usize = 50;
/// A phone number typed without `+`/`00` has at least this many digits (shorter digit strings
/// are contract or member numbers).
pub const PHONE_MIN_TYPED: usize = 9;
/// Contract numbers are this many digits.
pub const CONTRACT_DIGITS: usize = 7;
/// Member numbers are at most this many digits.
pub const MEMBER_MAX_DIGITS: usize = 6;
/// A name search needs one part at least this long (shorter ones cannot use the index).
pub const NAME_MIN_PART: usize = 3;
/// Name parts used at most.
pub const NAME_MAX_PARTS: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    Name,
    Phone,
    Email,
    TaxId,
    Contract,
    Member,
}

impl SearchField {
    pub const ALL: [SearchField; 6] = [
        SearchField::Name,
        SearchField::Phone,
        SearchField::Email,
        SearchField::TaxId,
        SearchField::Contract,
        SearchField::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchField::Name => "name",
            SearchField::Phone => "phone",
            SearchField::Email => "email",
            SearchField::TaxId => "tax_id",
            SearchField::Contract => "contract",
            SearchField::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<SearchField> {
        SearchField::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            SearchField::Name => "name",
            SearchField::Phone => "phone number",
            SearchField::Email => "email",
            SearchField::TaxId => "tax id",
            SearchField::Contract => "contract number",
            SearchField::Member => "member number",
        }
    }
}

/// Which field a query is about and the query as that field is stored (a name: folded, its
/// parts separated by single spaces).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guess {
    pub field: SearchField,
    pub normalised: String,
}

/// Letters with accents and the letters they fold to; the SQL function `directory_fold`
/// (migration 20261205100001) uses the same two strings, so the stored column and the query
/// fold alike (a unit test compares them).
pub const FOLD_FROM: &str = "áàâäãåāăąçćčďéèêëēėęěğíìîïīįıľłñńňóòôöõøōőŕřśšşťúùûüūůűųýÿźžż";
pub const FOLD_TO: &str = "aaaaaaaaacccdeeeeeeeegiiiiiiillnnnoooooooorrssstuuuuuuuuyyzzz";
/// Characters dropped by the fold (the Catalan middle dot: `l·l` → `ll`).
pub const FOLD_DROP: &str = "·";

/// Lower case without accents, as `directory_fold` in SQL.
pub fn fold(s: &str) -> String {
    let from: Vec<char> = FOLD_FROM.chars().collect();
    let to: Vec<char> = FOLD_TO.chars().collect();
    s.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !FOLD_DROP.contains(*c))
        .map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to[i],
            None => c,
        })
        .collect()
}

/// The folded parts of a name query (spaces, commas and hyphens separate them), at most
/// [`NAME_MAX_PARTS`].
pub fn name_parts(query: &str) -> Vec<String> {
    fold(query)
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';'))
        .filter(|p| !p.is_empty())
        .take(NAME_MAX_PARTS)
        .map(str::to_string)
        .collect()
}

fn only_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn phone_shaped(q: &str) -> Option<usize> {
    let body = q.strip_prefix('+').unwrap_or(q);
    let ok = body
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '-' | '.' | '/' | '(' | ')'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (ok && digits > 0).then_some(digits)
}

fn member_shaped(q: &str) -> bool {
    let q = q.to_uppercase();
    if only_digits(&q) {
        return q.len() <= MEMBER_MAX_DIGITS;
    }
    let letters = q.bytes().take_while(u8::is_ascii_uppercase).count();
    let rest = q[letters..].strip_prefix('-').unwrap_or(&q[letters..]);
    (1..=2).contains(&letters) && only_digits(rest) && rest.len() <= 10
}

/// The field a query is about, guessed from its shape (see the module's order).
pub fn guess(query: &str, default_country_code: &str) -> Guess {
    let q = query.trim();
    let field = if q.contains('@') {
        SearchField::Email
    } else if !q.is_empty() && tax_id::kind_of(&tax_id::compact(q)).is_some() {
        SearchField::TaxId
    } else if let Some(digits) = phone_shaped(q).filter(|d| {
        (*d >= PHONE_MIN_TYPED || q.starts_with('+') || q.starts_with("00"))
            && phone::normalize(q, default_country_code).is_ok()
    }) {
        let _ = digits;
        SearchField::Phone
    } else if only_digits(q) && q.len() == CONTRACT_DIGITS {
        SearchField::Contract
    } else if member_shaped(q) {
        SearchField::Member
    } else {
        SearchField::Name
    };
    as_field(q, field, default_country_code).unwrap_or(Guess {
        field: SearchField::Name,
        normalised: name_parts(q).join(" "),
    })
}

/// A query read as the field a person chose; refused when it cannot be that field.
pub fn as_field(query: &str, field: SearchField, default_country_code: &str) -> Result<Guess, Invalid> {
    let q = query.trim();
    if q.is_empty() {
        return Err(Invalid::new("query", "type a name, number, email or tax id to search"));
    }
    if q.chars().count() > 200 {
        return Err(Invalid::new("query", "at most 200 characters"));
    }
    let normalised = match field {
        SearchField::Email => q.to_lowercase(),
        SearchField::Phone => {
            phone::normalize(q, default_country_code).map_err(|e| Invalid::new("query", e.message))?
        }
        SearchField::TaxId => {
            let c = tax_id::compact(q);
            if c.len() < 4 || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Invalid::new("query", format!("'{q}' is not a tax id")));
            }
            c
        }
        SearchField::Contract | SearchField::Member => q.to_string(),
        SearchField::Name => {
            let parts = name_parts(q);
            if !parts.iter().any(|p| p.chars().count() >= NAME_MIN_PART) {
                return Err(Invalid::new(
                    "query",
                    format!("type at least {NAME_MIN_PART} letters of a name"),
                ));
            }
            parts.join(" ")
        }
    };
    Ok(Guess { field, normalised })
}

/// `%`, `_` and `\` escaped for a LIKE pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(q: &str) -> (SearchField, String) {
        let g = guess(q, "34");
        (g.field, g.normalised)
    }

    #[test]
    fn an_at_sign_is_an_email() {
        assert_eq!(
            g(" Roser@Example.ORG "),
            (SearchField::Email, "roser@example.org".into())
        );
    }

    #[test]
    fn phone_numbers_typed_nationally_become_e164() {
        assert_eq!(g("611 140 001"), (SearchField::Phone, "+34611140001".into()));
        assert_eq!(g("0034 611-140-001"), (SearchField::Phone, "+34611140001".into()));
        assert_eq!(g("+44 20 7946 0958"), (SearchField::Phone, "+442079460958".into()));
        assert_eq!(g("(93) 412 34 56"), (SearchField::Phone, "+34934123456".into()));
    }

    #[test]
    fn tax_ids_by_their_check_letter() {
        assert_eq!(g("12345678z"), (SearchField::TaxId, "12345678Z".into()));
        assert_eq!(g("X-1234567-L"), (SearchField::TaxId, "X1234567L".into()));
        assert_eq!(g("B12345674"), (SearchField::TaxId, "B12345674".into()));
        // A wrong letter is not a tax id: eight digits and a letter is then a name (no shape).
        assert_eq!(g("12345678A").0, SearchField::Name);
    }

    #[test]
    fn contract_and_member_numbers_by_shape() {
        assert_eq!(g("0099123"), (SearchField::Contract, "0099123".into()));
        assert_eq!(g("04242"), (SearchField::Member, "04242".into()));
        assert_eq!(g("S012345"), (SearchField::Member, "S012345".into()));
        assert_eq!(g("M-0042"), (SearchField::Member, "M-0042".into()));
    }

    #[test]
    fn anything_else_is_a_name_folded_in_parts() {
        assert_eq!(g("  Núria  PAL·LARÈS "), (SearchField::Name, "nuria pallares".into()));
        assert_eq!(g("Çelik, Şule"), (SearchField::Name, "celik sule".into()));
        assert_eq!(fold("ÀÉÍÒÚÜÑÇ"), "aeiouunc");
    }

    #[test]
    fn a_chosen_field_is_checked() {
        assert_eq!(
            as_field("611140001", SearchField::Contract, "34").unwrap().field,
            SearchField::Contract
        );
        assert_eq!(as_field("abc", SearchField::Phone, "34").unwrap_err().field, "query");
        assert!(
            as_field("al", SearchField::Name, "34").is_err(),
            "too short for the index"
        );
        assert!(as_field("al bertran", SearchField::Name, "34").is_ok());
        assert!(as_field("   ", SearchField::Name, "34").is_err());
        // A name too short for the index is still guessed as a name.
        assert_eq!(g("al"), (SearchField::Name, "al".into()));
    }

    #[test]
    fn the_fold_tables_match_the_sql_function() {
        assert_eq!(FOLD_FROM.chars().count(), FOLD_TO.chars().count());
        let sql = include_str!("../../../../migrations/20261205100001_directory_search.sql");
        assert!(
            sql.contains(&format!("'{FOLD_FROM}{FOLD_DROP}'")),
            "directory_fold's from-string"
        );
        assert!(sql.contains(&format!("'{FOLD_TO}'")), "directory_fold's to-string");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
