//! The payment provider behind subscriptions: the [`PaymentProvider`]
//! interface the use cases in `subscriptions.rs` call (hosted checkout, the
//! customer portal, cancel at period end, fetch a subscription, list
//! invoices), its Stripe implementation ([`StripeProvider`], plain HTTPS to
//! Stripe's form-encoded REST API through `reqwest` 0.12 with rustls and
//! ring, the one TLS stack the workspace has), and the check of a webhook's
//! `Stripe-Signature` header.
//!
//! No Stripe SDK crate: we use five endpoints, each a handful of form
//! fields, and read a few JSON fields back; a generated SDK would add
//! hundreds of thousands of lines and its own HTTP stack for that.

use std::sync::OnceLock;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// A secret from the command line: never printed (`Debug` shows its length).
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// Stripe settings (`--stripe-secret-key`, `--stripe-webhook-secret`,
/// `--stripe-api-base`).
#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    /// `https://api.stripe.com`, or a local fake in tests.
    pub api_base: String,
}

/// Default Stripe API address.
pub const STRIPE_API: &str = "https://api.stripe.com";

/// The paper's billing settings.
#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    /// Absent: subscriptions cannot be bought (`/subscribe` says so) and
    /// webhooks are refused.
    pub stripe: Option<StripeSettings>,
    /// After a failed renewal the reader keeps reading this long while the
    /// provider retries (`--grace-days`).
    pub grace_days: i64,
    /// Shown once to a reader who asks to cancel, before they confirm
    /// (`--retention-offer`; empty: no offer).
    pub retention_offer: String,
    /// How old a signed webhook may be (seconds) before it is refused as a
    /// replay.
    pub webhook_tolerance_secs: i64,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            stripe: None,
            grace_days: 7,
            retention_offer: String::new(),
            webhook_tolerance_secs: 300,
        }
    }
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// No provider is configured.
    #[error("payments are not set up on this paper")]
    NotConfigured,
    /// The provider refused or could not be reached; detail for the log.
    #[error("payment provider: {0}")]
    Provider(String),
}

/// A hosted checkout page to send the reader to.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// What a checkout is for.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub reader_id: i64,
    pub reader_email: String,
    pub plan_id: i64,
    pub price_id: String,
    pub trial_days: i64,
    pub success_url: String,
    pub cancel_url: String,
}

/// A subscription as the provider describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSubscription {
    pub id: String,
    pub customer: String,
    /// trialing, active, past_due, canceled, unpaid, incomplete, …
    pub status: String,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// From the metadata we put on it at checkout.
    pub reader_id: Option<i64>,
    pub plan_id: Option<i64>,
}

impl ProviderSubscription {
    /// Reads a Stripe subscription object (the period end at the top level,
    /// or on its first item as newer API versions put it).
    pub fn from_json(v: &Value) -> Option<ProviderSubscription> {
        let period_end = v["current_period_end"]
            .as_i64()
            .or_else(|| v["items"]["data"][0]["current_period_end"].as_i64());
        Some(ProviderSubscription {
            id: v["id"].as_str()?.to_string(),
            customer: id_of(&v["customer"])?,
            status: v["status"].as_str()?.to_string(),
            current_period_end: period_end,
            cancel_at_period_end: v["cancel_at_period_end"].as_bool().unwrap_or(false),
            reader_id: meta_i64(v, "reader_id"),
            plan_id: meta_i64(v, "plan_id"),
        })
    }
}

/// An invoice, for the reader's account page.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: String,
    pub created: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub status: String,
    pub url: Option<String>,
}

/// A field that is an id or an expanded object with an id.
pub fn id_of(v: &Value) -> Option<String> {
    v.as_str().or_else(|| v["id"].as_str()).map(str::to_string)
}

/// An integer in an object's `metadata` (Stripe keeps metadata as strings).
pub fn meta_i64(v: &Value, key: &str) -> Option<i64> {
    let m = &v["metadata"][key];
    m.as_i64()
        .or_else(|| m.as_str().and_then(|s| s.parse().ok()))
}

