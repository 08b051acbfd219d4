//! Messages: what "say as Switchboard" accepts, the longest text, and the retry schedule.
use crate::shell::rules::Invalid;
use std::time::Duration;

/// The longest free text a coordinator may say.
pub const SAY_MAX_CHARS: usize = 1000;
/// The longest message Switchboard itself composes (statistics, reminders with many people).
pub const TEXT_MAX_CHARS: usize = 4000;
/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// "Say as Switchboard": not empty, at most [`SAY_MAX_CHARS`] characters, no control characters
/// but new lines. Returns the text trimmed.
pub fn check_say(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Invalid::new("text", "write something to say"));
    }
    if t.chars().count() > SAY_MAX_CHARS {
        return Err(Invalid::new(
            "text",
            format!("at most {SAY_MAX_CHARS} characters ({} given)", t.chars().count()),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(Invalid::new(
            "text",
            "no control characters (tabs and the like); new lines are fine",
        ));
    }
    Ok(t.replace("\r\n", "\n").replace('\r', "\n"))
}

/// A text the server composed: trimmed and cut to [`TEXT_MAX_CHARS`].
pub fn fit(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Some(if t.chars().count() > TEXT_MAX_CHARS {
        let mut s: String = t.chars().take(TEXT_MAX_CHARS - 1).collect();
        s.push('…');
        s
    } else {
        t.to_string()
    })
}

/// After `attempts` failed attempts: how long until the next one (`base`, then 4× each time,
/// at most 10 minutes), or `None` when the message is given up.
pub fn retry_after(attempts: i32, base: Duration) -> Option<Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let factor = 4u32.saturating_pow(attempts.max(1) as u32 - 1);
    Some(base.saturating_mul(factor).min(Duration::from_secs(600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn say_is_trimmed_text_of_at_most_1000_characters_on_lines() {
        assert_eq!(
            check_say("  Hello team\nLunch at 2  ").unwrap(),
            "Hello team\nLunch at 2"
        );
        assert_eq!(check_say("a\r\nb").unwrap(), "a\nb");
        assert_eq!(check_say("   ").unwrap_err().field, "text");
        assert_eq!(check_say("").unwrap_err().field, "text");
        assert!(check_say(&"é".repeat(1000)).is_ok());
        assert!(check_say(&"é".repeat(1001)).is_err());
        assert!(check_say("tab\there").is_err());
        assert!(check_say("bell\u{7}").is_err());
        assert!(check_say("nul\0").is_err());
    }

    #[test]
    fn composed_texts_fit() {
        assert_eq!(fit("  x "), Some("x".into()));
        assert_eq!(fit(" "), None);
        let long = fit(&"a".repeat(5000)).unwrap();
        assert_eq!(long.chars().count(), TEXT_MAX_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let b = Duration::from_secs(2);
        assert_eq!(retry_after(1, b), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(2, b), Some(Duration::from_secs(8)));
        assert_eq!(retry_after(3, b), Some(Duration::from_secs(32)));
        assert_eq!(retry_after(4, b), Some(Duration::from_secs(128)));
        assert_eq!(retry_after(MAX_ATTEMPTS, b), None);
        assert_eq!(retry_after(4, Duration::from_secs(60)), Some(Duration::from_secs(600)));
    }
}
