//! The meter: how many metered stories a reader who is not a subscriber may
//! open per period, counted on the server.
//!
//! A reader is counted as a *subject*: their account when signed in (so
//! every device of one account shares one meter), else the device id in the
//! signed meter cookie (`bsm`, signed by the same [`crate::ReaderSigner`]
//! and secret as the view beacon's reader cookie). Anonymous readers get
//! `meter_free` stories per period, registered (signed-in, free) readers
//! `meter_registered`. Periods are fixed windows of `period_secs` (the
//! period's number is `at / period_secs`), so the meter rolls over for
//! everyone at once. A story opened in the period stays open.
//!
//! Clearing cookies must not reset the meter at will: a request without a
//! valid device cookie starts a fresh device meter only while its client
//! address (read through `--trusted-proxy-hops`; IPv6 by /64; stored as a
//! keyed hash) has started fewer than `new_meters_per_address_per_day`
//! today; beyond that it gets the cut and no cookie.
//!
//! The rows live in the database (`broadsheet_store::paywall`), shared by
//! every node; [`prune_loop`] drops periods that have ended. Each node
//! remembers what only grows (stories open, meters spent, addresses over
//! today's limit: `gatecache.rs`), so a request the answer to which cannot
//! change costs no round trip.

use std::net::IpAddr;

use broadsheet_store::MeterOpen;

use crate::entitlement::Reader;
use crate::{App, Result};

/// The meter cookie's name (path `/`, HttpOnly).
pub const METER_COOKIE: &str = "bsm";

/// The paywall's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaywallConfig {
    /// Metered stories an anonymous reader may open per period (`--meter-free`).
    pub meter_free: i64,
    /// Metered stories a registered reader may open per period (`--meter-registered`).
    pub meter_registered: i64,
    /// Length of a meter period in seconds (`--meter-period-days` × 86,400).
    pub period_secs: i64,
    /// Fresh device meters one client address may start per day.
    pub new_meters_per_address_per_day: i64,
    /// Readers one gift link opens a story for.
    pub gift_max_uses: i64,
    /// Gift links a subscriber may make per 30 days.
    pub gifts_per_month: i64,
    /// How long a gift link works, in seconds.
    pub gift_valid_secs: i64,
}

impl Default for PaywallConfig {
    fn default() -> Self {
        PaywallConfig {
            meter_free: 8,
            meter_registered: 20,
            period_secs: 30 * 86_400,
            new_meters_per_address_per_day: 20,
            gift_max_uses: 10,
            gifts_per_month: 10,
            gift_valid_secs: 7 * 86_400,
        }
    }
}

/// The meter period `at` falls in.
pub fn period_of(at: i64, period_secs: i64) -> i64 {
    at.div_euclid(period_secs.max(1))
}

/// Who the meter counts for this reader: the account, else the device.
pub fn subject(reader: &Reader) -> Option<String> {
    match (reader.account, reader.device) {
        (Some(a), _) => Some(format!("a:{a}")),
        (None, Some(d)) => Some(format!("d:{d}")),
        (None, None) => None,
    }
}

/// How many metered stories this reader may open per period.
pub fn allowance(reader: &Reader, cfg: &PaywallConfig) -> i64 {
    if reader.account.is_some() {
        cfg.meter_registered
    } else {
        cfg.meter_free
    }
}

/// What the meter decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterVerdict {
    /// The story opens.
    pub open: bool,
    /// A fresh device cookie to set (the reader had none).
    pub new_device: Option<String>,
}

/// The keyed hash a client address is counted under, and today's number.
fn client_day(app: &App, client: Option<IpAddr>, at: i64) -> (String, i64) {
    let key = app
        .views()
        .signer()
        .keyed_hash("meter-client", &client_prefix(client));
    (key, at.div_euclid(86_400))
}

/// A signed device id for a reader without one, if their client address
/// may still start a meter today: (cookie value, device id).
pub(crate) async fn mint_device(
    app: &App,
    client: Option<IpAddr>,
    at: i64,
) -> Result<Option<(String, i64)>> {
    let cfg = &app.config().paywall;
    let (client_key, day) = client_day(app, client, at);
    if app.gate_cache().over_limit(&client_key, day) {
        return Ok(None);
    }
    if !app
        .store()
        .meter_mint(&client_key, day, cfg.new_meters_per_address_per_day)
        .await?
    {
        app.gate_cache().remember_over_limit(client_key, day);
        return Ok(None);
    }
    let signer = app.views().signer();
    let value = signer.issue();
    Ok(signer.verify(&value).map(|id| (value, id)))
}

/// The address a client is counted by: IPv4 whole, IPv6 by its /64.
fn client_prefix(client: Option<IpAddr>) -> String {
    match client {
        None => "unknown".into(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!("{:x}/64", u128::from(v6) >> 64),
        },
    }
}

/// What the meter says from this node's memory alone: `Some(true)` open,
/// `Some(false)` cut (spent, or a reader without a device cookie whose
/// address may start no meter today), `None` when only the database can
/// say. Never counts anything.
pub(crate) fn open_in_memory(app: &App, reader: &Reader, story: i64, at: i64) -> Option<bool> {
    let cache = app.gate_cache();
    match subject(reader) {
        Some(s) => cache.meter(&s, period_of(at, app.config().paywall.period_secs), story),
        None => {
            let (client_key, day) = client_day(app, reader.client, at);
            cache.over_limit(&client_key, day).then_some(false)
        }
    }
}

