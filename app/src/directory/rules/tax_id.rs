//! Tax ids: Spanish NIF (DNI), NIE and CIF with their check characters, and EU VAT numbers by
//! format (a member state's prefix and 2 to 12 letters or digits; `ES…` checked as Spanish).
//! Written with spaces, dashes or dots and in any case; kept upper case without separators.
use super::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxIdKind {
    /// A Spanish citizen's DNI: 8 digits and a check letter.
    Nif,
    /// A foreigner's NIE: X, Y or Z, 7 digits and a check letter.
    Nie,
    /// A Spanish organisation's CIF: a letter, 7 digits and a check digit or letter.
    Cif,
    /// An EU VAT number (format only, except `ES`).
    EuVat,
}

const NIF_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
const CIF_LETTERS: &[u8; 10] = b"JABCDEFGHI";
/// EU VAT prefixes (Greece uses EL; XI is Northern Ireland).
const EU_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// Upper case, without spaces, dashes, dots or slashes.
pub fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '/')))
        .flat_map(char::to_uppercase)
        .collect()
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn nif_letter(number: u32) -> u8 {
    NIF_LETTERS[(number % 23) as usize]
}

/// A DNI (`12345678Z`) or NIE (`X1234567L`) with the right letter.
fn check_nif_nie(s: &str) -> Option<TaxIdKind> {
    let b = s.as_bytes();
    if b.len() != 9 {
        return None;
    }
    let (kind, number) = match b[0] {
        b'X' | b'Y' | b'Z' => {
            let lead = (b'0' + b[0] - b'X') as char;
            (TaxIdKind::Nie, format!("{lead}{}", &s[1..8]))
        }
        _ => (TaxIdKind::Nif, s[..8].to_string()),
    };
    if !digits(&number) || (kind == TaxIdKind::Nie && !digits(&s[1..8])) {
        return None;
    }
    let n: u32 = number.parse().ok()?;
    (nif_letter(n) == b[8]).then_some(kind)
}

/// A CIF (`B12345674`, `Q2826000H`) with the right check digit or letter.
fn check_cif(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || !b"ABCDEFGHJKLMNPQRSUVW".contains(&b[0]) || !digits(&s[1..8]) {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in b[1..8].iter().map(|c| u32::from(c - b'0')).enumerate() {
        if i % 2 == 0 {
            let x = d * 2;
            sum += x / 10 + x % 10;
        } else {
            sum += d;
        }
    }
    let c = (10 - sum % 10) % 10;
    let digit = b'0' + c as u8;
    let letter = CIF_LETTERS[c as usize];
    match b[0] {
        // Organisations whose check is always a letter, or always a digit.
        b'K' | b'P' | b'Q' | b'R' | b'S' | b'N' | b'W' => b[8] == letter,
        b'A' | b'B' | b'E' | b'H' => b[8] == digit,
        _ => b[8] == digit || b[8] == letter,
    }
}

/// Which kind of tax id a compact text is, if its check characters (or format) hold.
pub fn kind_of(s: &str) -> Option<TaxIdKind> {
    if !s.is_ascii() {
        return None;
    }
    if let Some(k) = check_nif_nie(s) {
        return Some(k);
    }
    if check_cif(s) {
        return Some(TaxIdKind::Cif);
    }
    let (prefix, rest) = (s.get(..2)?, s.get(2..)?);
    if EU_PREFIXES.contains(&prefix) {
        if prefix == "ES" {
            return (check_nif_nie(rest).is_some() || check_cif(rest)).then_some(TaxIdKind::EuVat);
        }
        if (2..=12).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            && rest.bytes().any(|b| b.is_ascii_digit())
        {
            return Some(TaxIdKind::EuVat);
        }
    }
    None
}

/// A tax id as typed → its kept form and kind, or why not (field `tax_id`).
pub fn check(raw: &str) -> Result<(String, TaxIdKind), Invalid> {
    let s = compact(raw);
    if s.is_empty() {
        return Err(Invalid::new("tax_id", "the tax id is empty"));
    }
    match kind_of(&s) {
        Some(k) => Ok((s, k)),
        None => Err(Invalid::new(
            "tax_id",
            format!(
                "'{}' is not a valid tax id (a Spanish NIF, NIE or CIF with its check letter, or an EU VAT number such as FR12345678901)",
                raw.trim()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nif_check_letters() {
        assert_eq!(check("12345678Z").unwrap(), ("12345678Z".into(), TaxIdKind::Nif));
        assert_eq!(check(" 12.345.678-z ").unwrap().0, "12345678Z");
        assert_eq!(check("00000000T").unwrap().1, TaxIdKind::Nif);
        assert!(check("12345678A").is_err(), "wrong letter");
        assert!(check("1234567Z").is_err(), "too short");
    }

    #[test]
    fn nie_check_letters() {
        assert_eq!(check("X1234567L").unwrap().1, TaxIdKind::Nie);
        assert_eq!(check("y1234567x").unwrap(), ("Y1234567X".into(), TaxIdKind::Nie));
        assert_eq!(check("Z1234567R").unwrap().1, TaxIdKind::Nie);
        assert!(check("X1234567A").is_err());
    }

    #[test]
    fn cif_check_digits_and_letters() {
        assert_eq!(check("B12345674").unwrap().1, TaxIdKind::Cif);
        assert_eq!(check("A58818501").unwrap().1, TaxIdKind::Cif);
        assert_eq!(
            check("Q2826000H").unwrap().1,
            TaxIdKind::Cif,
            "public bodies end in a letter"
        );
        assert!(check("B12345675").is_err(), "wrong digit");
        assert!(check("Q28260008").is_err(), "Q takes a letter");
        assert!(check("A5881850A").is_err(), "A takes a digit");
        assert_eq!(check("G1234567D").unwrap().1, TaxIdKind::Cif, "G takes either");
        assert_eq!(check("G12345674").unwrap().1, TaxIdKind::Cif);
    }

    #[test]
    fn eu_vat_by_format() {
        assert_eq!(check("FR12345678901").unwrap().1, TaxIdKind::EuVat);
        assert_eq!(check("de 123456789").unwrap(), ("DE123456789".into(), TaxIdKind::EuVat));
        assert_eq!(check("ESB12345674").unwrap().1, TaxIdKind::EuVat);
        assert!(check("ESB12345675").is_err(), "ES numbers are checked as Spanish ones");
        assert!(check("US123456789").is_err(), "not an EU prefix");
        assert!(check("FR1").is_err(), "too short");
        assert!(check("FRABCDEFGH").is_err(), "no digit");
        assert_eq!(check("").unwrap_err().field, "tax_id");
        assert!(check("ÑÑÑ4567Z").is_err(), "other letters are refused, not a panic");
    }
}
