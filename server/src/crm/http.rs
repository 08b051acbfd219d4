//! The `Crm` port over HTTP: `GET` the configured URL template with `{phone}` / `{query}`
//! filled in and `Authorization: Bearer <token>`, and read the documented JSON answer. The
//! token is never logged; errors name the host only.
use app::desk::rules::crm::{self, MAX_BODY, Read};
use app::ports::{BoxFuture, Crm, CrmError};
use std::time::Duration;

pub struct HttpCrm {
    template: String,
    token: Option<String>,
    host: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for HttpCrm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpCrm").field("host", &self.host).finish()
    }
}

impl HttpCrm {
    /// `budget` bounds every request (the service bounds it too, whatever the adapter).
    pub fn new(template: &str, token: Option<&str>, budget: Duration) -> Result<HttpCrm, String> {
        crm::check_template(template)?;
        let parsed = reqwest::Url::parse(&crm::lookup_url(template, Some("+0"), "x"))
            .map_err(|_| "the CRM URL cannot be read".to_string())?;
        let host = format!(
            "{}{}",
            parsed.host_str().unwrap_or("?"),
            parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        let http = reqwest::Client::builder()
            .timeout(budget)
            .connect_timeout(budget)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpCrm {
            template: template.trim().to_string(),
            token: token.map(str::to_string),
            host,
            http,
        })
    }
}

impl Crm for HttpCrm {
    fn look_up<'a>(&'a self, phone: Option<&'a str>, query: &'a str) -> BoxFuture<'a, Result<Read, CrmError>> {
        Box::pin(async move {
            let url = crm::lookup_url(&self.template, phone, query);
            let mut req = self.http.get(&url).header(reqwest::header::ACCEPT, "application/json");
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            // Without the URL in the errors: it may carry the number (and reqwest would print it).
            let fault = |e: reqwest::Error| {
                if e.is_timeout() {
                    CrmError::TimedOut
                } else if e.is_connect() {
                    CrmError::Unreachable(format!("{} could not connect", self.host))
                } else {
                    CrmError::Unreachable(format!("{} request failed", self.host))
                }
            };
            let mut res = req.send().await.map_err(fault)?;
            let status = res.status();
            if !status.is_success() {
                return Err(CrmError::Refused {
                    status: status.as_u16(),
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.map_err(fault)? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BODY {
                    return Err(CrmError::Unreadable(format!("larger than {} KB", MAX_BODY / 1024)));
                }
            }
            crm::read_answer(&body).map_err(CrmError::Unreadable)
        })
    }
}
