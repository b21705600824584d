//! Newsletters, subscriptions with their record of consent, issues, the
//! send queue and the suppression list (issue 13 item 5). The rows only:
//! who may subscribe, what an issue holds, how fast it is sent and what a
//! reader sees are the app's (`broadsheet_app::newsletters`).

use sqlx::FromRow;

use crate::tx::{TxInner, on_tx};
use crate::{Store, StoreError, Tx, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A newsletter readers can choose.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NewsletterRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub section_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub send_hour: i64,
    pub active: bool,
    pub created_at: i64,
}

/// One reader's subscription to one newsletter, with its record of consent.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NewsletterSubscriptionRow {
    pub reader_id: i64,
    pub newsletter_id: i64,
    pub status: String,
    pub consent_text: String,
    pub requested_at: i64,
    pub requested_via: String,
    pub confirmed_at: Option<i64>,
    pub unsubscribed_at: Option<i64>,
    pub unsubscribed_via: Option<String>,
}

/// An issue of a newsletter, with its sending figures.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IssueRow {
    pub id: i64,
    pub newsletter_id: i64,
    pub period: String,
    pub status: String,
    pub subject: String,
    pub story_ids: String,
    pub window_start: i64,
    pub window_end: i64,
    pub built_at: i64,
    pub finished_at: Option<i64>,
    pub opens: i64,
    pub clicks: i64,
    /// Recipients (every send row).
    pub recipients: i64,
    pub sent: i64,
    pub failed: i64,
    /// Queued, claimed or being sent now.
    pub waiting: i64,
    /// Suppressed or interrupted (not sent, not to be).
    pub not_sent: i64,
}

/// One message due to be sent, claimed by this node.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SendJob {
    pub issue_id: i64,
    pub reader_id: i64,
    pub newsletter_id: i64,
    pub email: String,
    pub attempts: i64,
}

/// An address no newsletter is sent to.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SuppressionRow {
    pub email: String,
    pub reason: String,
    pub detail: String,
    pub created_at: i64,
}

const NEWSLETTER_COLUMNS: &str = "id, slug, name, description, kind, section_id, tag_id, send_hour, \
     active <> 0 AS active, created_at";

const SUBSCRIPTION_COLUMNS: &str = "reader_id, newsletter_id, status, consent_text, requested_at, \
     requested_via, confirmed_at, unsubscribed_at, unsubscribed_via";

const ISSUE_COLUMNS: &str = "i.id, i.newsletter_id, i.period, i.status, i.subject, i.story_ids, \
     i.window_start, i.window_end, i.built_at, i.finished_at, i.opens, i.clicks, \
     (SELECT COUNT(*) FROM newsletter_sends s WHERE s.issue_id = i.id) AS recipients, \
     (SELECT COUNT(*) FROM newsletter_sends s WHERE s.issue_id = i.id AND s.status = 'sent') AS sent, \
     (SELECT COUNT(*) FROM newsletter_sends s WHERE s.issue_id = i.id AND s.status = 'failed') AS failed, \
     (SELECT COUNT(*) FROM newsletter_sends s WHERE s.issue_id = i.id \
        AND s.status IN ('queued', 'claimed', 'sending')) AS waiting, \
     (SELECT COUNT(*) FROM newsletter_sends s WHERE s.issue_id = i.id \
        AND s.status IN ('suppressed', 'interrupted')) AS not_sent";

