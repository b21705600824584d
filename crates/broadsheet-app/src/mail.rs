//! The one door for mail the paper sends (reader links, and newsletters through
//! [`Mailer::send_list`]): [`Mailer`]. With `--smtp-url` it delivers over
//! SMTP through `lettre` (rustls): `smtp://host:port` (plain, or STARTTLS
//! with `?tls=required`), `smtps://user:pass@host:465` (implicit TLS).
//! Without one (the embedded default) nothing leaves the machine: each
//! message is written to the log at `warn`, links included, for the
//! operator to pass on.
//!
//! Sending in the background ([`Mailer::send_later`]) keeps a request's
//! answer and timing the same whether or not a message went out (no
//! account enumeration through slow answers), and a slow mail server never
//! holds a page.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::PaperConfig;

/// How long one delivery may take before it is given up.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// One plain-text message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// A newsletter message: plain text and HTML, with the list headers a mail
/// client shows its unsubscribe button from (RFC 2369, RFC 2919, RFC 8058).
#[derive(Debug, Clone)]
pub struct ListMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `List-Id` (RFC 2919), such as `<morning-briefing.news.example.com>`.
    pub list_id: String,
    /// The one-click unsubscribe address (RFC 8058: a POST of
    /// `List-Unsubscribe=One-Click` to it unsubscribes).
    pub unsubscribe: String,
    /// A stable `Message-ID` (the same message sent again would carry the
    /// same one, so a receiving system can drop it).
    pub message_id: String,
}

/// A message that could not be sent (the detail is for the log).
#[derive(Debug, thiserror::Error)]
#[error("mail to {to} not sent: {detail}")]
pub struct MailError {
    pub to: String,
    pub detail: String,
    /// The server refused for good (an SMTP 5xx, such as an address that
    /// does not exist): sending again will not help.
    pub permanent: bool,
}

enum Transport {
    /// No SMTP server: log each message for the operator.
    Log,
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without its password, for logs.
        shown: String,
    },
}

/// Sends the paper's mail. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Mailer {
    /// The mailer the paper's settings ask for: SMTP at `smtp_url`, or the
    /// log. Errors are phrased for the operator. Call inside a Tokio runtime
    /// (the SMTP connection pool runs a task of its own).
    pub fn from_config(cfg: &PaperConfig) -> Result<Mailer, String> {
        let from = sender(cfg)?;
        let transport = match smtp_builder(cfg)? {
            None => Transport::Log,
            Some((builder, shown)) => Transport::Smtp {
                transport: builder.timeout(Some(SEND_TIMEOUT)).build(),
                shown,
            },
        };
        Ok(Mailer {
            transport: Arc::new(transport),
            from,
        })
    }

    /// Checks the mail settings without opening anything (for the
    /// configuration, before a runtime exists).
    pub fn check_config(cfg: &PaperConfig) -> Result<(), String> {
        sender(cfg)?;
        smtp_builder(cfg).map(|_| ())
    }

    /// A mailer that only logs (tests, tools).
    pub fn log_only(cfg: &PaperConfig) -> Result<Mailer, String> {
        Ok(Mailer {
            transport: Arc::new(Transport::Log),
            from: sender(cfg)?,
        })
    }

    /// Where mail goes, for the operator (no password).
    pub fn describe(&self) -> String {
        match &*self.transport {
            Transport::Log => "the log (no --smtp-url)".into(),
            Transport::Smtp { shown, .. } => format!("SMTP at {shown}"),
        }
    }

    /// Sends one message and waits for the server's answer.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let fail = |detail: String| MailError {
            to: mail.to.clone(),
            detail,
            permanent: false,
        };
        match &*self.transport {
            Transport::Log => {
                tracing::warn!(
                    target: "broadsheet::mail",
                    to = %mail.to,
                    subject = %mail.subject,
                    "no --smtp-url: this mail was not sent; pass it on if it should reach the reader:\n{}",
                    mail.text
                );
                Ok(())
            }
            Transport::Smtp { transport, .. } => {
                let to: Mailbox = mail
                    .to
                    .parse()
                    .map_err(|e| fail(format!("bad recipient: {e}")))?;
                let msg = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(mail.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone())
                    .map_err(|e| fail(format!("cannot build the message: {e}")))?;
                transport.send(msg).await.map_err(|e| fail(e.to_string()))?;
                metrics::counter!("broadsheet_mail_sent_total").increment(1);
                Ok(())
            }
        }
    }

    /// Sends one newsletter message and waits for the server's answer; a
    /// refusal for good says so (`MailError::permanent`).
    pub async fn send_list(&self, mail: &ListMail) -> Result<(), MailError> {
        let fail = |detail: String, permanent: bool| MailError {
            to: mail.to.clone(),
            detail,
            permanent,
        };
        match &*self.transport {
            Transport::Log => {
                tracing::warn!(
                    target: "broadsheet::mail",
                    to = %mail.to,
                    subject = %mail.subject,
                    list = %mail.list_id,
                    "no --smtp-url: this newsletter was not sent:\n{}",
                    mail.text
                );
                Ok(())
            }
            Transport::Smtp { transport, .. } => {
                let to: Mailbox = mail
                    .to
                    .parse()
                    .map_err(|e| fail(format!("bad recipient: {e}"), true))?;
                let header = |name: &'static str, value: String| {
                    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
                };
                let msg = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(mail.subject.clone())
                    .message_id(Some(mail.message_id.clone()))
                    .raw_header(header("List-Id", mail.list_id.clone()))
                    .raw_header(header(
                        "List-Unsubscribe",
                        format!("<{}>", mail.unsubscribe),
                    ))
                    .raw_header(header(
                        "List-Unsubscribe-Post",
                        broadsheet_domain::newsletters::ONE_CLICK_BODY.to_string(),
                    ))
                    .multipart(MultiPart::alternative_plain_html(
                        mail.text.clone(),
                        mail.html.clone(),
                    ))
                    .map_err(|e| fail(format!("cannot build the message: {e}"), false))?;
                transport
                    .send(msg)
                    .await
                    .map_err(|e| fail(e.to_string(), e.is_permanent()))?;
                metrics::counter!("broadsheet_newsletter_sent_total").increment(1);
                Ok(())
            }
        }
    }

    /// Sends in the background; a failure is logged (and counted), never
    /// shown to whoever caused the mail.
    pub fn send_later(&self, mail: Mail) {
        let me = self.clone();
        let send = async move {
            if let Err(e) = me.send(&mail).await {
                metrics::counter!("broadsheet_mail_failed_total").increment(1);
                tracing::error!(error = %e, "mail delivery failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(send);
            }
            Err(_) => tracing::error!("mail not sent: no async runtime to send it on"),
        }
    }
}

