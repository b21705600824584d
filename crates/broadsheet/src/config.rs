//! Configuration: command-line options, then `BROADSHEET_*` environment
//! variables (clap reads both), then an optional TOML file, then defaults.
//! Unknown keys in the file are refused, naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use broadsheet_app::PaperConfig;
use serde::Deserialize;

use crate::cli::{Common, ServeArgs, SocialArgs};

/// The TOML file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub paper_name: Option<String>,
    pub base_url: Option<String>,
    pub time_zone: Option<String>,
    pub most_read_window_hours: Option<u32>,
    pub most_commented_window_hours: Option<u32>,
    pub page_cache_mb: Option<u64>,
    pub max_connections: Option<u32>,
    pub trusted_proxy_hops: Option<u8>,
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub rankings_every_secs: Option<u64>,
    pub views_per_client: Option<u32>,
    pub esi: Option<bool>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub meter_free: Option<u32>,
    pub meter_registered: Option<u32>,
    pub meter_period_days: Option<u32>,
    pub meter_new_per_address: Option<u32>,
    // Social sign-in (see `SocialArgs`).
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<String>,
    pub facebook_client_id: Option<String>,
    pub facebook_client_secret: Option<String>,
    pub linkedin_client_id: Option<String>,
    pub linkedin_client_secret: Option<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
    pub oidc_name: Option<String>,
    pub stripe_secret_key: Option<String>,
    pub stripe_webhook_secret: Option<String>,
    pub stripe_api_base: Option<String>,
    pub grace_days: Option<u32>,
    pub newsletter_rate: Option<u32>,
    pub retention_offer: Option<String>,
    /// The reader footer's links: `[[footer_links]]` tables with `label`
    /// and `url` (an https:// address or a path on this site).
    pub footer_links: Option<Vec<FooterLinkFile>>,
    /// Server-Sent Events connections per node (`--sse-max-connections`).
    pub sse_max_connections: Option<u32>,
    /// Origins that may read the Content API from the browser (`--api-cors-origins`).
    pub api_cors_origins: Option<Vec<String>>,
}

/// One `[[footer_links]]` entry of the TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FooterLinkFile {
    pub label: String,
    pub url: String,
}

/// Settings after merging every source.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: SocketAddr,
    pub paper: PaperConfig,
    pub page_cache_bytes: u64,
    pub max_connections: u32,
    /// A separate address for `/metrics` (off when absent).
    pub metrics_listen: Option<SocketAddr>,
    /// A bearer token that opens `/metrics` on the public listener.
    pub metrics_token: Option<String>,
    /// Shared page parts as ESI includes (`--esi`).
    pub esi: bool,
    /// Server-Sent Events connections this node holds at most (`--sse-max-connections`).
    pub sse_max_connections: usize,
}

/// Shortest metrics token we accept.
const MIN_METRICS_TOKEN: usize = 16;

pub fn load_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().replace('\n', " ");
        format!(
            "config file {} is not valid: {msg} (see `broadsheet --help` for the keys it may hold)",
            path.display()
        )
    })
}

