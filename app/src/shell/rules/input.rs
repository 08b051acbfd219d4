//! Text that cannot be stored: PostgreSQL refuses the NUL character (`\0`, `\u0000` in JSON,
//! `%00` in a URL) in any text value. Every input is checked for it once, at the boundary (the
//! server's input layer: query strings, JSON and form bodies of every route, server function
//! and webhook; the CSV reader for imports), so no request reaches the database with one.
use super::Invalid;

pub const NUL_MESSAGE: &str = "contains a NUL character (\\u0000), which cannot be stored; remove it";

/// Refuses a text holding a NUL character, naming `field`.
pub fn refuse_nul(field: &str, text: &str) -> Result<(), Invalid> {
    if text.contains('\0') {
        Err(Invalid::new(field, NUL_MESSAGE))
    } else {
        Ok(())
    }
}

/// Where in a JSON document the first NUL character is (in a string or a key): its path,
/// `input.tags.1` style; `None` if there is none.
pub fn nul_in_json(v: &serde_json::Value) -> Option<String> {
    fn walk(v: &serde_json::Value, path: &mut Vec<String>) -> Option<String> {
        match v {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.join(".")),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                path.push(i.to_string());
                let found = walk(item, path);
                path.pop();
                found
            }),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                path.push(k.replace('\0', "\\u0000"));
                let found = if k.contains('\0') {
                    Some(path.join("."))
                } else {
                    walk(item, path)
                };
                path.pop();
                found
            }),
            _ => None,
        }
    }
    walk(v, &mut Vec::new())
}

/// The first key of an `application/x-www-form-urlencoded` text (a query string or a form
/// body) whose key or value decodes to a NUL character.
pub fn nul_in_form(text: &str) -> Option<String> {
    text.split('&').filter(|kv| !kv.is_empty()).find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let key = percent_decode(k);
        (key.contains(&0) || percent_decode(v).contains(&0))
            .then(|| String::from_utf8_lossy(&key).replace('\0', "\\u0000"))
    })
}

/// The field a path names for a person: its last key that is not a position
/// (`input.phone` → `phone`, `0.phone` → `phone`, `input[tags][1]` → `tags`).
pub fn field_of(path: &str) -> String {
    path.split(['.', '[', ']'])
        .rfind(|p| !p.is_empty() && !p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("request")
        .to_string()
}

/// An [`Invalid`] for a NUL found at `path` (the message says where).
pub fn nul_at(path: &str) -> Invalid {
    let field = field_of(path);
    if path.is_empty() || path == field {
        Invalid::new(&field, NUL_MESSAGE)
    } else {
        Invalid::new(&field, format!("{NUL_MESSAGE} (at {path})"))
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_found_in_json_strings_and_keys_with_its_path() {
        assert_eq!(nul_in_json(&json!({"a": "ok", "b": [1, "x\u{0}"]})), Some("b.1".into()));
        assert_eq!(
            nul_in_json(&json!([{"phone": "+34"}, {"phone": "6\u{0}"}])),
            Some("1.phone".into())
        );
        assert_eq!(nul_in_json(&json!({"k\u{0}": 1})), Some("k\\u0000".into()));
        assert_eq!(nul_in_json(&json!("\u{0}")), Some("".into()));
        assert_eq!(nul_in_json(&json!({"a": "fine", "n": null, "x": 1.5, "t": true})), None);
    }

    #[test]
    fn nul_is_found_in_forms_and_queries_percent_encoded() {
        assert_eq!(nul_in_form("q=a%00b&limit=5"), Some("q".into()));
        assert_eq!(nul_in_form("input%5Bphone%5D=1%00"), Some("input[phone]".into()));
        assert_eq!(nul_in_form("a=%0&b=%"), None);
        assert_eq!(nul_in_form("a=%2500"), None, "an encoded percent sign is not a NUL");
        assert_eq!(nul_in_form("q=plain+text&x=%41"), None);
        assert_eq!(nul_in_form(""), None);
    }

    #[test]
    fn the_field_is_the_last_key_and_the_message_says_where() {
        assert_eq!(field_of("input.phone"), "phone");
        assert_eq!(field_of("0.phone"), "phone");
        assert_eq!(field_of("input[tags][1]"), "tags");
        assert_eq!(field_of(""), "request");
        assert_eq!(nul_at("name"), Invalid::new("name", NUL_MESSAGE));
        assert!(nul_at("3.phone").message.ends_with("(at 3.phone)"));
        assert_eq!(refuse_nul("name", "a\u{0}").unwrap_err().field, "name");
        assert!(refuse_nul("name", "fine").is_ok());
    }
}
