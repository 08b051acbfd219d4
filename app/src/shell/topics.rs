//! Every live-event topic, named once. A topic is `<area>.<what>`: the SSE endpoint sends a
//! user only the topics of the areas their roles open (`access::topic_allowed`).
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Accounts were created or changed (admin page).
    Users,
    /// API tokens were created or revoked (admin page).
    Tokens,
    /// The rota's data (people, availability, holidays, fixed turns, settings, timetables).
    Rota,
    /// Solver runs: queued, progress, finished, stopped.
    Solver,
    /// The list of callouts (created, deleted, status, progress) and the caller-id registry.
    Callouts,
    /// The contact directory (created, changed, imported, deleted).
    Contacts,
    /// One callout: settings, status, population, calls placed and their outcomes.
    Callout(i64),
    /// A call is ringing the extension of the user the event is addressed to (the desk).
    DeskRinging,
    /// The live queue changed (members, states, callers): the console refetches.
    QueueBoard,
    /// The desk's call log: a call recorded, annotated or cleared, categories changed.
    DeskCalls,
    /// The chat's message log changed, or the chat simulator received a message (admins'
    /// Simulators page).
    SimulatorsChat,
    /// The queue's call statistics: a call was recorded (the statistics page refetches).
    QueueStats,
}

impl Topic {
    /// The wire name the browser subscribes to.
    pub fn name(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Users => f.write_str("admin.users"),
            Topic::Tokens => f.write_str("admin.tokens"),
            Topic::Rota => f.write_str("rota.data"),
            Topic::Solver => f.write_str("rota.solver"),
            Topic::Callouts => f.write_str("callouts.list"),
            Topic::Contacts => f.write_str("callouts.contacts"),
            Topic::Callout(id) => write!(f, "callouts.{id}"),
            Topic::DeskRinging => f.write_str("desk.ringing"),
            Topic::QueueBoard => f.write_str("queue.board"),
            Topic::DeskCalls => f.write_str("desk.calls"),
            Topic::SimulatorsChat => f.write_str("simulators.chat"),
            Topic::QueueStats => f.write_str("queue.stats"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Topic;

    #[test]
    fn names_are_area_dot_what_and_distinct() {
        let all = [
            Topic::Users,
            Topic::Tokens,
            Topic::Rota,
            Topic::Solver,
            Topic::Callouts,
            Topic::Contacts,
            Topic::Callout(7),
            Topic::DeskRinging,
            Topic::QueueBoard,
            Topic::DeskCalls,
            Topic::SimulatorsChat,
            Topic::QueueStats,
        ];
        let names: std::collections::HashSet<String> = all.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(Topic::Callout(7).name(), "callouts.7");
        assert!(all.iter().all(|t| t.name().split_once('.').is_some()));
    }
}