impl Settings {
    /// Merges every source. `serve` carries the `serve` command's own
    /// options (other commands pass `None`).
    pub fn resolve(c: &Common, serve: Option<&ServeArgs>) -> Result<Settings, String> {
        let listen_arg = serve.and_then(|a| a.listen.as_deref());
        let file = match &c.config {
            Some(p) => load_file(p)?,
            None => FileConfig::default(),
        };
        let social = social_config(serve.map(|a| &*a.social), &file)?;
        let payments = payments(c, &file)?;
        let data_dir = c
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = c
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("broadsheet.db").display()));
        let listen_text = listen_arg
            .map(str::to_string)
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            format!(
                "listen address {listen_text:?} is not valid: use IP:PORT, such as 127.0.0.1:8080"
            )
        })?;
        let name = c
            .paper_name
            .clone()
            .or(file.paper_name)
            .unwrap_or_else(|| "The Northern Broadsheet".into());
        if name.trim().is_empty() {
            return Err(
                "paper name is empty: set --paper-name or leave it out for the default".into(),
            );
        }
        let tz = c
            .time_zone
            .clone()
            .or(file.time_zone)
            .unwrap_or_else(|| "Europe/London".into());
        let mut paper = PaperConfig::new(&name, &tz)?;
        paper.payments = payments;
        if let Some(links) = &file.footer_links {
            let pairs: Vec<(String, String)> = links
                .iter()
                .map(|l| (l.label.clone(), l.url.clone()))
                .collect();
            paper.footer_links =
                broadsheet_app::footer::links(&pairs).map_err(|e| format!("config file: {e}"))?;
        }
        let base = c.base_url.clone().or(file.base_url);
        if let Some(b) = &base
            && !(b.starts_with("http://") || b.starts_with("https://"))
        {
            return Err(format!(
                "base URL {b:?} must start with http:// or https://, such as https://news.example.com"
            ));
        }
        // Social sign-in registers its callback with a provider: it needs the
        // address the operator gave, not the one defaulted from the listen address.
        let explicit_base = base.clone();
        paper.base_url = base.or_else(|| default_base_url(listen));
        let hours = c
            .most_read_window_hours
            .or(file.most_read_window_hours)
            .unwrap_or(24);
        if !(1..=24 * 31).contains(&hours) {
            return Err(format!(
                "most-read window of {hours} hours is out of range: use 1 to 744"
            ));
        }
        paper.most_read_window_secs = i64::from(hours) * 3600;
        let hours = c
            .most_commented_window_hours
            .or(file.most_commented_window_hours)
            .unwrap_or(72);
        if !(1..=24 * 31).contains(&hours) {
            return Err(format!(
                "most-commented window of {hours} hours is out of range: use 1 to 744"
            ));
        }
        paper.most_commented_window_secs = i64::from(hours) * 3600;
        let hops = c
            .trusted_proxy_hops
            .or(file.trusted_proxy_hops)
            .unwrap_or(0);
        if hops > 8 {
            return Err(format!(
                "trusted proxy hops of {hops} is out of range: use 0 (no proxy) to 8"
            ));
        }
        paper.trusted_proxy_hops = usize::from(hops);
        let metrics_listen = match serve
            .and_then(|a| a.metrics_listen.clone())
            .or(file.metrics_listen)
        {
            None => None,
            Some(t) => Some(t.parse::<SocketAddr>().map_err(|_| {
                format!(
                    "metrics listen address {t:?} is not valid: use IP:PORT, such as 127.0.0.1:9090"
                )
            })?),
        };
        if metrics_listen.is_some_and(|m| m == listen) {
            return Err(format!(
                "the metrics address {listen} is the same as --listen: choose another port, such as 127.0.0.1:9090"
            ));
        }
        let metrics_token = serve
            .and_then(|a| a.metrics_token.clone())
            .or(file.metrics_token);
        if let Some(t) = &metrics_token
            && (t.chars().count() < MIN_METRICS_TOKEN || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(format!(
                "the metrics token is not usable: use at least {MIN_METRICS_TOKEN} printable characters without spaces, such as the output of `openssl rand -hex 32`"
            ));
        }
        let every = c
            .rankings_every_secs
            .or(file.rankings_every_secs)
            .unwrap_or(10);
        if !(1..=3600).contains(&every) {
            return Err(format!(
                "rankings refresh every {every} seconds is out of range: use 1 to 3600"
            ));
        }
        paper.rankings_refresh_secs = every;
        paper.views_per_client_per_minute =
            c.views_per_client.or(file.views_per_client).unwrap_or(60);
        paper.smtp_url = c
            .smtp_url
            .clone()
            .or(file.smtp_url)
            .filter(|u| !u.trim().is_empty());
        paper.mail_from = c.mail_from.clone().or(file.mail_from);
        let rate = c.newsletter_rate.or(file.newsletter_rate).unwrap_or(10);
        if !(1..=1000).contains(&rate) {
            return Err(format!(
                "newsletter rate {rate} is out of range: give 1 to 1000 messages a second"
            ));
        }
        paper.newsletters.per_second = rate;
        let origins: Vec<String> = match &c.api_cors_origins {
            Some(list) => list.split(',').map(str::to_string).collect(),
            None => file.api_cors_origins.clone().unwrap_or_default(),
        };
        paper.api_cors_origins = broadsheet_app::config::cors_origins(&origins)?;
        // Refuse a bad URL or sender now, with words, not at the first mail.
        broadsheet_app::mail::Mailer::check_config(&paper)?;
        let meter_free = c.meter_free.or(file.meter_free).unwrap_or(8);
        let meter_registered = c
            .meter_registered
            .or(file.meter_registered)
            .unwrap_or(20.max(meter_free));
        if meter_registered < meter_free {
            return Err(format!(
                "the registered readers' meter ({meter_registered}) is smaller than the anonymous one ({meter_free}): registering must not lose stories, so set --meter-registered to {meter_free} or more"
            ));
        }
        let days = c.meter_period_days.or(file.meter_period_days).unwrap_or(30);
        if !(1..=366).contains(&days) {
            return Err(format!(
                "a meter period of {days} days is out of range: use 1 to 366"
            ));
        }
        paper.paywall.meter_free = i64::from(meter_free);
        paper.paywall.meter_registered = i64::from(meter_registered);
        paper.paywall.period_secs = i64::from(days) * 86_400;
        paper.paywall.new_meters_per_address_per_day = i64::from(
            c.meter_new_per_address
                .or(file.meter_new_per_address)
                .unwrap_or(20),
        );
        paper.social = social;
        paper
            .social
            .check(explicit_base.as_deref())
            .map_err(|e| format!("social sign-in: {e}"))?;
        let mb = c.page_cache_mb.or(file.page_cache_mb).unwrap_or(256);
        let max_connections = c.max_connections.or(file.max_connections).unwrap_or(16);
        Ok(Settings {
            data_dir,
            database_url,
            listen,
            paper,
            page_cache_bytes: mb.max(1) << 20,
            max_connections: max_connections.max(1),
            metrics_listen,
            metrics_token,
            esi: c.esi || file.esi.unwrap_or(false),
            sse_max_connections: c
                .sse_max_connections
                .or(file.sse_max_connections)
                .unwrap_or(10_000)
                .max(1) as usize,
        })
    }
}

