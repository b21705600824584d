//! The paper's settings that the app layer needs.

use jiff::tz::TimeZone;

/// Settings of the paper itself (not of the process).
#[derive(Debug, Clone)]
pub struct PaperConfig {
    pub name: String,
    /// Public base URL (`https://…`), for canonical links and HSTS.
    pub base_url: Option<String>,
    pub time_zone_name: String,
    pub time_zone: TimeZone,
    /// Most Read counts views in this window (and a reader once per story in it).
    pub most_read_window_secs: i64,
    pub most_commented_window_secs: i64,
    /// How many views may wait in memory before new ones are dropped.
    pub view_queue: usize,
    /// Stories per page on fronts.
    pub page_size: i64,
    /// Paragraphs of a subscribers-only story shown to readers not entitled to it.
    pub preview_paragraphs: usize,
    /// How many reverse proxies (CDN, load balancer) in front of us append to
    /// `X-Forwarded-For`. 0: the peer address is the client. The client
    /// address is taken only through these hops (SECURITY.md rule 9).
    pub trusted_proxy_hops: usize,
    /// How often each node re-reads Most Read and Most Commented from the
    /// database (seconds). Editor's Picks and the breaking banner do not
    /// wait for it: their changes arrive as change events.
    pub rankings_refresh_secs: u64,
    /// Views one client address may add per minute (beyond: refused, counted
    /// in `/metrics` as `capped`).
    pub views_per_client_per_minute: u32,
    /// Client addresses the per-minute cap tracks at once (memory bound).
    pub view_cap_clients: usize,
    /// Where mail goes (`smtp://…`, `smtps://…`); none: mail is logged for
    /// the operator (`mail.rs`).
    pub smtp_url: Option<String>,
    /// The `From:` of the paper's mail; none: `noreply@` the base URL's host.
    pub mail_from: Option<String>,
    /// The meter and gift links (`meter.rs`).
    pub paywall: crate::meter::PaywallConfig,
    /// Social sign-in providers (none: no buttons).
    pub social: crate::social::SocialConfig,
    /// Subscriptions: the payment provider and the paper's billing rules.
    pub payments: crate::payments::PaymentsConfig,
    /// Links the paper sets for the reader pages' footer (`footer.rs`).
    pub footer_links: Vec<crate::footer::FooterLink>,
    /// Top slots editors arrange under the lead on the home page and each
    /// section front (`curation.rs`; default 6).
    pub front_top_slots: usize,
    /// This is the generated demo paper: reader pages say every story is
    /// fictional. Set by `serve` from the store's mark (`is_demo_paper`).
    pub demo_paper: bool,
    /// Where this node keeps its search index (issue 13, `search.rs`; the
    /// binary's `serve` uses `<data-dir>/search-index`); none: in memory.
    pub search_dir: Option<std::path::PathBuf>,
    /// Origins (`https://app.example.com`) whose browser pages may read the
    /// Content API (`/api/v1`, CORS); none: same-site only.
    pub api_cors_origins: Vec<String>,
    /// Outgoing webhooks: retries and give-up (`webhooks.rs`).
    pub webhooks: crate::webhooks::WebhookConfig,
    /// Newsletters: sending rate, batches, retries (`newsletters.rs`).
    pub newsletters: crate::newsletters::NewsletterConfig,
    /// Wire ingest: the drop folders and how often they are read (`wire.rs`).
    pub wire: crate::wire::WireConfig,
}

impl PaperConfig {
    pub fn new(name: &str, time_zone: &str) -> Result<PaperConfig, String> {
        Ok(PaperConfig {
            name: name.to_string(),
            base_url: None,
            time_zone_name: time_zone.to_string(),
            time_zone: broadsheet_domain::time::zone(time_zone)?,
            most_read_window_secs: 24 * 3600,
            most_commented_window_secs: 72 * 3600,
            view_queue: 100_000,
            page_size: 20,
            preview_paragraphs: 2,
            trusted_proxy_hops: 0,
            rankings_refresh_secs: 10,
            views_per_client_per_minute: 60,
            view_cap_clients: 200_000,
            smtp_url: None,
            mail_from: None,
            paywall: crate::meter::PaywallConfig::default(),
            social: Default::default(),
            payments: crate::payments::PaymentsConfig::default(),
            footer_links: Vec::new(),
            front_top_slots: 6,
            demo_paper: false,
            search_dir: None,
            api_cors_origins: Vec::new(),
            webhooks: Default::default(),
            newsletters: Default::default(),
            wire: Default::default(),
        })
    }
}

impl Default for PaperConfig {
    fn default() -> Self {
        PaperConfig {
            name: "The Northern Broadsheet".to_string(),
            base_url: None,
            time_zone_name: "Europe/London".to_string(),
            time_zone: broadsheet_domain::time::zone("Europe/London").unwrap_or(TimeZone::UTC),
            most_read_window_secs: 24 * 3600,
            most_commented_window_secs: 72 * 3600,
            view_queue: 100_000,
            page_size: 20,
            preview_paragraphs: 2,
            trusted_proxy_hops: 0,
            rankings_refresh_secs: 10,
            views_per_client_per_minute: 60,
            view_cap_clients: 200_000,
            smtp_url: None,
            mail_from: None,
            paywall: crate::meter::PaywallConfig::default(),
            social: Default::default(),
            payments: crate::payments::PaymentsConfig::default(),
            footer_links: Vec::new(),
            front_top_slots: 6,
            demo_paper: false,
            search_dir: None,
            api_cors_origins: Vec::new(),
            webhooks: Default::default(),
            newsletters: Default::default(),
            wire: Default::default(),
        }
    }
}

/// Checks the Content API's CORS origins: each a scheme and host (and
/// port), nothing more, as browsers send them in `Origin`.
pub fn cors_origins(list: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for o in list.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        let rest = o
            .strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"));
        let ok = rest.is_some_and(|r| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        });
        if !ok {
            return Err(format!(
                "API CORS origin {o:?} is not an origin: give the scheme and host only, like https://app.example.com"
            ));
        }
        out.push(o.to_ascii_lowercase());
    }
    Ok(out)
}