/// The SMTP transport `smtp_url` names (and the URL without its password),
/// or `None` for the log.
fn smtp_builder(
    cfg: &PaperConfig,
) -> Result<Option<(lettre::transport::smtp::AsyncSmtpTransportBuilder, String)>, String> {
    let Some(url) = cfg
        .smtp_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    let shown = broadsheet_store::redact(url);
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err(format!(
            "SMTP URL {shown:?} must start with smtp:// or smtps://, such as smtp://127.0.0.1:25 or smtps://user:password@mail.example.com"
        ));
    }
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
        format!("SMTP URL {shown:?} is not usable: {e}; use smtp://host:port or smtps://user:password@host")
    })?;
    Ok(Some((builder, shown)))
}

/// The base URL's host (`localhost` without one): the paper's mail domain.
pub(crate) fn site_host(cfg: &PaperConfig) -> &str {
    cfg.base_url
        .as_deref()
        .and_then(|u| u.split_once("://"))
        .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or(""))
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost")
}

/// The `From:` of the paper's mail: `--mail-from`, else the paper's name at
/// `noreply@` the base URL's host (or `localhost`).
fn sender(cfg: &PaperConfig) -> Result<Mailbox, String> {
    if let Some(f) = cfg.mail_from.as_deref().filter(|f| !f.trim().is_empty()) {
        return f.trim().parse().map_err(|e| {
            format!("mail sender {f:?} is not an address ({e}): use news@example.com or \"The Paper <news@example.com>\"")
        });
    }
    let host = site_host(cfg);
    let addr = Address::new("noreply", host)
        .map_err(|e| format!("cannot make a sender address at {host:?}: {e}; set --mail-from"))?;
    Ok(Mailbox::new(Some(cfg.name.clone()), addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_comes_from_the_base_url_or_the_setting() -> Result<(), String> {
        let mut cfg = PaperConfig::default();
        assert_eq!(sender(&cfg)?.email.to_string(), "noreply@localhost");
        cfg.base_url = Some("https://news.example.com:8443/".into());
        assert_eq!(sender(&cfg)?.email.to_string(), "noreply@news.example.com");
        cfg.mail_from = Some("Desk <desk@example.com>".into());
        assert_eq!(sender(&cfg)?.email.to_string(), "desk@example.com");
        cfg.mail_from = Some("not an address".into());
        assert!(sender(&cfg).is_err());
        Ok(())
    }

    #[tokio::test]
    async fn smtp_urls_are_checked_before_use() {
        let mut cfg = PaperConfig::default();
        assert!(Mailer::from_config(&cfg).is_ok_and(|m| m.describe().contains("log")));
        cfg.smtp_url = Some("http://mail.example.com".into());
        assert!(Mailer::from_config(&cfg).is_err_and(|e| e.contains("smtp://")));
        cfg.smtp_url = Some("smtps://user:secret@mail.example.com".into());
        let m = Mailer::from_config(&cfg).map_err(|e| e.to_string());
        assert!(
            m.as_ref().is_ok_and(|m| !m.describe().contains("secret")),
            "{m:?}"
        );
    }
}
