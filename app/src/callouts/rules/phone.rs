//! Phone numbers in E.164 (`+` and 8 to 15 digits, the country code first), without a numbering
//! plan database: a plausibility check, not a proof that the number exists.
//!
//! [`normalize`]:
//! 1. strips spaces, dashes, dots, slashes and parentheses;
//! 2. `+…` or `00…` is international: the digits after it are the full number;
//! 3. anything else is national and gets the configured default country calling code: the
//!    national trunk prefix is dropped first (a single leading `0` in most countries, e.g. UK
//!    `020 7946 0958` → `+442079460958`; not in Italy and the few others whose numbers keep
//!    their `0`; `1` for the NANP's 11-digit form; `8` for Russia and Kazakhstan);
//! 4. refuses letters and other characters, fewer than 8 or more than 15 digits in all, and a
//!    country code starting with 0.
//!
//! Numbers written with another country's international prefix (`011…` from the US) are taken as
//! national: write them with `+`.
use super::Invalid;

/// The shortest number accepted, in digits including the country code.
pub const MIN_DIGITS: usize = 8;
/// E.164's maximum, in digits including the country code.
pub const MAX_DIGITS: usize = 15;

/// Countries whose national numbers keep their leading 0 after the country code (Italy, San
/// Marino, the Vatican, Côte d'Ivoire, Congo, Gabon, Togo).
const KEEPS_LEADING_ZERO: [&str; 7] = ["39", "378", "379", "225", "242", "241", "228"];

/// A country calling code such as `34` (`+34` accepted too): 1 to 3 digits, not starting with 0.
pub fn check_country_code(raw: &str) -> Result<String, Invalid> {
    let cc = raw.trim().trim_start_matches('+');
    if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) || cc.starts_with('0') {
        return Err(Invalid::new(
            "default_country_code",
            format!(
                "'{}' is not a country calling code (1 to 3 digits, e.g. 34)",
                raw.trim()
            ),
        ));
    }
    Ok(cc.to_string())
}

/// Whether `s` is already a plausible E.164 number (`+`, 8 to 15 digits, not starting with 0).
pub fn is_e164(s: &str) -> bool {
    match s.strip_prefix('+') {
        Some(d) => {
            (MIN_DIGITS..=MAX_DIGITS).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
        }
        None => false,
    }
}

/// Normalizes a number typed by a person to E.164, completing national numbers with the default
/// country calling code (e.g. `"34"`). Errors name the field `phone`.
pub fn normalize(raw: &str, default_country_code: &str) -> Result<String, Invalid> {
    let bad = |msg: String| Invalid::new("phone", msg);
    let shown = raw.trim();
    if shown.is_empty() {
        return Err(bad("a phone number is required".into()));
    }
    let compact: String = shown
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '/' | '(' | ')')))
        .collect();
    let (international, digits) = if let Some(rest) = compact.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix("00") {
        (true, rest)
    } else {
        (false, compact.as_str())
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!(
            "'{shown}' is not a phone number (only digits, spaces, dashes, dots, parentheses and a leading + are allowed)"
        )));
    }
    let full = if international {
        if digits.starts_with('0') {
            return Err(bad(format!("'{shown}': a country code cannot start with 0")));
        }
        digits.to_string()
    } else {
        let cc = check_country_code(default_country_code)?;
        let national = national_significant(&cc, digits);
        if national.is_empty() {
            return Err(bad(format!("'{shown}' is too short to be a phone number")));
        }
        format!("{cc}{national}")
    };
    if full.len() < MIN_DIGITS {
        return Err(bad(format!("'{shown}' is too short to be a phone number")));
    }
    if full.len() > MAX_DIGITS {
        return Err(bad(format!(
            "'{shown}' is too long to be a phone number (at most 15 digits)"
        )));
    }
    Ok(format!("+{full}"))
}