impl Store {
    /// Every newsletter, in the order readers see them (the briefing first).
    pub async fn newsletters(&self) -> Result<Vec<NewsletterRow>> {
        let sql = format!(
            "SELECT {NEWSLETTER_COLUMNS} FROM newsletters \
             ORDER BY CASE kind WHEN 'briefing' THEN 0 WHEN 'section' THEN 1 ELSE 2 END, name, id"
        );
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(p).await)?,
        )
    }

    pub async fn newsletter(&self, id: i64) -> Result<Option<NewsletterRow>> {
        let sql = format!("SELECT {NEWSLETTER_COLUMNS} FROM newsletters WHERE id = $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).fetch_optional(p).await)?,
        )
    }

    /// A reader's subscriptions (any state).
    pub async fn reader_subscriptions(
        &self,
        reader: i64,
    ) -> Result<Vec<NewsletterSubscriptionRow>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM newsletter_subscriptions WHERE reader_id = $1 \
             ORDER BY newsletter_id"
        );
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(reader).fetch_all(p).await)?,
        )
    }

    /// Subscribers of each newsletter: (newsletter, active, pending).
    pub async fn subscriber_counts(&self) -> Result<Vec<(i64, i64, i64)>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT newsletter_id, \
             SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) \
             FROM newsletter_subscriptions GROUP BY newsletter_id"
        ).fetch_all(p).await)?)
    }

    /// The day of a newsletter's newest issue (no figures: the job asks
    /// every minute).
    pub async fn last_period(&self, newsletter: i64) -> Result<Option<String>> {
        Ok(with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT period FROM newsletter_issues WHERE newsletter_id = $1 ORDER BY id DESC LIMIT 1"
        ).bind(newsletter).fetch_optional(p).await)?)
    }

    /// Where a newsletter's newest issue ended, and the stories it carried.
    pub async fn last_window(&self, newsletter: i64) -> Result<Option<(i64, String)>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT window_end, story_ids FROM newsletter_issues WHERE newsletter_id = $1 ORDER BY id DESC LIMIT 1"
        ).bind(newsletter).fetch_optional(p).await)?)
    }

    pub async fn issue(&self, id: i64) -> Result<Option<IssueRow>> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM newsletter_issues i WHERE i.id = $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).fetch_optional(p).await)?,
        )
    }

    /// The newest issues of every newsletter, with their figures.
    pub async fn recent_issues(&self, limit: i64) -> Result<Vec<IssueRow>> {
        let sql =
            format!("SELECT {ISSUE_COLUMNS} FROM newsletter_issues i ORDER BY i.id DESC LIMIT $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(limit).fetch_all(p).await)?,
        )
    }

    /// Clicks of an issue per story, most first.
    pub async fn issue_clicks(&self, issue: i64) -> Result<Vec<(i64, i64)>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT story_id, clicks FROM newsletter_clicks WHERE issue_id = $1 ORDER BY clicks DESC, story_id"
        ).bind(issue).fetch_all(p).await)?)
    }

    /// Counts an open of an issue (no reader is recorded). False: no such issue.
    pub async fn count_open(&self, issue: i64) -> Result<bool> {
        let n = with_pool!(&self.db, p => sqlx::query(
            "UPDATE newsletter_issues SET opens = opens + 1 WHERE id = $1 AND status <> 'skipped'"
        ).bind(issue).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Counts a click on a story in an issue, if the issue listed it.
    pub async fn count_click(&self, issue: i64, story: i64) -> Result<bool> {
        let n = with_pool!(&self.db, p => sqlx::query(
            "UPDATE newsletter_issues SET clicks = clicks + 1 WHERE id = $1 AND status <> 'skipped' \
             AND (' ' || story_ids || ' ') LIKE ('% ' || $2 || ' %')"
        ).bind(issue).bind(story.to_string()).execute(p).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            with_pool!(&self.db, p => sqlx::query(
                "INSERT INTO newsletter_clicks (issue_id, story_id, clicks) VALUES ($1, $2, 1) \
                 ON CONFLICT (issue_id, story_id) DO UPDATE SET clicks = newsletter_clicks.clicks + 1"
            ).bind(issue).bind(story).execute(p).await.map(|_| ()))?;
        }
        Ok(n == 1)
    }

    /// How many times a reader did `action` (the audit log) since `since`.
    pub async fn reader_actions_since(&self, reader: i64, action: &str, since: i64) -> Result<i64> {
        Ok(with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'reader' AND actor_id = $1 AND action = $2 AND at >= $3"
        ).bind(reader).bind(action).bind(since).fetch_one(p).await)?)
    }

    /// A tag's name by its number.
    pub async fn tag_name(&self, id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(&self.db, p => sqlx::query_scalar("SELECT name FROM tags WHERE id = $1")
            .bind(id).fetch_optional(p).await)?,
        )
    }

    /// Whether an address is on the suppression list.
    pub async fn is_suppressed(&self, email: &str) -> Result<bool> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_suppressions WHERE email = $1"
        ).bind(email).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// The suppression list, newest first.
    pub async fn suppressions(&self, limit: i64) -> Result<Vec<SuppressionRow>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT email, reason, detail, created_at FROM mail_suppressions ORDER BY created_at DESC, email LIMIT $1"
        ).bind(limit).fetch_all(p).await)?)
    }

    /// Gives claims that ran out back: a claimed message never tried is
    /// queued again; one handed to SMTP when its node died is marked
    /// interrupted and never sent again (it may have gone out).
    pub async fn release_lost_sends(&self, now: i64) -> Result<(u64, u64)> {
        let requeued = with_pool!(&self.db, p => sqlx::query(
            "UPDATE newsletter_sends SET status = 'queued', claimed_until = NULL \
             WHERE status = 'claimed' AND claimed_until < $1"
        ).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        let interrupted = with_pool!(&self.db, p => sqlx::query(
            "UPDATE newsletter_sends SET status = 'interrupted', claimed_until = NULL, \
             error = 'the node sending it stopped mid-send; not sent again' \
             WHERE status = 'sending' AND claimed_until < $1"
        ).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok((requeued, interrupted))
    }

    /// Claims up to `limit` due messages for this node until `until` (one
    /// node per message: the guarded update).
    pub async fn claim_sends(&self, now: i64, until: i64, limit: i64) -> Result<Vec<SendJob>> {
        let due: Vec<SendJob> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT s.issue_id, s.reader_id, i.newsletter_id, r.email, s.attempts \
             FROM newsletter_sends s JOIN newsletter_issues i ON i.id = s.issue_id \
             JOIN readers r ON r.id = s.reader_id \
             WHERE s.status = 'queued' AND s.next_at <= $1 AND i.status = 'sending' \
             ORDER BY s.issue_id, s.reader_id LIMIT $2"
        ).bind(now).bind(limit).fetch_all(p).await)?;
        let mut out = Vec::with_capacity(due.len());
        for job in due {
            let n = with_pool!(&self.db, p => sqlx::query(
                "UPDATE newsletter_sends SET status = 'claimed', claimed_until = $3 \
                 WHERE issue_id = $1 AND reader_id = $2 AND status = 'queued' AND attempts = $4"
            ).bind(job.issue_id).bind(job.reader_id).bind(until).bind(job.attempts)
                .execute(p).await.map(|r| r.rows_affected()))?;
            if n == 1 {
                out.push(job);
            }
        }
        Ok(out)
    }

    /// Moves one message from `from` to `to` (guarded by `from`); false if
    /// it was not in `from` ([`Tx::move_send`] in a transaction of its own).
    #[allow(clippy::too_many_arguments)]
    pub async fn move_send(
        &self,
        issue: i64,
        reader: i64,
        from: &str,
        to: &str,
        attempts: i64,
        next_at: i64,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = tx
            .move_send(issue, reader, from, to, attempts, next_at, error, now)
            .await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Marks issues whose every message is done as sent.
    pub async fn finish_issues(&self, now: i64) -> Result<u64> {
        Ok(with_pool!(&self.db, p => sqlx::query(
            "UPDATE newsletter_issues SET status = 'sent', finished_at = $1 WHERE status = 'sending' \
             AND NOT EXISTS (SELECT 1 FROM newsletter_sends s WHERE s.issue_id = newsletter_issues.id \
             AND s.status IN ('queued', 'claimed', 'sending'))"
        ).bind(now).execute(p).await.map(|r| r.rows_affected()))?)
    }
}