/// What the use cases need from a payment provider.
#[allow(async_fn_in_trait)]
pub trait PaymentProvider {
    /// A hosted checkout for a subscription to one price.
    async fn create_checkout(&self, req: &CheckoutRequest)
    -> Result<CheckoutSession, PaymentError>;
    /// A link to the provider's customer portal (cards, invoices).
    async fn portal_link(&self, customer: &str, return_url: &str) -> Result<String, PaymentError>;
    /// Cancels at the end of the paid period (the reader reads until then).
    async fn cancel_at_period_end(
        &self,
        subscription: &str,
    ) -> Result<ProviderSubscription, PaymentError>;
    async fn fetch_subscription(
        &self,
        subscription: &str,
    ) -> Result<ProviderSubscription, PaymentError>;
    /// The customer's latest invoices, newest first.
    async fn invoices(&self, customer: &str) -> Result<Vec<Invoice>, PaymentError>;
}

/// Stripe over its REST API.
#[derive(Debug, Clone)]
pub struct StripeProvider {
    settings: StripeSettings,
    http: reqwest::Client,
}

/// One HTTP client for the process (connection pool, TLS roots loaded once).
fn http_client() -> Result<reqwest::Client, PaymentError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c.clone());
    }
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| PaymentError::Provider(format!("building the HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| c).clone())
}

impl StripeProvider {
    pub fn new(settings: StripeSettings) -> Result<StripeProvider, PaymentError> {
        Ok(StripeProvider {
            settings,
            http: http_client()?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_base.trim_end_matches('/'))
    }

    async fn call(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Value, PaymentError> {
        let res = req
            .bearer_auth(&self.settings.secret_key.0)
            .send()
            .await
            .map_err(|e| PaymentError::Provider(format!("{what}: {e}")))?;
        let status = res.status();
        let body = res
            .text()
            .await
            .map_err(|e| PaymentError::Provider(format!("{what}: reading the answer: {e}")))?;
        if !status.is_success() {
            let msg: String = body.chars().take(500).collect();
            return Err(PaymentError::Provider(format!("{what}: {status}: {msg}")));
        }
        serde_json::from_str(&body)
            .map_err(|e| PaymentError::Provider(format!("{what}: not JSON: {e}")))
    }

    async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        what: &str,
    ) -> Result<Value, PaymentError> {
        self.call(self.http.post(self.url(path)).form(form), what)
            .await
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Value, PaymentError> {
        self.call(self.http.get(self.url(path)).query(query), what)
            .await
    }
}

fn pair(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn subscription_or_err(v: &Value, what: &str) -> Result<ProviderSubscription, PaymentError> {
    ProviderSubscription::from_json(v)
        .ok_or_else(|| PaymentError::Provider(format!("{what}: the answer is not a subscription")))
}

/// Stripe path segments are ids we were given: keep them to id characters.
fn path_id(id: &str) -> Result<&str, PaymentError> {
    if !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(id)
    } else {
        Err(PaymentError::Provider(format!("not a provider id: {id:?}")))
    }
}

impl PaymentProvider for StripeProvider {
    async fn create_checkout(&self, r: &CheckoutRequest) -> Result<CheckoutSession, PaymentError> {
        let mut form = vec![
            pair("mode", "subscription"),
            pair("line_items[0][price]", &r.price_id),
            pair("line_items[0][quantity]", 1),
            pair("success_url", &r.success_url),
            pair("cancel_url", &r.cancel_url),
            pair("client_reference_id", r.reader_id),
            pair("customer_email", &r.reader_email),
            pair("metadata[reader_id]", r.reader_id),
            pair("metadata[plan_id]", r.plan_id),
            pair("subscription_data[metadata][reader_id]", r.reader_id),
            pair("subscription_data[metadata][plan_id]", r.plan_id),
        ];
        if r.trial_days > 0 {
            form.push(pair("subscription_data[trial_period_days]", r.trial_days));
        }
        let v = self
            .post(
                "/v1/checkout/sessions",
                &form,
                "creating a checkout session",
            )
            .await?;
        match (v["id"].as_str(), v["url"].as_str()) {
            (Some(id), Some(url)) => Ok(CheckoutSession {
                id: id.to_string(),
                url: url.to_string(),
            }),
            _ => Err(PaymentError::Provider(
                "checkout session without an id or url".into(),
            )),
        }
    }

    async fn portal_link(&self, customer: &str, return_url: &str) -> Result<String, PaymentError> {
        let form = [pair("customer", customer), pair("return_url", return_url)];
        let v = self
            .post(
                "/v1/billing_portal/sessions",
                &form,
                "creating a portal session",
            )
            .await?;
        v["url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PaymentError::Provider("portal session without a url".into()))
    }

    async fn cancel_at_period_end(
        &self,
        subscription: &str,
    ) -> Result<ProviderSubscription, PaymentError> {
        let path = format!("/v1/subscriptions/{}", path_id(subscription)?);
        let v = self
            .post(
                &path,
                &[pair("cancel_at_period_end", "true")],
                "cancelling a subscription",
            )
            .await?;
        subscription_or_err(&v, "cancelling a subscription")
    }

    async fn fetch_subscription(
        &self,
        subscription: &str,
    ) -> Result<ProviderSubscription, PaymentError> {
        let path = format!("/v1/subscriptions/{}", path_id(subscription)?);
        let v = self.get(&path, &[], "fetching a subscription").await?;
        subscription_or_err(&v, "fetching a subscription")
    }

    async fn invoices(&self, customer: &str) -> Result<Vec<Invoice>, PaymentError> {
        let v = self
            .get(
                "/v1/invoices",
                &[("customer", customer), ("limit", "12")],
                "listing invoices",
            )
            .await?;
        let mut out: Vec<Invoice> = v["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| {
                        Some(Invoice {
                            id: i["id"].as_str()?.to_string(),
                            created: i["created"].as_i64().unwrap_or(0),
                            amount_minor: i["amount_paid"]
                                .as_i64()
                                .or_else(|| i["total"].as_i64())
                                .unwrap_or(0),
                            currency: i["currency"].as_str().unwrap_or("").to_string(),
                            status: i["status"].as_str().unwrap_or("").to_string(),
                            url: i["hosted_invoice_url"].as_str().map(str::to_string),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|i| std::cmp::Reverse(i.created));
        Ok(out)
    }
}

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header, or one without t= and v1=")]
    Malformed,
    #[error("the signature is older than the tolerance (a replay?)")]
    TooOld,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// Checks a `Stripe-Signature` header (`t=<unix>,v1=<hex>[,v1=…]`): some
/// `v1` must be HMAC-SHA256 of `"<t>.<payload>"` under `secret` (compared
/// in constant time by `hmac`), and `t` within `tolerance` seconds of `now`.
pub fn verify_signature(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut t: Option<i64> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse().ok(),
            Some(("v1", v)) => {
                if let Ok(b) = hex::decode(v) {
                    sigs.push(b);
                }
            }
            _ => {}
        }
    }
    let Some(t) = t else {
        return Err(SignatureError::Malformed);
    };
    if sigs.is_empty() || secret.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut ok = false;
    for s in &sigs {
        let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| SignatureError::Malformed)?;
        m.update(t.to_string().as_bytes());
        m.update(b".");
        m.update(payload);
        ok |= m.verify_slice(s).is_ok();
    }
    if !ok {
        return Err(SignatureError::Mismatch);
    }
    if (now - t).abs() > tolerance {
        return Err(SignatureError::TooOld);
    }
    Ok(())
}

/// The header value a sender with `secret` would put on `payload` at `t`
/// (tests and the local fake sign with it).
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_in_full() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign(body, "whsec_x", 1000);
        assert_eq!(verify_signature(&h, body, "whsec_x", 1000, 300), Ok(()));
        assert_eq!(
            verify_signature(&h, body, "whsec_y", 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&h, br#"{"id":"evt_2"}"#, "whsec_x", 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&h, body, "whsec_x", 1301, 300),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            verify_signature("v1=00", body, "whsec_x", 1000, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature("", body, "whsec_x", 1000, 300),
            Err(SignatureError::Malformed)
        );
        // Another v1 beside the right one (Stripe sends several while a secret rolls).
        let two = format!("{h},v1={}", "ab".repeat(32));
        assert_eq!(verify_signature(&two, body, "whsec_x", 1000, 300), Ok(()));
    }

    #[test]
    fn subscriptions_read_both_period_end_places() {
        let old = serde_json::json!({"id":"sub_1","customer":"cus_1","status":"active",
            "current_period_end": 50, "metadata": {"reader_id": "7"}});
        let new = serde_json::json!({"id":"sub_1","customer":{"id":"cus_1"},"status":"active",
            "items": {"data": [{"current_period_end": 50}]}, "metadata": {}});
        let a = ProviderSubscription::from_json(&old).expect("parses");
        let b = ProviderSubscription::from_json(&new).expect("parses");
        assert_eq!((a.current_period_end, a.reader_id), (Some(50), Some(7)));
        assert_eq!(
            (b.current_period_end, b.customer.as_str(), b.reader_id),
            (Some(50), "cus_1", None)
        );
    }
}
