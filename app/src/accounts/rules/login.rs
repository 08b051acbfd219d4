//! The slow-down after repeated failed sign-ins. It is counted per user name (whether or not the
//! user exists, so the answer reveals nothing), and it grows with every further failure.

/// Failures allowed before the slow-down starts.
pub const FREE_ATTEMPTS: u32 = 5;
/// The longest wait imposed, in seconds.
pub const MAX_WAIT_S: i64 = 300;

/// Seconds to wait before the next attempt is even checked, given the count of consecutive
/// failures and the seconds elapsed since the last one. `None` means the attempt may go ahead.
pub fn wait_before_next_attempt(failures: u32, seconds_since_last: i64) -> Option<i64> {
    if failures < FREE_ATTEMPTS {
        return None;
    }
    let exponent = (failures - FREE_ATTEMPTS).min(16);
    let wait = (1i64 << exponent).min(MAX_WAIT_S);
    let left = wait - seconds_since_last.max(0);
    (left > 0).then_some(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failures_are_free() {
        for n in 0..FREE_ATTEMPTS {
            assert_eq!(wait_before_next_attempt(n, 0), None);
        }
    }

    #[test]
    fn wait_doubles_and_is_capped() {
        assert_eq!(wait_before_next_attempt(5, 0), Some(1));
        assert_eq!(wait_before_next_attempt(6, 0), Some(2));
        assert_eq!(wait_before_next_attempt(8, 3), Some(5));
        assert_eq!(wait_before_next_attempt(8, 8), None);
        assert_eq!(wait_before_next_attempt(40, 0), Some(MAX_WAIT_S));
    }
}