/// Opens metered story `story` for `reader` at `at` if their meter allows
/// (see the module docs). Called only by [`crate::entitlement::decide`].
pub(crate) async fn open(app: &App, reader: &Reader, story: i64, at: i64) -> Result<MeterVerdict> {
    if let Some(open) = open_in_memory(app, reader, story, at) {
        return Ok(MeterVerdict {
            open,
            new_device: None,
        });
    }
    let cfg = &app.config().paywall;
    let (subject, new_device) = match subject(reader) {
        Some(s) => (s, None),
        None => match mint_device(app, reader.client, at).await? {
            Some((value, id)) => (format!("d:{id}"), Some(value)),
            None => {
                return Ok(MeterVerdict {
                    open: false,
                    new_device: None,
                });
            }
        },
    };
    let started = std::time::Instant::now();
    let period = period_of(at, cfg.period_secs);
    let allowance = allowance(reader, cfg);
    let (r, opened) = app
        .store()
        .meter_open(&subject, period, story, allowance, at)
        .await?;
    metrics::histogram!("broadsheet_meter_decision_seconds")
        .record(started.elapsed().as_secs_f64());
    app.gate_cache()
        .remember_meter(&subject, period, opened, allowance);
    Ok(MeterVerdict {
        open: r != MeterOpen::Spent,
        new_device,
    })
}

/// Metered stories this reader opened in the current period (for the
/// reader's own account page; never baked into a cached page).
pub async fn used(app: &App, reader: &Reader, at: i64) -> Result<i64> {
    let Some(s) = subject(reader) else {
        return Ok(0);
    };
    Ok(app
        .store()
        .meter_used(&s, period_of(at, app.config().paywall.period_secs))
        .await?)
}

/// What a "subscribers only over the meter" rule is set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// A section (and every section under it).
    Section(i64),
    /// A tag.
    Tag(i64),
}

/// Sets or clears "subscribers only over the meter" on a section or tag:
/// its metered stories are then for subscribers only. Needs
/// `ManageTaxonomy`; audited; the pages showing it are purged on every node.
pub async fn set_over_meter(
    app: &App,
    actor: &broadsheet_domain::Actor,
    on: Over,
    subscribers_only: bool,
) -> Result<()> {
    crate::newsroom::require(
        actor,
        broadsheet_domain::permissions::Action::ManageTaxonomy,
        "set sections or tags for subscribers only",
    )?;
    let t = crate::now();
    let mut tx = app.store().begin().await?;
    let (what, key) = match on {
        Over::Section(id) => {
            if app.sections().get(id).is_none() {
                return Err(crate::AppError::NotFound(format!(
                    "There is no section {id}."
                )));
            }
            tx.set_paywall_section(id, subscribers_only).await?;
            (format!("section {id}"), crate::keys::Key::Section(id))
        }
        Over::Tag(id) => {
            tx.set_paywall_tag(id, subscribers_only).await?;
            (format!("tag {id}"), crate::keys::Key::Tag(id))
        }
    };
    let detail = format!(
        "{what}: metered stories {}",
        if subscribers_only {
            "for subscribers only"
        } else {
            "on the meter"
        }
    );
    tx.audit(actor, "paywall-rule", None, &detail, t).await?;
    // Story pages carry their sections' (up the tree) and tags' keys.
    tx.change(&crate::keys::join(&[key]), t).await?;
    tx.commit().await?;
    app.apply_changes().await?;
    Ok(())
}

/// The sections and the tags set "subscribers only over the meter" (ids).
pub async fn over_meter_rules(app: &App) -> Result<(Vec<i64>, Vec<i64>)> {
    Ok(app.store().paywall_rules().await?)
}

/// Deletes meter rows of ended periods and old mint counts, every hour.
pub(crate) async fn prune_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = prune(&app, crate::now()).await {
            tracing::warn!(error = %e, "pruning the meter failed; will retry");
        }
    }
}

/// Deletes rows of periods before the current one and mint counts before today.
pub async fn prune(app: &App, at: i64) -> Result<u64> {
    let cfg = &app.config().paywall;
    Ok(app
        .store()
        .prune_meter(period_of(at, cfg.period_secs), at.div_euclid(86_400))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_roll_over_at_their_boundary() {
        let p = 30 * 86_400;
        let cases = [
            (0, 0),
            (p - 1, 0),
            (p, 1),
            (2 * p + 5, 2),
            (-1, -1), // before 1970: still a whole period, not period 0
        ];
        for (at, want) in cases {
            assert_eq!(period_of(at, p), want, "at {at}");
        }
        assert_eq!(period_of(10, 0), 10, "a zero length is read as one second");
    }

    /// (account, device, expected subject, expected allowance)
    type SubjectCase = (Option<i64>, Option<i64>, Option<&'static str>, i64);

    #[test]
    fn the_subject_is_the_account_before_the_device() {
        let cfg = PaywallConfig::default();
        let cases: [SubjectCase; 4] = [
            (None, None, None, cfg.meter_free),
            (None, Some(7), Some("d:7"), cfg.meter_free),
            (Some(3), Some(7), Some("a:3"), cfg.meter_registered),
            (Some(3), None, Some("a:3"), cfg.meter_registered),
        ];
        for (account, device, want, allow) in cases {
            let r = Reader {
                account,
                device,
                ..Reader::default()
            };
            assert_eq!(subject(&r).as_deref(), want);
            assert_eq!(allowance(&r, &cfg), allow);
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_prefix(Some(a)), client_prefix(Some(b)));
        assert_ne!(client_prefix(Some(a)), client_prefix(Some(c)));
        let m: IpAddr = "::ffff:198.51.100.7".parse().expect("ip");
        assert_eq!(client_prefix(Some(m)), "198.51.100.7");
    }
}
