//! Social sign-in for readers: Google, Facebook, LinkedIn and any OpenID
//! Connect provider named by its issuer URL, each enabled by the operator's
//! client id and secret.
//!
//! **The flow.** [`start`] discovers the provider (OpenID Connect kinds),
//! makes a state, a nonce and a PKCE verifier (S256), keeps them server-side
//! in `social_flows` under the SHA-256 of a random value that the browser
//! gets in a short-lived HttpOnly cookie, and returns the provider's
//! authorization URL. [`finish`] (the callback) takes that flow row, once
//! (a replayed callback finds nothing), checks the cookie and the state
//! match, exchanges the code with the verifier, and checks the ID token's
//! signature, issuer, audience, expiry and nonce with the `openidconnect`
//! crate. Facebook Login is OAuth 2 (with PKCE): its Graph API `/me` names
//! the person, and its email is never taken as verified.
//!
//! **Accounts.** An identity is the provider's (provider, subject). Known:
//! sign in to its account. New: with a signed-in reader who asked to link,
//! link to them; else with an email the provider vouches for, link to the
//! account with that address or make one ([`crate::readers`]); else (an
//! address nobody vouched for) make a new account only if the address is
//! free, and never join an existing one. Everything (account, identity,
//! session, audit) is written in one transaction after the whole flow
//! verified: a refused flow writes nothing but the removal of its own flow
//! row.
//!
//! Every outbound request goes through [`crate::egress::Egress`].

use std::time::Duration;

use broadsheet_domain::readers as rules;
use broadsheet_domain::{Actor, ReaderAccount};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};

use crate::egress::{Egress, EgressError, error_chain};
use crate::readers::ReaderSessionToken;
use crate::signin::{random_token, token_hash};
use crate::{App, now};

/// How long a reader has to finish a flow at the provider.
pub const FLOW_SECS: i64 = 600;
/// Longest time all the provider requests of one step may take together.
pub const STEP_TIME: Duration = Duration::from_secs(20);
/// Longest subject or email accepted from a provider.
const MAX_CLAIM: usize = 255;

/// Facebook Login endpoints (Graph API version pinned).
const FACEBOOK_AUTH: &str = "https://www.facebook.com/v21.0/dialog/oauth";
const FACEBOOK_TOKEN: &str = "https://graph.facebook.com/v21.0/oauth/access_token";
const FACEBOOK_ME: &str = "https://graph.facebook.com/v21.0/me?fields=id,name,email";

/// The kinds of provider the paper knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Google,
    Facebook,
    LinkedIn,
    /// Any OpenID Connect provider, by issuer URL.
    Oidc,
}

impl ProviderKind {
    /// The provider's name in URLs and in `reader_identities.provider`.
    pub fn key(self) -> &'static str {
        match self {
            ProviderKind::Google => "google",
            ProviderKind::Facebook => "facebook",
            ProviderKind::LinkedIn => "linkedin",
            ProviderKind::Oidc => "oidc",
        }
    }

    /// The symbol in the icon sprite (`i-<name>`).
    pub fn icon(self) -> &'static str {
        match self {
            ProviderKind::Google => "google",
            ProviderKind::Facebook => "facebook",
            ProviderKind::LinkedIn => "linkedin",
            ProviderKind::Oidc => "sign-in",
        }
    }

    /// The issuer of the providers that have a fixed one.
    pub fn fixed_issuer(self) -> Option<&'static str> {
        match self {
            ProviderKind::Google => Some("https://accounts.google.com"),
            ProviderKind::LinkedIn => Some("https://www.linkedin.com/oauth"),
            ProviderKind::Facebook | ProviderKind::Oidc => None,
        }
    }
}

/// One configured provider.
#[derive(Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// What the button says after "Sign in with".
    pub label: String,
    /// The OpenID Connect issuer (empty for Facebook).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("label", &self.label)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"…")
            .finish()
    }
}

