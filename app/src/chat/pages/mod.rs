//! `/simulators` (admins): what the simulated outside world received — the chat simulator's
//! messages (live), telsim's calls, pbxsim's queues — with Switchboard's chat log and the "say
//! as Switchboard" box. `/chat` (coordinators and admins): the same box and the chat log.
use crate::chat::api::{SayAsSwitchboard, read_simulators};
use crate::chat::{ChatMessage, MessageStatus, SimPart, SimulatorsView};
use crate::components::{ErrorLine, Loaded, RequireArea, use_me};
use crate::shell::live::use_topic_throttled;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

/// The "say as Switchboard" box: a text of at most 1000 characters.
#[component]
pub fn SayBox(say: ServerAction<SayAsSwitchboard>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        say.dispatch(SayAsSwitchboard {
            text: text.get_untracked(),
        });
    };
    // Cleared once the message is accepted.
    Effect::new(move |_| {
        if let Some(Ok(_)) = say.value().get() {
            text.set(String::new());
        }
    });
    view! {
        <section aria-labelledby="say-title" class="card">
            <h2 id="say-title">"Say as Switchboard"</h2>
            <form on:submit=submit data-testid="say-form">
                <label>
                    "Message to the team chat (at most 1000 characters)"
                    <textarea
                        name="text"
                        rows="3"
                        maxlength="1000"
                        data-testid="say-text"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <p>
                    <button type="submit" class="btn primary" disabled=move || say.pending().get()>"Send to the chat"</button>
                </p>
            </form>
            <ErrorLine error=Signal::derive(move || say.value().get().and_then(|r| r.err()))/>
            {move || say.value().get().and_then(|r| r.ok()).map(|m| view! {
                <p class="muted small" role="status">{format!("Message {} {}.", m.id, status_words(m.status))}</p>
            })}
        </section>
    }
}

fn status_words(s: MessageStatus) -> &'static str {
    match s {
        MessageStatus::Pending => "is waiting to be retried",
        MessageStatus::Sending => "is being sent",
        MessageStatus::Sent => "was sent",
        MessageStatus::Failed => "could not be sent",
    }
}

fn status_class(s: MessageStatus) -> &'static str {
    match s {
        MessageStatus::Sent => "badge ok",
        MessageStatus::Pending | MessageStatus::Sending => "badge warn",
        MessageStatus::Failed => "badge bad",
    }
}

