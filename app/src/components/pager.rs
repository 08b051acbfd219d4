//! Moving through pages of a list, or through weeks and years.
use leptos::prelude::*;

/// How many pages `total` items make at `per_page` a page (at least one).
pub fn page_count(total: i64, per_page: i64) -> i64 {
    ((total + per_page.max(1) - 1) / per_page.max(1)).max(1)
}

/// "N things · page x of y" with previous / next buttons that move `page`.
#[component]
pub fn Pager(total: i64, page: i64, per_page: i64, what: &'static str, to: RwSignal<i64>) -> impl IntoView {
    let pages = page_count(total, per_page);
    view! {
        <div class="row pager">
            <span class="muted" data-testid=format!("{what}-total")>{format!("{total} {what} · page {page} of {pages}")}</span>
            <button class="btn" disabled={page <= 1} on:click=move |_| to.update(|p| *p -= 1)>"← Previous"</button>
            <button class="btn" disabled={page >= pages} on:click=move |_| to.update(|p| *p += 1)>"Next →"</button>
        </div>
    }
}

/// Previous / (current) / next buttons for a period (`unit`: "week", "year"); `step` gets -1
/// or +1, `current` (if given) goes back to the period that holds today.
#[component]
pub fn PeriodPager(
    unit: &'static str,
    step: impl Fn(i32) + Copy + Send + Sync + 'static,
    #[prop(optional)] current: Option<Callback<()>>,
    /// Put the unit into the buttons' text ("← Previous year") instead of only their labels.
    #[prop(optional)]
    wordy: bool,
) -> impl IntoView {
    let (prev, next) = if wordy {
        (format!("← Previous {unit}"), format!("Next {unit} →"))
    } else {
        ("← Previous".to_string(), "Next →".to_string())
    };
    view! {
        <button class="btn" on:click=move |_| step(-1) aria-label=format!("Previous {unit}")>{prev}</button>
        {current.map(|c| view! { <button class="btn" on:click=move |_| c.run(())>{format!("This {unit}")}</button> })}
        <button class="btn" on:click=move |_| step(1) aria-label=format!("Next {unit}")>{next}</button>
    }
}

#[cfg(test)]
mod tests {
    use super::page_count;

    #[test]
    fn pages() {
        assert_eq!(page_count(0, 50), 1);
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
        assert_eq!(page_count(3, 0), 3);
    }
}
