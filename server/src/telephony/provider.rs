//! The telephony provider the running app uses: the configured Twilio-dialect provider, or (when
//! none is configured) `telsim` started in-process on a free port with a generated account sid
//! and token — so the default run has a working, simulated provider.
use super::telsim::{self, Telsim, TelsimConfig};
use super::twilio::{TwilioClient, TwilioConfig};
use crate::config::TelephonyConfig;
use app::ports::Telephony;
use std::net::SocketAddr;
use std::sync::Arc;

/// Path of the status-callback endpoint.
pub const STATUS_PATH: &str = "/api/telephony/status";

pub struct Provider {
    pub client: Arc<dyn Telephony>,
    pub base_url: String,
    pub account_sid: String,
    /// Checks callback signatures. Secret: never logged.
    pub auth_token: String,
    /// Where the provider reaches this app (no trailing slash).
    pub public_url: String,
    /// The in-process simulator, when no provider is configured (kept alive here).
    pub telsim: Option<Telsim>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<set>")
            .field("public_url", &self.public_url)
            .field("simulated", &self.telsim.is_some())
            .finish()
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

impl Provider {
    /// The configured provider, or telsim in-process. `addr` is where this app listens (the
    /// default public URL).
    pub async fn from_config(cfg: &TelephonyConfig, addr: SocketAddr) -> std::io::Result<Provider> {
        let public_url = cfg
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let (base_url, sid, token, sim) = match &cfg.base_url {
            Some(base) => (
                base.clone(),
                cfg.account_sid.clone().unwrap_or_default(),
                cfg.auth_token.clone().unwrap_or_default(),
                None,
            ),
            None => {
                let sid = format!("AC{}", random_hex(16));
                let token = random_hex(16);
                let (_, sim) = telsim::spawn(TelsimConfig::new(&sid, &token)).await?;
                (sim.url(), sid, token, Some(sim))
            }
        };
        Self::new(&base_url, &sid, &token, &public_url, sim)
    }

    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: &str,
        public_url: &str,
        telsim: Option<Telsim>,
    ) -> std::io::Result<Provider> {
        let client =
            TwilioClient::new(TwilioConfig::new(base_url, account_sid, auth_token)).map_err(std::io::Error::other)?;
        Ok(Provider {
            client: Arc::new(client),
            base_url: base_url.trim_end_matches('/').to_string(),
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            public_url: public_url.trim_end_matches('/').to_string(),
            telsim,
        })
    }

    /// The StatusCallback URL of a call (its id lets a callback find the call even before the
    /// worker has recorded the CallSid).
    pub fn status_callback(&self, call_id: i64) -> String {
        format!("{}{STATUS_PATH}?call={call_id}", self.public_url)
    }
}