#[component]
fn ChatLog(log: Vec<ChatMessage>) -> impl IntoView {
    let empty = log.is_empty();
    view! {
        <section aria-labelledby="chat-log-title">
            <h2 id="chat-log-title">"Chat log"</h2>
            {empty.then(|| view! { <p class="muted">"No message yet."</p> })}
            <table class="table dense" data-testid="chat-log" hidden=empty>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Text"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col">"Attempts"</th>
                    </tr>
                </thead>
                <tbody>
                    {log.into_iter().map(|m| view! {
                        <tr data-testid="chat-log-row" data-status=m.status.as_str()>
                            <td>{m.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            <td>{m.kind.as_str()}{m.actor.map(|a| format!(" ({a})"))}</td>
                            <td class="pre-line">{m.text}</td>
                            <td>
                                <span class=status_class(m.status)>{m.status.as_str()}</span>
                                {m.last_error.map(|e| view! { <span class="small">" " {e}</span> })}
                            </td>
                            <td>{m.attempts}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

fn part<T>(p: SimPart<T>, what: &'static str, show: impl FnOnce(T) -> AnyView) -> AnyView {
    match p {
        SimPart::NotRunning => {
            view! { <p class="muted">{format!("Not running: a real {what} is configured.")}</p> }.into_any()
        }
        SimPart::Unreadable(e) => {
            view! { <p class="error" role="alert">{format!("Could not read it: {e}")}</p> }.into_any()
        }
        SimPart::Read(v) => show(v),
    }
}

#[component]
pub fn SimulatorsPage() -> impl IntoView {
    let changed = use_topic_throttled(Topic::SimulatorsChat, std::time::Duration::from_millis(300));
    let say = ServerAction::<SayAsSwitchboard>::new();
    let view_res = Resource::new(move || (changed.get(), say.version().get()), |_| read_simulators());
    view! {
        <RequireArea area=Area::Simulators>
            <Title text="Simulators"/>
            <h1>"Simulators"</h1>
            <p class="muted">"What the simulated outside world received: the team chat, the telephony provider (telsim) and the PBX (pbxsim)."</p>
            <SayBox say/>
            <Loaded resource=view_res let:v>
                <Simulators v/>
            </Loaded>
        </RequireArea>
    }
}

#[component]
fn Simulators(v: SimulatorsView) -> impl IntoView {
    let SimulatorsView { chat, calls, pbx, log } = v;
    view! {
        <section aria-labelledby="chatsim-title">
            <h2 id="chatsim-title">"Chat simulator"</h2>
            {part(chat, "chat webhook", |msgs| {
                let empty = msgs.is_empty();
                view! {
                    {empty.then(|| view! { <p class="muted">"No message received yet."</p> })}
                    <ol class="chat-sim" data-testid="chatsim-messages" reversed>
                        {msgs.into_iter().rev().map(|m| view! {
                            <li data-testid="chatsim-message">
                                <span class="muted small">{m.at.format("%H:%M:%S").to_string()}" "</span>
                                <span class="pre-line">{m.text}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            })}
        </section>
        <ChatLog log/>
        <section aria-labelledby="telsim-title">
            <h2 id="telsim-title">"Telephony simulator: recent calls"</h2>
            {part(calls, "telephony provider", |calls| {
                let empty = calls.is_empty();
                view! {
                    {empty.then(|| view! { <p class="muted">"No call placed yet."</p> })}
                    <table class="table dense" data-testid="telsim-calls" hidden=empty>
                        <thead><tr>
                            <th scope="col">"Created"</th><th scope="col">"To"</th><th scope="col">"From"</th>
                            <th scope="col">"Status"</th><th scope="col">"Seconds"</th><th scope="col">"Sid"</th>
                        </tr></thead>
                        <tbody>
                            {calls.into_iter().rev().take(30).map(|c| view! {
                                <tr>
                                    <td>{c.created_at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default()}</td>
                                    <td>{c.to}</td><td>{c.from}</td><td>{c.status}</td>
                                    <td>{c.duration.map(|d| d.to_string()).unwrap_or_default()}</td>
                                    <td class="small">{c.sid}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </section>
        <section aria-labelledby="pbxsim-title">
            <h2 id="pbxsim-title">"PBX simulator: queues"</h2>
            {part(pbx, "PBX", |queues| {
                let empty = queues.is_empty();
                view! {
                    {empty.then(|| view! { <p class="muted">"No queue."</p> })}
                    {queues.into_iter().map(|q| {
                        let title = format!("Queue {}: {} waiting, {} completed, {} gave up", q.name, q.waiting.len(), q.completed, q.abandoned);
                        let none = q.members.is_empty();
                        view! {
                            <h3>{title}</h3>
                            {none.then(|| view! { <p class="muted">"No member."</p> })}
                            <table class="table dense" data-testid="pbxsim-members" hidden=none>
                                <thead><tr>
                                    <th scope="col">"Interface"</th><th scope="col">"Name"</th><th scope="col">"Device"</th>
                                    <th scope="col">"Paused"</th><th scope="col">"Calls taken"</th>
                                </tr></thead>
                                <tbody>
                                    {q.members.into_iter().map(|m| view! {
                                        <tr>
                                            <td>{m.interface}</td><td>{m.name}</td><td>{m.status}</td>
                                            <td>{if m.paused { m.reason.unwrap_or_else(|| "yes".into()) } else { "no".into() }}</td>
                                            <td>{m.calls_taken}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                    }).collect_view()}
                }.into_any()
            })}
        </section>
    }
}

/// `/chat`: coordinators and admins say something as Switchboard.
#[component]
pub fn ChatPage() -> impl IntoView {
    let me = use_me();
    let say = ServerAction::<SayAsSwitchboard>::new();
    let may = move || {
        me.get().is_some_and(|u| {
            u.roles.iter().any(|r| {
                matches!(
                    r,
                    crate::accounts::rules::roles::Role::Coordinator | crate::accounts::rules::roles::Role::Admin
                )
            })
        })
    };
    view! {
        <RequireArea area=Area::Home>
            <Title text="Team chat"/>
            <h1>"Team chat"</h1>
            <Show when=may fallback=|| view! { <p class="muted">"Only coordinators and admins post to the team chat."</p> }>
                <SayBox say/>
            </Show>
        </RequireArea>
    }
}