impl ProviderConfig {
    /// A provider of a kind with a fixed issuer (or Facebook).
    pub fn known(kind: ProviderKind, client_id: &str, client_secret: &str) -> ProviderConfig {
        let label = match kind {
            ProviderKind::Google => "Google",
            ProviderKind::Facebook => "Facebook",
            ProviderKind::LinkedIn => "LinkedIn",
            ProviderKind::Oidc => "OpenID Connect",
        };
        ProviderConfig {
            kind,
            label: label.into(),
            issuer: kind.fixed_issuer().unwrap_or("").into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

/// The social sign-in settings.
#[derive(Debug, Clone, Default)]
pub struct SocialConfig {
    pub providers: Vec<ProviderConfig>,
    /// Admit http and loopback provider addresses (tests against a local
    /// provider only; the command line never sets it).
    pub allow_loopback: bool,
}

impl SocialConfig {
    /// Checks the settings, in words for the operator.
    pub fn check(&self, base_url: Option<&str>) -> std::result::Result<(), String> {
        if self.providers.is_empty() {
            return Ok(());
        }
        if base_url.is_none() {
            return Err("social sign-in needs --base-url (the callback address providers send readers back to is {base_url}/account/oauth/<provider>/callback)".into());
        }
        let egress = Egress::new(self.allow_loopback)?;
        for p in &self.providers {
            if p.client_id.trim().is_empty() || p.client_secret.trim().is_empty() {
                return Err(format!(
                    "{} sign-in needs both a client id and a client secret: give --{k}-client-id and --{k}-client-secret, or neither",
                    p.label,
                    k = p.kind.key()
                ));
            }
            if p.kind != ProviderKind::Facebook {
                let u = url::Url::parse(&p.issuer).map_err(|e| {
                    format!(
                        "the OpenID Connect issuer {:?} is not a URL ({e}): give it like https://login.example.com",
                        p.issuer
                    )
                })?;
                egress.check_url(&u).map_err(|e| {
                    format!(
                        "the OpenID Connect issuer {:?} cannot be used ({e}): give a public https address",
                        p.issuer
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// A button for the sign-in page.
#[derive(Debug, Clone)]
pub struct Button {
    pub key: &'static str,
    pub label: String,
    pub icon: &'static str,
}

/// The configured providers, in the order given.
pub fn buttons(app: &App) -> Vec<Button> {
    app.config()
        .social
        .providers
        .iter()
        .map(|p| Button {
            key: p.kind.key(),
            label: p.label.clone(),
            icon: p.kind.icon(),
        })
        .collect()
}

/// Why social sign-in failed. [`SocialError::user_message`] is what the
/// reader sees; [`SocialError::detail`] is for the log only.
#[derive(Debug)]
pub enum SocialError {
    /// No such provider is configured.
    UnknownProvider,
    /// The flow cannot go on (cookie, state, expiry, a choice the reader
    /// must make): the message says what to do.
    Refused(String),
    /// The provider did not answer (or not usably).
    Down { label: String, detail: String },
    /// The provider's answer did not verify (signature, audience, expiry,
    /// nonce) or it refused the sign-in.
    Unverified { label: String, detail: String },
    /// Failed on our side.
    Internal(String),
}

impl SocialError {
    pub fn user_message(&self) -> String {
        match self {
            SocialError::UnknownProvider => {
                "That way of signing in is not offered here: sign in with email.".into()
            }
            SocialError::Refused(m) => m.clone(),
            SocialError::Down { label, .. } => format!(
                "Sign-in with {label} failed: the provider did not answer; try again or sign in with email."
            ),
            SocialError::Unverified { label, .. } => format!(
                "Sign-in with {label} failed: its answer could not be verified; try again or sign in with email."
            ),
            SocialError::Internal(_) => crate::readers::INTERNAL_MESSAGE.into(),
        }
    }

    /// The detail for the log (never shown).
    pub fn detail(&self) -> String {
        match self {
            SocialError::UnknownProvider => "unknown provider".into(),
            SocialError::Refused(m) => m.clone(),
            SocialError::Down { detail, .. }
            | SocialError::Unverified { detail, .. }
            | SocialError::Internal(detail) => detail.clone(),
        }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, SocialError::Internal(_))
    }

    /// Whether the provider (not the reader, not us) is at fault.
    pub fn is_provider(&self) -> bool {
        matches!(self, SocialError::Down { .. })
    }
}

impl From<broadsheet_store::StoreError> for SocialError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        SocialError::Internal(e.to_string())
    }
}

impl From<crate::readers::ReaderError> for SocialError {
    fn from(e: crate::readers::ReaderError) -> Self {
        if e.is_internal() {
            SocialError::Internal(e.to_string())
        } else {
            SocialError::Refused(e.user_message())
        }
    }
}

type Result<T> = std::result::Result<T, SocialError>;

/// A started flow: send the browser to `redirect_to` with `flow_cookie` set.
#[derive(Debug, Clone)]
pub struct Started {
    pub redirect_to: String,
    /// The value of the flow cookie (its SHA-256 keys the flow row).
    pub flow_cookie: String,
    pub max_age: i64,
}

/// What the callback brought.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    /// The flow cookie, if the browser sent one.
    pub flow_cookie: Option<String>,
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's `error` (the reader cancelled, …).
    pub error: Option<String>,
    /// The reader signed in on this browser now, if any.
    pub signed_in: Option<i64>,
}

/// A finished flow: the reader, their new session, where to go.
#[derive(Debug, Clone)]
pub struct Finished {
    pub reader: ReaderAccount,
    pub session: ReaderSessionToken,
    pub return_to: String,
    /// A new identity was linked (to a new or an existing account).
    pub linked: bool,
    /// A new account was made.
    pub created: bool,
}

/// Who the provider says the person is.
#[derive(Debug, Clone)]
struct Person {
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: String,
}

/// A path on this site to return to (else `/account`): the rule of
/// [`crate::readers::return_path`].
pub fn safe_return(path: &str) -> String {
    crate::readers::return_path(path).unwrap_or_else(|| "/account".into())
}

fn provider<'a>(app: &'a App, key: &str) -> Result<&'a ProviderConfig> {
    app.config()
        .social
        .providers
        .iter()
        .find(|p| p.kind.key() == key)
        .ok_or(SocialError::UnknownProvider)
}

/// The callback address registered with providers.
pub fn callback_url(app: &App, key: &str) -> Result<String> {
    let base = app.config().base_url.as_deref().ok_or_else(|| {
        SocialError::Internal("social sign-in configured without a base URL".into())
    })?;
    Ok(format!(
        "{}/account/oauth/{key}/callback",
        base.trim_end_matches('/')
    ))
}

fn egress(app: &App) -> Result<Egress> {
    Egress::new(app.config().social.allow_loopback).map_err(SocialError::Internal)
}

fn down(p: &ProviderConfig, what: &str, e: impl std::fmt::Display) -> SocialError {
    SocialError::Down {
        label: p.label.clone(),
        detail: format!("{} {what}: {e}", p.kind.key()),
    }
}

fn unverified(p: &ProviderConfig, what: &str, e: impl std::fmt::Display) -> SocialError {
    SocialError::Unverified {
        label: p.label.clone(),
        detail: format!("{} {what}: {e}", p.kind.key()),
    }
}

/// An egress failure: our rules refusing a URL is a setup problem (logged
/// as internal detail, shown as "did not answer"); the rest is the
/// provider not answering.
fn egress_failure(p: &ProviderConfig, what: &str, e: &EgressError) -> SocialError {
    if let EgressError::Refused(_) = e {
        tracing::error!(provider = p.kind.key(), error = %e, "a provider URL was refused by the egress rules");
    }
    down(p, what, e)
}

async fn discover(p: &ProviderConfig, egress: &Egress) -> Result<CoreProviderMetadata> {
    let issuer = IssuerUrl::new(p.issuer.clone())
        .map_err(|e| SocialError::Internal(format!("issuer {:?}: {e}", p.issuer)))?;
    CoreProviderMetadata::discover_async(issuer, egress)
        .await
        .map_err(|e| match &e {
            openidconnect::DiscoveryError::Request(inner) => egress_failure(p, "discovery", inner),
            _ => down(p, "discovery", error_chain(&e)),
        })
}

fn oidc_client(
    app: &App,
    p: &ProviderConfig,
    meta: CoreProviderMetadata,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
> {
    let redirect = RedirectUrl::new(callback_url(app, p.kind.key())?)
        .map_err(|e| SocialError::Internal(format!("callback URL: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        meta,
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(p.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// Starts a flow with provider `key`. `link_reader` is the signed-in
/// reader who asked to link this provider to their account (their session
/// must still be the same at the callback).
pub async fn start(
    app: &App,
    key: &str,
    return_to: &str,
    link_reader: Option<i64>,
) -> Result<Started> {
    let p = provider(app, key)?;
    let egress = egress(app)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = match p.kind {
        ProviderKind::Facebook => {
            let state = CsrfToken::new_random();
            let mut u = url::Url::parse(FACEBOOK_AUTH)
                .map_err(|e| SocialError::Internal(format!("facebook URL: {e}")))?;
            u.query_pairs_mut()
                .append_pair("client_id", &p.client_id)
                .append_pair("redirect_uri", &callback_url(app, key)?)
                .append_pair("state", state.secret())
                .append_pair("response_type", "code")
                .append_pair("scope", "email,public_profile")
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256");
            (u, state, Nonce::new_random())
        }
        _ => {
            let meta = tokio::time::timeout(STEP_TIME, discover(p, &egress))
                .await
                .map_err(|_| down(p, "discovery", "took too long"))??;
            let client = oidc_client(app, p, meta)?;
            client
                .authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                )
                .add_scope(Scope::new("email".into()))
                .add_scope(Scope::new("profile".into()))
                .set_pkce_challenge(challenge)
                .url()
        }
    };
    let cookie = random_token();
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.insert_social_flow(
        &token_hash(&cookie),
        key,
        state.secret(),
        nonce.secret(),
        verifier.secret(),
        &safe_return(return_to),
        link_reader,
        t,
        t + FLOW_SECS,
    )
    .await?;
    tx.commit().await?;
    Ok(Started {
        redirect_to: url.to_string(),
        flow_cookie: cookie,
        max_age: FLOW_SECS,
    })
}

fn same_secret(a: &str, b: &str) -> bool {
    // Compare digests, so the time taken says nothing about the secret.
    token_hash(a) == token_hash(b)
}

/// Finishes a flow at the callback of provider `key`.
pub async fn finish(app: &App, key: &str, cb: Callback) -> Result<Finished> {
    let p = provider(app, key)?;
    let again = format!("Sign-in with {} did not complete: start again.", p.label);
    let Some(cookie) = cb.flow_cookie.as_deref().filter(|c| c.len() == 64) else {
        return Err(SocialError::Refused(format!(
            "Sign-in with {} did not start in this browser, or took too long: start again.",
            p.label
        )));
    };
    // Take the flow whatever happens next: it works once.
    let t = now();
    let mut tx = app.store().begin().await?;
    let flow = tx.take_social_flow(&token_hash(cookie)).await?;
    tx.commit().await?;
    let Some(flow) = flow else {
        return Err(SocialError::Refused(format!(
            "That sign-in with {} was finished or abandoned already: start again.",
            p.label
        )));
    };
    if flow.provider != key || flow.expires_at <= t {
        return Err(SocialError::Refused(again));
    }
    let state_ok = cb
        .state
        .as_deref()
        .is_some_and(|s| same_secret(s, &flow.state));
    if !state_ok {
        return Err(SocialError::Refused(again));
    }
    if let Some(err) = cb.error.as_deref() {
        let msg = if err == "access_denied" {
            format!(
                "Sign-in with {} was cancelled: try again or sign in with email.",
                p.label
            )
        } else {
            format!(
                "Sign-in with {} failed: the provider refused; try again or sign in with email.",
                p.label
            )
        };
        tracing::info!(provider = key, error = %err.chars().take(100).collect::<String>(), "provider returned an error");
        return Err(SocialError::Refused(msg));
    }
    let Some(code) = cb.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return Err(SocialError::Refused(again));
    };
    if let Some(want) = flow.link_reader_id
        && cb.signed_in != Some(want)
    {
        return Err(SocialError::Refused(format!(
            "You were signed out before linking {} finished: sign in and start again.",
            p.label
        )));
    }
    let egress = egress(app)?;
    let person = tokio::time::timeout(STEP_TIME, async {
        match p.kind {
            ProviderKind::Facebook => {
                facebook_person(app, p, &egress, code, &flow.pkce_verifier).await
            }
            _ => oidc_person(app, p, &egress, code, &flow.pkce_verifier, &flow.nonce).await,
        }
    })
    .await
    .map_err(|_| down(p, "token exchange", "took too long"))??;
    settle(app, p, person, flow.link_reader_id, flow.return_to).await
}

async fn oidc_person(
    app: &App,
    p: &ProviderConfig,
    egress: &Egress,
    code: String,
    verifier: &str,
    nonce: &str,
) -> Result<Person> {
    let meta = discover(p, egress).await?;
    let client = oidc_client(app, p, meta)?;
    let http = egress;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| down(p, "token endpoint", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|e| match &e {
            RequestTokenError::Request(inner) => egress_failure(p, "token request", inner),
            RequestTokenError::ServerResponse(r) => {
                unverified(p, "token refused", format!("{r:?}"))
            }
            _ => unverified(p, "token response", error_chain(&e)),
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| unverified(p, "token response", "no ID token"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_string()))
        .map_err(|e| unverified(p, "ID token", error_chain(&e)))?;
    let subject = claims.subject().as_str().to_string();
    let mut email = claims.email().map(|e| e.as_str().to_string());
    let mut email_verified = claims.email_verified().unwrap_or(false);
    let mut name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    if email.is_none() {
        // Some providers put the address only in user info; the crate
        // checks that its subject is the ID token's.
        if let Ok(req) = client.user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        ) {
            let info: openidconnect::core::CoreUserInfoClaims = req
                .request_async(http)
                .await
                .map_err(|e| unverified(p, "user info", error_chain(&e)))?;
            email = info.email().map(|e| e.as_str().to_string());
            email_verified = info.email_verified().unwrap_or(false);
            if name.is_empty() {
                name = info
                    .name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string())
                    .unwrap_or_default();
            }
        }
    }
    Ok(Person {
        subject,
        email,
        email_verified,
        name,
    })
}

async fn facebook_person(
    app: &App,
    p: &ProviderConfig,
    egress: &Egress,
    code: String,
    verifier: &str,
) -> Result<Person> {
    #[derive(serde::Deserialize)]
    struct TokenAnswer {
        access_token: String,
    }
    #[derive(serde::Deserialize)]
    struct Me {
        id: String,
        #[serde(default)]
        name: String,
        email: Option<String>,
    }
    let mut u = url::Url::parse(FACEBOOK_TOKEN)
        .map_err(|e| SocialError::Internal(format!("facebook URL: {e}")))?;
    u.query_pairs_mut()
        .append_pair("client_id", &p.client_id)
        .append_pair("client_secret", &p.client_secret)
        .append_pair("redirect_uri", &callback_url(app, p.kind.key())?)
        .append_pair("code", &code)
        .append_pair("code_verifier", verifier);
    let tok: TokenAnswer = get_json(p, egress, u.as_str(), None, "token").await?;
    let me: Me = get_json(p, egress, FACEBOOK_ME, Some(&tok.access_token), "me").await?;
    Ok(Person {
        subject: me.id,
        email: me.email,
        // Facebook does not say whether the address was proven.
        email_verified: false,
        name: me.name,
    })
}

async fn get_json<T: serde::de::DeserializeOwned>(
    p: &ProviderConfig,
    egress: &Egress,
    url: &str,
    bearer: Option<&str>,
    what: &str,
) -> Result<T> {
    let mut req = openidconnect::http::Request::builder()
        .method("GET")
        .uri(url)
        .header("accept", "application/json");
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    let req = req
        .body(Vec::new())
        .map_err(|e| SocialError::Internal(format!("{what} request: {e}")))?;
    let res = egress
        .send(req)
        .await
        .map_err(|e| egress_failure(p, what, &e))?;
    if !res.status().is_success() {
        return Err(unverified(p, what, format!("status {}", res.status())));
    }
    serde_json::from_slice(res.body()).map_err(|e| unverified(p, what, e))
}

/// Writes the outcome of a verified flow: account, identity, session and
/// audit rows in one transaction.
async fn settle(
    app: &App,
    p: &ProviderConfig,
    person: Person,
    link_reader: Option<i64>,
    return_to: String,
) -> Result<Finished> {
    let key = p.kind.key();
    let label = &p.label;
    if person.subject.is_empty() || person.subject.len() > MAX_CLAIM {
        return Err(unverified(p, "subject", "empty or too long"));
    }
    let email = match person.email.as_deref() {
        Some(e) if !e.trim().is_empty() => Some(rules::normalise_email(e).map_err(|_| {
            SocialError::Refused(format!(
                "{label} gave an email address we cannot use: sign in with email instead."
            ))
        })?),
        _ => None,
    };
    let t = now();
    let mut tx = app.store().begin().await?;
    let mut linked = false;
    let mut created = false;
    let reader_id = if let Some(known) = tx.identity(key, &person.subject).await? {
        if link_reader.is_some_and(|r| r != known.reader_id) {
            return Err(SocialError::Refused(format!(
                "That {label} account is linked to another reader account already: sign in with {label} to use it."
            )));
        }
        known.reader_id
    } else {
        let rid = if let Some(r) = link_reader {
            r
        } else {
            let Some(email) = email.as_deref() else {
                return Err(SocialError::Refused(format!(
                    "{label} did not share your email address: allow it, or sign in with email."
                )));
            };
            if person.email_verified {
                let before = tx.reader_by_email(email).await?;
                let row = crate::readers::find_or_create_verified(&mut tx, email, &person.name, t)
                    .await?;
                match before {
                    None => created = true,
                    Some(b) if b.email_verified_at.is_none() => {
                        // The address is proven only now: whoever made the
                        // account with it unproven loses their ways in that
                        // no provider vouched for, and their sessions.
                        tx.delete_unverified_identities(row.id).await?;
                        tx.end_reader_sessions(row.id).await?;
                    }
                    Some(_) => {}
                }
                row.id
            } else {
                if tx.reader_by_email(email).await?.is_some() {
                    return Err(SocialError::Refused(format!(
                        "There is an account with {email} already, and {label} does not confirm that address is yours: sign in to that account (with email), then link {label} from your account page."
                    )));
                }
                let name = rules::clean_display_name(&person.name)
                    .or_else(|_| rules::clean_display_name(email.split('@').next().unwrap_or("")))
                    .unwrap_or_else(|_| "Reader".into());
                let Some(id) = tx.insert_reader(email, &name, None, None, t).await? else {
                    return Err(SocialError::Refused(format!(
                        "There is an account with {email} already: sign in to it, then link {label} from your account page."
                    )));
                };
                tx.audit(
                    &Actor::Reader { id },
                    "reader.register",
                    None,
                    &format!("through {key}, address not verified"),
                    t,
                )
                .await?;
                created = true;
                id
            }
        };
        if tx
            .insert_identity(
                key,
                &person.subject,
                rid,
                email.as_deref().unwrap_or(""),
                person.email_verified,
                t,
            )
            .await?
            .is_none()
        {
            // Linked by a concurrent callback since we looked.
            return Err(SocialError::Refused(format!(
                "Sign-in with {label} was finished in another tab: reload."
            )));
        }
        tx.audit(
            &Actor::Reader { id: rid },
            "reader.social-link",
            None,
            &format!(
                "{key}{}",
                if person.email_verified {
                    " (verified address)"
                } else {
                    ""
                }
            ),
            t,
        )
        .await?;
        linked = true;
        rid
    };
    let session =
        crate::readers::open_session(&mut tx, reader_id, t, &format!("with {key}")).await?;
    let row = tx
        .reader(reader_id)
        .await?
        .ok_or_else(|| SocialError::Internal(format!("reader {reader_id} vanished")))?;
    tx.commit().await?;
    Ok(Finished {
        reader: row.account(),
        session,
        return_to,
        linked,
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_this_site() {
        assert_eq!(safe_return("/news/world/a-1"), "/news/world/a-1");
        assert_eq!(safe_return("/a?b=1#c"), "/a?b=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "",
            "x",
            "/%2F%2Fevil.example",
            "/%5cevil",
            "/\t/evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_return(bad), "/account", "{bad:?}");
        }
    }

    #[test]
    fn settings_need_a_base_url_both_secrets_and_an_https_issuer() {
        let mut c = SocialConfig::default();
        assert!(c.check(None).is_ok());
        c.providers
            .push(ProviderConfig::known(ProviderKind::Google, "id", "secret"));
        assert!(c.check(None).is_err());
        assert!(c.check(Some("https://news.example.com")).is_ok());
        c.providers
            .push(ProviderConfig::known(ProviderKind::Facebook, "id", " "));
        assert!(c.check(Some("https://news.example.com")).is_err());
        c.providers.pop();
        let mut o = ProviderConfig::known(ProviderKind::Oidc, "id", "secret");
        o.issuer = "http://10.0.0.5/".into();
        c.providers.push(o);
        assert!(c.check(Some("https://news.example.com")).is_err());
    }
}
