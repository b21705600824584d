//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "broadsheet",
    version,
    about = "Broadsheet: the publishing platform of a daily newspaper, in one binary.",
    long_about = "Broadsheet: the publishing platform of a daily newspaper, in one binary.\n\n\
        With no database URL it keeps the paper in an SQLite file under the data directory; \
        give --database-url postgres://… to share a PostgreSQL database between several nodes.\n\n\
        Settings come from, in order: options, BROADSHEET_* environment variables, the TOML file \
        named by --config, then defaults. The file may hold: data_dir, database_url, listen, \
        paper_name, base_url, time_zone, most_read_window_hours, most_commented_window_hours, \
        page_cache_mb, max_connections, trusted_proxy_hops, metrics_listen, metrics_token, \
        rankings_every_secs, views_per_client, esi, smtp_url, mail_from, meter_free, \
        meter_registered, meter_period_days, meter_new_per_address, stripe_secret_key, \
        stripe_webhook_secret, stripe_api_base, grace_days, retention_offer, sse_max_connections, \
        newsletter_rate, api_cors_origins (a list). \
        Unknown keys are refused.\n\n\
        Logging: BROADSHEET_LOG (or RUST_LOG) sets the filter, e.g. `info` or `warn`; \
        BROADSHEET_LOG_FORMAT=json writes JSON lines."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// TOML configuration file.
    #[arg(long, global = true, env = "BROADSHEET_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database [default: ./data].
    #[arg(long, global = true, env = "BROADSHEET_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite:///path/file.db or postgres://user@host/db [default: DATA_DIR/broadsheet.db].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_DATABASE_URL",
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// The paper's name [default: The Northern Broadsheet].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_PAPER_NAME",
        value_name = "NAME"
    )]
    pub paper_name: Option<String>,
    /// Public address of the site, e.g. https://news.example.com (canonical links; HSTS when https)
    /// [default: http://LISTEN when --listen is a loopback address; required on any other].
    #[arg(long, global = true, env = "BROADSHEET_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// IANA time zone for times shown to readers [default: Europe/London].
    #[arg(long, global = true, env = "BROADSHEET_TIME_ZONE", value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// Most Read counts views in this many hours [default: 24].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_MOST_READ_WINDOW_HOURS",
        value_name = "HOURS"
    )]
    pub most_read_window_hours: Option<u32>,
    /// Most Commented counts comments in this many hours [default: 72].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_MOST_COMMENTED_WINDOW_HOURS",
        value_name = "HOURS"
    )]
    pub most_commented_window_hours: Option<u32>,
    /// In-process page cache size in MiB [default: 256].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_PAGE_CACHE_MB",
        value_name = "MIB"
    )]
    pub page_cache_mb: Option<u64>,
    /// Database connections per node [default: 16].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_MAX_CONNECTIONS",
        value_name = "N"
    )]
    pub max_connections: Option<u32>,
    /// Reverse proxies in front of every node (CDN, load balancer) that append
    /// to X-Forwarded-For; the client address is read through this many hops
    /// and no further [default: 0, the peer is the client].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_TRUSTED_PROXY_HOPS",
        value_name = "N"
    )]
    pub trusted_proxy_hops: Option<u8>,
    /// How often each node re-reads Most Read and Most Commented, in seconds
    /// [default: 10]. Editor's Picks and breaking news show at once regardless.
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_RANKINGS_EVERY_SECS",
        value_name = "SECS"
    )]
    pub rankings_every_secs: Option<u64>,
    /// Views one client address may add per minute; more are refused and
    /// counted in /metrics [default: 60].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_VIEWS_PER_CLIENT",
        value_name = "N"
    )]
    pub views_per_client: Option<u32>,
    /// Metered stories an anonymous reader may open per meter period [default: 8].
    #[arg(long, global = true, env = "BROADSHEET_METER_FREE", value_name = "N")]
    pub meter_free: Option<u32>,
    /// Metered stories a registered (signed-in, free) reader may open per
    /// meter period [default: 20].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_METER_REGISTERED",
        value_name = "N"
    )]
    pub meter_registered: Option<u32>,
    /// Length of a meter period in days; the meter starts again for every
    /// reader when a period ends [default: 30].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_METER_PERIOD_DAYS",
        value_name = "DAYS"
    )]
    pub meter_period_days: Option<u32>,
    /// Fresh meters (readers without a meter cookie) one client address may
    /// start per day; beyond it they get the preview [default: 20].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_METER_NEW_PER_ADDRESS",
        value_name = "N"
    )]
    pub meter_new_per_address: Option<u32>,
    /// Pages carry <esi:include> tags for the shared parts (Most Read, picks,
    /// breaking, More from) for a CDN that assembles them (Varnish with ESI).
    #[arg(long, global = true, env = "BROADSHEET_ESI")]
    pub esi: bool,
    /// Where the paper's mail goes (reader sign-in links, password resets):
    /// smtp://host:port, smtp://host:port?tls=required (STARTTLS) or
    /// smtps://user:password@host (TLS). Without it, mail is written to the
    /// log for the operator instead of being sent.
    #[arg(long, global = true, env = "BROADSHEET_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,
    /// The From: address of the paper's mail, such as "The Paper <news@example.com>"
    /// [default: the paper's name at noreply@ the base URL's host].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_MAIL_FROM",
        value_name = "ADDRESS"
    )]
    pub mail_from: Option<String>,
    /// Stripe secret API key (sk_live_… or sk_test_…): turns subscriptions
    /// on, with --stripe-webhook-secret. Prefer the environment variable.
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_STRIPE_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub stripe_secret_key: Option<String>,
    /// The signing secret of the Stripe webhook endpoint (whsec_…) that
    /// posts to /webhooks/stripe.
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_STRIPE_WEBHOOK_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's API address [default: https://api.stripe.com]; tests point
    /// it at a local fake.
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_STRIPE_API_BASE",
        value_name = "URL"
    )]
    pub stripe_api_base: Option<String>,
    /// Days a reader keeps reading after a failed renewal while the
    /// provider retries [default: 7].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_GRACE_DAYS",
        value_name = "DAYS"
    )]
    pub grace_days: Option<u32>,
    /// Newsletter messages sent per second by each node (the mail server's
    /// limit) [default: 10].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_NEWSLETTER_RATE",
        value_name = "PER_SECOND"
    )]
    pub newsletter_rate: Option<u32>,
    /// Words shown once to a reader who asks to cancel, before they confirm
    /// (e.g. an offer to call the subscriptions desk) [default: none].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_RETENTION_OFFER",
        value_name = "TEXT"
    )]
    pub retention_offer: Option<String>,
    /// Server-Sent Events connections (breaking news, live pages) this node
    /// holds at most; beyond, readers get 503 and pages work without pushes
    /// [default: 10000].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_SSE_MAX_CONNECTIONS",
        value_name = "N"
    )]
    pub sse_max_connections: Option<u32>,
    /// Origins whose web pages may read the Content API (/api/v1) from the
    /// browser (CORS), comma-separated: https://app.example.com,https://partner.example
    /// [default: none].
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_API_CORS_ORIGINS",
        value_name = "ORIGINS"
    )]
    pub api_cors_origins: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the paper (the default). Migrates, and makes a demo paper on first run.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Create or reset the demo paper (deletes all content first).
    Demo(DemoArgs),
    /// Rebuild derived data (rankings, caches and search index on every node) and prune expired views.
    Reindex,
    /// Withdraw or restore a story.
    Story {
        #[command(subcommand)]
        action: StoryAction,
    },
    /// Staff accounts: add, change role, reset password, list.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Show or set Editor's Picks.
    Picks {
        #[command(subcommand)]
        action: PicksAction,
    },
    /// The newsletters' suppression list: addresses no newsletter is sent
    /// to (bounces, complaints). For feeding a mail provider's complaint
    /// reports from a script.
    Mail {
        #[command(subcommand)]
        action: MailAction,
    },
    /// Ingest agency files (IPTC ninjs or NewsML-G2) as the agency, through
    /// the same door as its drop folder and push endpoint; prints what
    /// became of each item. An unreadable file is quarantined (see the
    /// newsroom's wire queue) and the command ends with an error.
    Ingest {
        /// The agency's short name.
        #[arg(long)]
        agency: String,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// News agencies: list, add, push token, rules.
    Agency {
        #[command(subcommand)]
        action: AgencyAction,
    },
}

