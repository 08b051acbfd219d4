//! A progress bar with its figure (`done / total`), for callouts and imports.
use leptos::prelude::*;

/// The filled share of a bar, in percent (0 when there is nothing to do).
pub fn percent(done: i64, total: i64) -> f64 {
    if total > 0 {
        (100.0 * done as f64 / total as f64).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// The bar alone (`role="progressbar"`), reactive: `done` of `total`; `label` names it for
/// screen readers (what is being counted).
#[component]
pub fn ProgressBar(
    #[prop(into)] done: Signal<i64>,
    #[prop(into)] total: Signal<i64>,
    label: &'static str,
) -> impl IntoView {
    view! {
        <span class="progress" role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax=total aria-valuenow=done>
            <span style=move || format!("width:{:.1}%", percent(done.get(), total.get()))></span>
        </span>
    }
}

/// A progress bar with its figure: `done` of `total`.
#[component]
pub fn Progress(done: i64, total: i64, label: &'static str) -> impl IntoView {
    view! {
        <span class="progress-line">
            <ProgressBar done=done total=total label=label/>
            <small>{format!("{done} / {total}")}</small>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_is_bounded_and_safe_on_zero() {
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(percent(1, 4), 25.0);
        assert_eq!(percent(5, 4), 100.0);
    }
}