/// The social sign-in providers from the options (or environment), else the
/// file: a provider is on when its client id or secret is given (both are
/// then required; `SocialConfig::check` says so).
fn social_config(
    args: Option<&SocialArgs>,
    file: &FileConfig,
) -> Result<broadsheet_app::social::SocialConfig, String> {
    use broadsheet_app::social::{ProviderConfig, ProviderKind, SocialConfig};
    let none = SocialArgs::default();
    let a = args.unwrap_or(&none);
    let pick = |arg: &Option<String>, f: &Option<String>| arg.clone().or_else(|| f.clone());
    let mut providers = Vec::new();
    for (kind, id, secret) in [
        (
            ProviderKind::Google,
            pick(&a.google_client_id, &file.google_client_id),
            pick(&a.google_client_secret, &file.google_client_secret),
        ),
        (
            ProviderKind::Facebook,
            pick(&a.facebook_client_id, &file.facebook_client_id),
            pick(&a.facebook_client_secret, &file.facebook_client_secret),
        ),
        (
            ProviderKind::LinkedIn,
            pick(&a.linkedin_client_id, &file.linkedin_client_id),
            pick(&a.linkedin_client_secret, &file.linkedin_client_secret),
        ),
    ] {
        if id.is_some() || secret.is_some() {
            providers.push(ProviderConfig::known(
                kind,
                id.as_deref().unwrap_or(""),
                secret.as_deref().unwrap_or(""),
            ));
        }
    }
    let issuer = pick(&a.oidc_issuer, &file.oidc_issuer);
    let id = pick(&a.oidc_client_id, &file.oidc_client_id);
    let secret = pick(&a.oidc_client_secret, &file.oidc_client_secret);
    let name = pick(&a.oidc_name, &file.oidc_name);
    if issuer.is_some() || id.is_some() || secret.is_some() {
        let Some(issuer) = issuer else {
            return Err(
                "social sign-in: --oidc-client-id and --oidc-client-secret need --oidc-issuer URL (such as https://login.example.com)"
                    .into(),
            );
        };
        let mut p = ProviderConfig::known(
            ProviderKind::Oidc,
            id.as_deref().unwrap_or(""),
            secret.as_deref().unwrap_or(""),
        );
        let host = url::Url::parse(&issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        p.label = match name {
            Some(n) if !n.trim().is_empty() => n.trim().chars().take(40).collect(),
            _ => host.unwrap_or_else(|| "your provider".into()),
        };
        p.issuer = issuer;
        providers.push(p);
    }
    Ok(SocialConfig {
        providers,
        allow_loopback: false,
    })
}

/// Subscriptions: Stripe needs both secrets or neither.
fn payments(
    c: &Common,
    file: &FileConfig,
) -> Result<broadsheet_app::payments::PaymentsConfig, String> {
    use broadsheet_app::payments::{PaymentsConfig, STRIPE_API, Secret, StripeSettings};
    let key = c
        .stripe_secret_key
        .clone()
        .or(file.stripe_secret_key.clone());
    let hook = c
        .stripe_webhook_secret
        .clone()
        .or(file.stripe_webhook_secret.clone());
    let base = c
        .stripe_api_base
        .clone()
        .or(file.stripe_api_base.clone())
        .unwrap_or_else(|| STRIPE_API.to_string());
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(format!(
            "Stripe API base {base:?} must start with https:// (or http:// for a local test server)"
        ));
    }
    let stripe = match (key, hook) {
        (None, None) => None,
        (Some(k), Some(h)) if !k.trim().is_empty() && !h.trim().is_empty() => {
            Some(StripeSettings {
                secret_key: Secret(k.trim().to_string()),
                webhook_secret: Secret(h.trim().to_string()),
                api_base: base,
            })
        }
        _ => {
            return Err("subscriptions need both --stripe-secret-key and --stripe-webhook-secret (or neither, to leave payments off)".into());
        }
    };
    let grace = c.grace_days.or(file.grace_days).unwrap_or(7);
    if grace > 60 {
        return Err(format!(
            "grace period of {grace} days is out of range: use 0 to 60"
        ));
    }
    Ok(PaymentsConfig {
        stripe,
        grace_days: i64::from(grace),
        retention_offer: c
            .retention_offer
            .clone()
            .or(file.retention_offer.clone())
            .unwrap_or_default(),
        ..PaymentsConfig::default()
    })
}

/// The base URL when none is set: the listen address itself, when it is a
/// loopback one (a paper tried out on this machine links to where it is).
/// Any other address is reached by readers through a name or a proxy this
/// process cannot know, so there is no default: `serve` refuses to start
/// without `--base-url` there (see `serve::check_base_url`).
pub fn default_base_url(listen: SocketAddr) -> Option<String> {
    listen
        .ip()
        .is_loopback()
        .then(|| format!("http://{listen}"))
}