/// `broadsheet agency …`.
#[derive(Debug, Subcommand)]
pub enum AgencyAction {
    /// List the agencies with their mode, section and drop folder.
    List,
    /// Set up an agency (an admin can do the same in the newsroom).
    Add {
        /// Short name: names the drop folder and the push address (pa, reuters).
        slug: String,
        #[arg(long)]
        name: String,
        /// The byline readers see ("Press Association").
        #[arg(long)]
        byline: String,
        /// Credit for its pictures [default: the byline].
        #[arg(long)]
        credit: Option<String>,
        /// The section its items go to when no rule says otherwise (its path, e.g. news).
        #[arg(long)]
        section: String,
        /// queue (the desk decides) or auto (published automatically).
        #[arg(long, default_value = "queue")]
        mode: String,
    },
    /// Make a new push token (printed once; the old one stops working).
    Token { slug: String },
    /// Replace the agency's mapping rules with the rules in FILE.
    Rules { slug: String, file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum MailAction {
    /// Add an address (`--reason complaint`, `bounce` or `manual`).
    Suppress {
        email: String,
        #[arg(long, default_value = "complaint")]
        reason: String,
    },
    /// Take an address off the list.
    Unsuppress { email: String },
    /// List the suppressed addresses, newest first.
    Suppressed,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BROADSHEET_LISTEN", value_name = "IP:PORT")]
    pub listen: Option<String>,
    /// Do not create a demo paper when the database is empty.
    #[arg(long, env = "BROADSHEET_NO_DEMO")]
    pub no_demo: bool,
    /// Make the demo paper (with its staff logins) on an empty database even
    /// when --listen is not a loopback address. Without it, a first start on a
    /// public address refuses to make the demo.
    #[arg(long, env = "BROADSHEET_DEMO_ON_PUBLIC_ADDRESS")]
    pub demo_on_public_address: bool,
    /// Serve /metrics (Prometheus) on this separate address, e.g.
    /// 127.0.0.1:9090 [default: off]. Keep it off the public network.
    #[arg(long, env = "BROADSHEET_METRICS_LISTEN", value_name = "IP:PORT")]
    pub metrics_listen: Option<String>,
    /// Serve /metrics on the public listener too, to requests with
    /// `Authorization: Bearer TOKEN` (at least 16 characters; prefer the
    /// environment variable or the file to the command line, which others on
    /// the machine can read) [default: off: /metrics on the public listener
    /// answers 404].
    #[arg(long, env = "BROADSHEET_METRICS_TOKEN", value_name = "TOKEN")]
    pub metrics_token: Option<String>,
    #[command(flatten)]
    pub social: Box<SocialArgs>,
}

/// Social sign-in for readers: each provider is offered (a button on the
/// sign-in page) when its client id and secret are given. Register
/// {base_url}/account/oauth/<google|facebook|linkedin|oidc>/callback as the
/// redirect URI with the provider. Prefer the environment variables or the
/// file for secrets: the command line is visible to others on the machine.
#[derive(Debug, Args, Default, Clone)]
pub struct SocialArgs {
    /// Google sign-in: OAuth client id.
    #[arg(long, env = "BROADSHEET_GOOGLE_CLIENT_ID", value_name = "ID")]
    pub google_client_id: Option<String>,
    /// Google sign-in: OAuth client secret.
    #[arg(long, env = "BROADSHEET_GOOGLE_CLIENT_SECRET", value_name = "SECRET")]
    pub google_client_secret: Option<String>,
    /// Facebook Login: app id.
    #[arg(long, env = "BROADSHEET_FACEBOOK_CLIENT_ID", value_name = "ID")]
    pub facebook_client_id: Option<String>,
    /// Facebook Login: app secret.
    #[arg(long, env = "BROADSHEET_FACEBOOK_CLIENT_SECRET", value_name = "SECRET")]
    pub facebook_client_secret: Option<String>,
    /// LinkedIn sign-in (OpenID Connect): client id.
    #[arg(long, env = "BROADSHEET_LINKEDIN_CLIENT_ID", value_name = "ID")]
    pub linkedin_client_id: Option<String>,
    /// LinkedIn sign-in: client secret.
    #[arg(long, env = "BROADSHEET_LINKEDIN_CLIENT_SECRET", value_name = "SECRET")]
    pub linkedin_client_secret: Option<String>,
    /// Any other OpenID Connect provider: its issuer URL (https), where
    /// /.well-known/openid-configuration is found.
    #[arg(long, env = "BROADSHEET_OIDC_ISSUER", value_name = "URL")]
    pub oidc_issuer: Option<String>,
    /// That provider's client id.
    #[arg(long, env = "BROADSHEET_OIDC_CLIENT_ID", value_name = "ID")]
    pub oidc_client_id: Option<String>,
    /// That provider's client secret.
    #[arg(long, env = "BROADSHEET_OIDC_CLIENT_SECRET", value_name = "SECRET")]
    pub oidc_client_secret: Option<String>,
    /// What its button says after "Sign in with" [default: the issuer's host].
    #[arg(long, env = "BROADSHEET_OIDC_NAME", value_name = "LABEL")]
    pub oidc_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of stories.
    #[arg(long, default_value_t = broadsheet_app::demo::DEFAULT_STORIES)]
    pub stories: usize,
    /// Seed: the same seed makes the same paper.
    #[arg(long, default_value_t = broadsheet_app::demo::DEFAULT_SEED)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum StoryAction {
    /// Withdraw a published story: readers get 410 Gone everywhere within seconds.
    Withdraw { id: i64 },
    /// Publish a withdrawn story again.
    Restore { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum PicksAction {
    /// List the current picks in order.
    Show,
    /// Replace the picks with these story ids, in this order.
    Set { ids: Vec<i64> },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a staff member. Prints a generated password unless --password-stdin.
    Add {
        username: String,
        /// Display name, as bylines show it.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// contributor, reporter, editor, moderator or admin.
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a staff member's role.
    Role { username: String, role: String },
    /// Set a new password (generated and printed, or read with --password-stdin).
    Reset {
        username: String,
        #[arg(long)]
        password_stdin: bool,
        /// Also turn off two-factor sign-in (a lost phone).
        #[arg(long)]
        clear_two_factor: bool,
    },
    /// List staff: username, role, name.
    List,
}
