//! Status badges: a short word on a coloured pill. The tone says how the state reads
//! (fine, needs a look, bad); the colours come from `.badge` in style/main.css.
use leptos::prelude::*;

/// How a state reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tone {
    #[default]
    Neutral,
    Ok,
    Warn,
    Bad,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Tone::Neutral => "badge",
            Tone::Ok => "badge ok",
            Tone::Warn => "badge warn",
            Tone::Bad => "badge bad",
        }
    }
}

/// A state shown as a badge: its label and its tone.
pub trait Status {
    fn label(&self) -> String;
    fn tone(&self) -> Tone;
}

/// A badge around its children.
#[component]
pub fn Badge(
    #[prop(optional)] tone: Tone,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional, into)] title: Option<String>,
    #[prop(optional)] role: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! { <span class=tone.class() data-testid=testid title=title role=role>{children()}</span> }
}

/// The badge of a state (a callout's status, a week's status, a solver run's status).
#[component]
pub fn StatusBadge<S: Status + 'static>(status: S, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    view! { <span class=status.tone().class() data-testid=testid>{status.label()}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tone_has_its_own_class() {
        let all = [Tone::Neutral, Tone::Ok, Tone::Warn, Tone::Bad].map(Tone::class);
        for (i, a) in all.iter().enumerate() {
            assert!(a.starts_with("badge"));
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
