//! The `Chat` port over an incoming webhook: `POST {"text": …}` as JSON, which Google Chat,
//! Slack, Mattermost and Rocket.Chat accept. The URL carries the chat's secret: it is never
//! logged (errors name the host only).
use app::ports::{BoxFuture, Chat, ChatError};
use std::time::Duration;

pub struct WebhookChat {
    url: String,
    host: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for WebhookChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChat").field("host", &self.host).finish()
    }
}

impl WebhookChat {
    pub fn new(url: &str) -> Result<WebhookChat, String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| "the chat webhook URL cannot be read".to_string())?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("the chat webhook URL must be http:// or https://".into());
        }
        let host = format!(
            "{}{}",
            parsed.host_str().unwrap_or("?"),
            parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(WebhookChat {
            url: url.to_string(),
            host,
            http,
        })
    }
}

impl Chat for WebhookChat {
    fn post<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move {
            let res = self
                .http
                .post(&self.url)
                .json(&serde_json::json!({ "text": text }))
                .send()
                .await
                // Without the URL: reqwest's error would print it.
                .map_err(|e| {
                    let what = if e.is_timeout() {
                        "timed out"
                    } else if e.is_connect() {
                        "could not connect"
                    } else {
                        "request failed"
                    };
                    ChatError::Unavailable(format!("{} {what}", self.host))
                })?;
            let status = res.status();
            if status.is_success() {
                return Ok(());
            }
            let mut body = res.text().await.unwrap_or_default();
            body.truncate(200);
            Err(ChatError::Rejected {
                status: status.as_u16(),
                body,
            })
        })
    }
}