/// The national significant number: `digits` without the trunk prefix of country `cc`.
fn national_significant<'a>(cc: &str, digits: &'a str) -> &'a str {
    match cc {
        "1" if digits.len() == 11 => digits.strip_prefix('1').unwrap_or(digits),
        "7" if digits.len() == 11 => digits.strip_prefix('8').unwrap_or(digits),
        _ if KEEPS_LEADING_ZERO.contains(&cc) => digits,
        _ => digits.strip_prefix('0').unwrap_or(digits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_get_the_default_country() {
        assert_eq!(normalize("612 345 678", "34").unwrap(), "+34612345678");
        assert_eq!(normalize("612-34-56-78", "+34").unwrap(), "+34612345678");
        assert_eq!(normalize("(93) 123.45.67", "34").unwrap(), "+34931234567");
        // UK: the trunk 0 is dropped.
        assert_eq!(normalize("020 7946 0958", "44").unwrap(), "+442079460958");
        assert_eq!(normalize("07700 900123", "44").unwrap(), "+447700900123");
        // Germany, France too.
        assert_eq!(normalize("030 123456", "49").unwrap(), "+4930123456");
        assert_eq!(normalize("01 23 45 67 89", "33").unwrap(), "+33123456789");
        // Italy keeps its 0.
        assert_eq!(normalize("06 1234 5678", "39").unwrap(), "+390612345678");
        // NANP with and without the trunk 1; Russia's trunk 8.
        assert_eq!(normalize("(415) 555-2671", "1").unwrap(), "+14155552671");
        assert_eq!(normalize("1 415 555 2671", "1").unwrap(), "+14155552671");
        assert_eq!(normalize("8 912 345 67 89", "7").unwrap(), "+79123456789");
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(normalize("+44 20 7946 0958", "34").unwrap(), "+442079460958");
        assert_eq!(normalize("0044 20 7946 0958", "34").unwrap(), "+442079460958");
        assert_eq!(normalize(" +34 612 34 56 78 ", "44").unwrap(), "+34612345678");
        assert_eq!(normalize("+1 (415) 555-2671", "34").unwrap(), "+14155552671");
        assert_eq!(normalize("\u{a0}+34\u{a0}612345678", "34").unwrap(), "+34612345678");
    }

    #[test]
    fn implausible_numbers_are_refused() {
        for (raw, why) in [
            ("", "required"),
            ("   ", "required"),
            ("612 345 67a", "not a phone number"),
            ("+34 612 345 678 ext 2", "not a phone number"),
            ("+", "not a phone number"),
            ("00", "not a phone number"),
            ("++34612345678", "not a phone number"),
            ("+34 6123", "too short"),
            ("1234", "too short"),
            ("0", "too short"),
            ("+1234567890123456", "too long"),
            ("6123456789012345", "too long"),
            ("+0612345678", "cannot start with 0"),
            ("000612345678", "cannot start with 0"),
        ] {
            let e = normalize(raw, "34").expect_err(raw);
            assert_eq!(e.field, "phone");
            assert!(e.message.contains(why), "{raw}: {}", e.message);
        }
        assert_eq!(normalize("612345678", "034").unwrap_err().field, "default_country_code");
        assert_eq!(normalize("612345678", "x").unwrap_err().field, "default_country_code");
        assert_eq!(
            normalize("612345678", "1234").unwrap_err().field,
            "default_country_code"
        );
    }

    #[test]
    fn e164_check() {
        assert!(is_e164("+34612345678"));
        assert!(is_e164("+123456789012345"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("34612345678"));
        assert!(!is_e164("+3461234"));
        assert!(!is_e164("+0612345678"));
        assert!(!is_e164("+34 612345678"));
        // What normalize gives is always E.164.
        for raw in ["612 345 678", "020 7946 0958", "+1 415 555 2671"] {
            assert!(is_e164(&normalize(raw, "44").unwrap()), "{raw}");
        }
    }
}
