//! `POST /api/telephony/status`: the provider's status callbacks.
//!
//! - The `X-Twilio-Signature` is checked over the public URL of this endpoint (with its query)
//!   and the form fields, keyed by the auth token: a bad or missing one gets 403 and changes
//!   nothing.
//! - The call is found by the `call` id in the query (our StatusCallback URL carries it) or by
//!   the `CallSid`; an unknown one is logged and answered 404 (a simulator retries; a real
//!   provider's lost news is recovered by polling).
//! - The status is applied in a transaction holding the call's row lock, through the domain's
//!   monotonic state machine: a duplicate or a late (out-of-order) callback changes nothing.
use crate::state::AppState;
use crate::telephony::signature;
use app::callouts::rules::calls::ProviderStatus;
use app::callouts::store::calls::{self, Source};
use app::shell::topics::Topic;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn answer(status: StatusCode, message: &str) -> Response {
    (status, message.to_string()).into_response()
}

pub async fn status(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(provider) = st.telephony.clone() else {
        return answer(StatusCode::SERVICE_UNAVAILABLE, "no telephony provider configured");
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let url = format!("{}{path}", provider.public_url);
    let sig = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if sig.is_empty() || !signature::verify(&provider.auth_token, &url, &form, sig) {
        tracing::warn!(path = uri.path(), "status callback with a bad signature refused");
        return answer(StatusCode::FORBIDDEN, "bad signature");
    }
    let Some(sid) = field(&form, "CallSid") else {
        return answer(StatusCode::BAD_REQUEST, "CallSid is missing");
    };
    let Some(status) = field(&form, "CallStatus").and_then(ProviderStatus::parse) else {
        tracing::warn!(sid, status = ?field(&form, "CallStatus"), "status callback with an unknown CallStatus");
        return answer(StatusCode::BAD_REQUEST, "CallStatus is missing or unknown");
    };
    let duration = field(&form, "CallDuration").and_then(|d| d.parse::<u32>().ok());
    let call_id = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("call=")))
        .and_then(|v| v.parse::<i64>().ok());
    match apply(&st, call_id, sid, status, duration).await {
        Ok(Some(applied)) => {
            if applied.changed {
                st.services
                    .events
                    .announce(
                        Topic::Callout(applied.callout_id),
                        serde_json::json!({ "call": applied.call_id, "status": applied.status }),
                    )
                    .await;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(None) => {
            tracing::warn!(sid, ?call_id, status = %status, "status callback for an unknown call");
            answer(StatusCode::NOT_FOUND, "unknown call")
        }
        Err(e) => {
            tracing::error!(error = %e, sid, "status callback not applied");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// Applies the news under the call's row lock; `None` when no call matches.
async fn apply(
    st: &AppState,
    call_id: Option<i64>,
    sid: &str,
    status: ProviderStatus,
    duration: Option<u32>,
) -> Result<Option<calls::Applied>, app::shell::store::DbError> {
    let mut tx = st.services.db.begin().await?;
    let mut locked = match call_id {
        Some(id) => calls::lock_by_id(&mut tx, id).await?,
        None => None,
    };
    // The id must belong to this CallSid (once the call has one).
    if locked
        .as_ref()
        .is_some_and(|c| c.provider_sid.as_deref().is_some_and(|s| s != sid))
    {
        locked = None;
    }
    if locked.is_none() {
        locked = calls::lock_by_sid(&mut tx, sid).await?;
    }
    let Some(call) = locked else {
        return Ok(None);
    };
    let applied = calls::apply_provider(&mut tx, &call, sid, status, duration, Source::Callback).await?;
    tx.commit().await?;
    Ok(Some(applied))
}
