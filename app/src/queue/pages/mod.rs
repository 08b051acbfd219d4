//! `/queue`: the live queue console — each member's state and how long, calls and talk time
//! today, time since the last call; the callers waiting; this turn and the next; the latest
//! changes. Coordinators pause (with a reason) and resume anyone, add anyone with an extension
//! for the rest of the turn and remove members; agents pause and resume themselves (a control
//! on their own row only).
pub mod stats;

use crate::components::{ErrorLine, Loaded, RequireArea, use_me};
use crate::queue::QueueView;
use crate::queue::api::{AddMember, PauseMember, RemoveMember, queue_board};
use crate::queue::rules::board::{MemberLive, MemberState};
use crate::shell::live::{use_topic, use_topic_throttled};
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

fn ago(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let s = (now - t).num_seconds().max(0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

fn talk(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn state_class(s: MemberState) -> &'static str {
    match s {
        MemberState::Available => "badge ok",
        MemberState::Ringing | MemberState::InCall => "badge",
        MemberState::Paused => "badge warn",
        MemberState::Disconnected => "badge bad",
    }
}

#[component]
pub fn QueuePage() -> impl IntoView {
    // Each event brings the board itself (drawn at once); the turns and the log are refetched
    // at most every 2 s.
    let pushed = use_topic(Topic::QueueBoard);
    let live = Memo::new(move |_| {
        pushed.with(|e| {
            let d = e.data.as_ref()?;
            let now = serde_json::from_value::<DateTime<Utc>>(d["now"].clone()).ok()?;
            let board = serde_json::from_value::<crate::queue::rules::board::Board>(d["board"].clone()).ok()?;
            Some((now, board))
        })
    });
    let changed = use_topic_throttled(Topic::QueueBoard, std::time::Duration::from_secs(2));
    let me = use_me();
    let sees_stats = move || {
        me.get().is_some_and(|u| {
            u.roles.iter().any(|r| {
                matches!(
                    r,
                    crate::accounts::rules::roles::Role::Coordinator
                        | crate::accounts::rules::roles::Role::Manager
                        | crate::accounts::rules::roles::Role::Admin
                )
            })
        })
    };
    let pause = ServerAction::<PauseMember>::new();
    let add = ServerAction::<AddMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let board = Resource::new(
        move || {
            (
                changed.get(),
                pause.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| queue_board(),
    );
    view! {
        <RequireArea area=Area::Queue>
            <Title text="Queue"/>
            <h1>"Queue"</h1>
            <Show when=sees_stats>
                <p class="small"><a href="/queue/stats">"The day's call statistics"</a></p>
            </Show>
            <ErrorLine error=Signal::derive(move || pause.value().get().and_then(|r| r.err()))/>
            <ErrorLine error=Signal::derive(move || add.value().get().and_then(|r| r.err()))/>
            <ErrorLine error=Signal::derive(move || remove.value().get().and_then(|r| r.err()))/>
            <Loaded resource=board let:view>
                {move || {
                    let mut view = view.clone();
                    if let Some((now, b)) = live.get().filter(|(now, _)| *now > view.now) {
                        view.now = now;
                        view.board = b;
                    }
                    view! { <Board view pause add remove/> }
                }}
            </Loaded>
        </RequireArea>
    }
}

#[component]
fn Board(
    view: QueueView,
    pause: ServerAction<PauseMember>,
    add: ServerAction<AddMember>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let me = use_me();
    let steer = move || {
        me.get().is_some_and(|u| {
            u.roles.iter().any(|r| {
                matches!(
                    r,
                    crate::accounts::rules::roles::Role::Coordinator | crate::accounts::rules::roles::Role::Admin
                )
            })
        })
    };
    let mine = view.mine.clone();
    let addable = view.addable.clone();
    let chosen = RwSignal::new(String::new());
    let now = view.now;
    let b = view.board;
    let members: Vec<MemberLive> = b.members.values().cloned().collect();
    let empty = members.is_empty();
    view! {
        <p class="small muted" data-testid="queue-summary">
            {format!("Queue {} · ", b.queue)}
            {if b.connected { "PBX connected" } else { "PBX not connected: the states below may be old" }}
            {format!(" · answered today {} · gave up today {}", b.answered_today, b.abandoned_today)}
        </p>
        <section aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <Show when=steer>
                <form class="row" data-testid="add-member" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    add.dispatch(AddMember { handle: chosen.get_untracked() });
                }>
                    <label for="add-person">"Add for the rest of the turn"</label>
                    <select
                        id="add-person"
                        class="input"
                        prop:value=move || chosen.get()
                        on:change=move |ev| chosen.set(event_target_value(&ev))
                    >
                        <option value="">"Choose a person…"</option>
                        {addable.clone().into_iter().map(|a| view! {
                            <option value=a.handle.clone()>{format!("{} ({})", a.name, a.extension)}</option>
                        }).collect_view()}
                    </select>
                    <button class="btn" type="submit">"Add"</button>
                </form>
            </Show>
            {empty.then(|| view! { <p class="muted" data-testid="no-members">"Nobody is in the queue."</p> })}
            <table class="table dense" data-testid="members" hidden=empty>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Phone"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"For"</th>
                        <th scope="col">"Calls today"</th>
                        <th scope="col">"Talk today"</th>
                        <th scope="col">"Since last call"</th>
                        <th scope="col">"Pause"</th>
                    </tr>
                </thead>
                <tbody>
                    {members.into_iter().map(|m| {
                        let own = mine.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(&m.interface));
                        view! { <MemberRow m now pause remove steer own/> }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section aria-labelledby="waiting-title">
            <h2 id="waiting-title">{format!("Waiting ({})", b.waiting.len())}</h2>
            {b.waiting.is_empty().then(|| view! { <p class="muted">"Nobody is waiting."</p> })}
            <ol data-testid="waiting">
                {b.waiting.iter().map(|w| view! {
                    <li>{format!("{} · waiting {}", w.number, ago(now, w.since))}</li>
                }).collect_view()}
            </ol>
        </section>
        <section aria-labelledby="turns-title">
            <h2 id="turns-title">"This turn and the next"</h2>
            <div class="turns" data-testid="turns">
                {view.turns.into_iter().map(|t| view! {
                    <div class="card">
                        <h3>{t.label}</h3>
                        <p>{if t.people.is_empty() { "Nobody.".to_string() } else { t.people.join(", ") }}</p>
                    </div>
                }).collect_view()}
            </div>
        </section>
        <section aria-labelledby="log-title">
            <h2 id="log-title">"Latest changes"</h2>
            <ul class="small" data-testid="queue-log">
                {view.log.into_iter().map(|l| view! {
                    <li>{format!("{} · {}{} · {}", l.at.format("%H:%M:%S"), l.source, l.who.map(|w| format!(" ({w})")).unwrap_or_default(), l.what)}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn MemberRow(
    m: MemberLive,
    now: DateTime<Utc>,
    pause: ServerAction<PauseMember>,
    remove: ServerAction<RemoveMember>,
    steer: impl Fn() -> bool + Send + Sync + Copy + 'static,
    /// The agent's own row: they pause and resume themselves.
    own: bool,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let interface = m.interface.clone();
    let paused = m.paused;
    let state = match (&m.state, &m.paused_reason) {
        (MemberState::Paused, Some(r)) => format!("paused: {r}"),
        (s, _) => s.label().to_string(),
    };
    let i2 = interface.clone();
    let i3 = interface.clone();
    let do_remove = move |_| {
        remove.dispatch(RemoveMember { interface: i3.clone() });
    };
    let do_pause = move |_| {
        pause.dispatch(PauseMember {
            interface: interface.clone(),
            paused: true,
            reason: Some(reason.get_untracked()),
        });
    };
    let do_resume = move |_| {
        pause.dispatch(PauseMember {
            interface: i2.clone(),
            paused: false,
            reason: None,
        });
    };
    let remove_label = format!("Remove {} from the queue", m.name);
    let ext = m.interface.rsplit('/').next().unwrap_or_default().to_string();
    view! {
        <tr data-testid="member" data-interface=m.interface.clone() data-state=format!("{:?}", m.state)>
            <td>{m.name.clone()}</td>
            <td>{ext}</td>
            <td><span class=state_class(m.state)>{state}</span></td>
            <td>{ago(now, m.since)}</td>
            <td>{m.calls_today}</td>
            <td>{talk(m.talk_secs_today)}</td>
            <td>{m.last_call_at.map(|t| ago(now, t)).unwrap_or_else(|| "no call yet".into())}</td>
            <td>
                <Show when=move || own || steer() fallback=|| view! { <span class="muted">"—"</span> }>
                    {if paused {
                        view! { <button class="btn" on:click=do_resume.clone()>"Resume"</button> }.into_any()
                    } else {
                        view! {
                            <input
                                aria-label=format!("Reason to pause {}", m.name)
                                class="input small"
                                placeholder="reason"
                                maxlength="60"
                                prop:value=move || reason.get()
                                on:input=move |ev| reason.set(event_target_value(&ev))
                            />
                            <button class="btn" on:click=do_pause.clone()>"Pause"</button>
                        }.into_any()
                    }}
                </Show>
                <Show when=steer>
                    <button class="btn" aria-label=remove_label.clone() on:click=do_remove.clone()>"Remove"</button>
                </Show>
            </td>
        </tr>
    }
}