impl Tx {
    /// Moves one message from `from` to `to` (guarded by `from`); false if
    /// it was not in `from`. `sending` is committed before the message is
    /// handed to SMTP, `sent` after.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_send(
        &mut self,
        issue: i64,
        reader: i64,
        from: &str,
        to: &str,
        attempts: i64,
        next_at: i64,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let sent_at = (to == "sent").then_some(now);
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE newsletter_sends SET status = $4, attempts = $5, next_at = $6, error = $7, \
             sent_at = COALESCE($8, sent_at), \
             claimed_until = CASE WHEN $4 IN ('claimed', 'sending') THEN claimed_until ELSE NULL END \
             WHERE issue_id = $1 AND reader_id = $2 AND status = $3"
        ).bind(issue).bind(reader).bind(from).bind(to).bind(attempts).bind(next_at).bind(error)
            .bind(sent_at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_newsletter(
        &mut self,
        slug: &str,
        name: &str,
        description: &str,
        kind: &str,
        section_id: Option<i64>,
        tag_id: Option<i64>,
        send_hour: i64,
        now: i64,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO newsletters (slug, name, description, kind, section_id, tag_id, send_hour, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id"
        ).bind(slug).bind(name).bind(description).bind(kind).bind(section_id).bind(tag_id)
            .bind(send_hour).bind(now).fetch_one(&mut *c).await)?;
        Ok(row.0)
    }

    /// Pauses or resumes a newsletter; false if there is none.
    pub async fn set_newsletter_active(&mut self, id: i64, active: bool) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE newsletters SET active = $2 WHERE id = $1")
            .bind(id).bind(i64::from(active)).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn subscription(
        &mut self,
        reader: i64,
        newsletter: i64,
    ) -> Result<Option<NewsletterSubscriptionRow>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM newsletter_subscriptions \
             WHERE reader_id = $1 AND newsletter_id = $2"
        );
        Ok(
            on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(reader).bind(newsletter).fetch_optional(&mut *c).await)?,
        )
    }

    /// Records a request (pending, with the words agreed to), replacing an
    /// earlier pending or ended one.
    pub async fn request_subscription(
        &mut self,
        reader: i64,
        newsletter: i64,
        consent_text: &str,
        via: &str,
        now: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO newsletter_subscriptions (reader_id, newsletter_id, status, consent_text, requested_at, requested_via) \
             VALUES ($1, $2, 'pending', $3, $4, $5) \
             ON CONFLICT (reader_id, newsletter_id) DO UPDATE SET status = 'pending', consent_text = $3, \
             requested_at = $4, requested_via = $5, confirmed_at = NULL, unsubscribed_at = NULL, unsubscribed_via = NULL"
        ).bind(reader).bind(newsletter).bind(consent_text).bind(now).bind(via)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Confirms the pending request made at `requested_at`; false if there
    /// is none (confirmed already, asked again since, or ended).
    pub async fn confirm_subscription(
        &mut self,
        reader: i64,
        newsletter: i64,
        requested_at: i64,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE newsletter_subscriptions SET status = 'active', confirmed_at = $4 \
             WHERE reader_id = $1 AND newsletter_id = $2 AND status = 'pending' AND requested_at = $3"
        ).bind(reader).bind(newsletter).bind(requested_at).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Ends a pending or active subscription; false if there was none.
    pub async fn end_subscription(
        &mut self,
        reader: i64,
        newsletter: i64,
        via: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE newsletter_subscriptions SET status = 'unsubscribed', unsubscribed_at = $3, unsubscribed_via = $4 \
             WHERE reader_id = $1 AND newsletter_id = $2 AND status IN ('pending', 'active')"
        ).bind(reader).bind(newsletter).bind(now).bind(via)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            // Nothing more of it is sent, even of an issue being sent now.
            on_tx!(self, c => sqlx::query(
                "UPDATE newsletter_sends SET status = 'suppressed', error = 'unsubscribed' \
                 WHERE reader_id = $1 AND status = 'queued' \
                 AND issue_id IN (SELECT id FROM newsletter_issues WHERE newsletter_id = $2)"
            ).bind(reader).bind(newsletter).execute(&mut *c).await.map(|_| ()))?;
        }
        Ok(n == 1)
    }

    /// Makes an issue for `period` unless one exists (another node built
    /// it): its id, or `None`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_issue(
        &mut self,
        newsletter: i64,
        period: &str,
        status: &str,
        subject: &str,
        story_ids: &str,
        window: (i64, i64),
        now: i64,
    ) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO newsletter_issues (newsletter_id, period, status, subject, story_ids, window_start, window_end, built_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (newsletter_id, period) DO NOTHING RETURNING id"
        ).bind(newsletter).bind(period).bind(status).bind(subject).bind(story_ids)
            .bind(window.0).bind(window.1).bind(now).fetch_optional(&mut *c).await)?;
        Ok(row.map(|r| r.0))
    }

    /// Queues an issue for every confirmed subscriber whose address is not
    /// suppressed (the recipients are fixed here). Returns how many.
    pub async fn queue_issue(&mut self, issue: i64, newsletter: i64, now: i64) -> Result<u64> {
        Ok(on_tx!(self, c => sqlx::query(
            "INSERT INTO newsletter_sends (issue_id, reader_id, status, next_at) \
             SELECT $1, s.reader_id, 'queued', $3 FROM newsletter_subscriptions s \
             JOIN readers r ON r.id = s.reader_id \
             WHERE s.newsletter_id = $2 AND s.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM mail_suppressions m WHERE m.email = r.email)"
        ).bind(issue).bind(newsletter).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?)
    }

    /// Puts an address on the suppression list (kept as first recorded);
    /// false if it was there already. Messages still queued to it are not sent.
    pub async fn suppress(
        &mut self,
        email: &str,
        reason: &str,
        detail: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "INSERT INTO mail_suppressions (email, reason, detail, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING"
        ).bind(email).bind(reason).bind(detail).bind(now).bind(by)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query(
            "UPDATE newsletter_sends SET status = 'suppressed', error = 'address suppressed' \
             WHERE status = 'queued' AND reader_id IN (SELECT id FROM readers WHERE email = $1)"
        ).bind(email).execute(&mut *c).await.map(|_| ()))?;
        Ok(n == 1)
    }

    /// Takes an address off the suppression list; false if it was not on it.
    pub async fn unsuppress(&mut self, email: &str) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM mail_suppressions WHERE email = $1")
            .bind(email).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
