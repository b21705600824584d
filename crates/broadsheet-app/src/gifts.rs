//! Gift links: a subscriber shares one paid story with anyone.
//!
//! A link is `<story address>?gift=<token>`: 128 random bits that name a row
//! (only the token's SHA-256 is stored), tied there to the story and the
//! giver, so the giver's id is never in the URL. A link works until it
//! expires or is revoked, for at most `gift_max_uses` readers (a reader,
//! counted once, is the holder's account or device: the same subject as the
//! meter), and a subscriber may make `gifts_per_month` links per 30 days.
//! The link opens the full text only through [`crate::entitlement::decide`]
//! (the gate's decision), on a private response; the readers it brought are
//! counted (`gift_uses`).

use broadsheet_domain::{Access, Actor};
use broadsheet_store::{GiftLink, GiftUse};
use sha2::{Digest, Sha256};

use crate::entitlement::Reader;
use crate::{App, AppError, Result, StoryLookup};

/// Length of a gift token: 32 hex digits.
const TOKEN_LEN: usize = 32;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A gift link just made: the token goes in the link, once.
#[derive(Debug, Clone)]
pub struct NewGift {
    pub token: String,
    pub link: GiftLink,
}

/// Makes a gift link to `story` for a signed-in subscriber.
pub async fn make(app: &App, giver: &Reader, story: i64, now: i64) -> Result<NewGift> {
    let (Some(account), true) = (giver.account, giver.subscriber) else {
        return Err(AppError::Forbidden(
            "Gift links are for subscribers: sign in with a subscribing account to share a story."
                .into(),
        ));
    };
    let s = match app.published_story(story).await? {
        StoryLookup::Found(s) => s,
        _ => {
            return Err(AppError::NotFound(
                "There is no published story with that number to share.".into(),
            ));
        }
    };
    if s.access == Access::Free {
        return Err(AppError::Invalid(
            "This story is free to everyone: share its address as it is.".into(),
        ));
    }
    let cfg = &app.config().paywall;
    let made = app
        .store()
        .gifts_made_since(account, now - 30 * 86_400)
        .await?;
    if made >= cfg.gifts_per_month {
        return Err(AppError::Invalid(format!(
            "You have made {made} gift links in the last 30 days, the most there may be: revoking one does not give it back, so wait until the oldest is 30 days old."
        )));
    }
    let token = hex::encode(rand::random::<[u8; 16]>());
    let expires_at = now + cfg.gift_valid_secs;
    let id = app
        .store()
        .insert_gift(
            &hash(&token),
            story,
            account,
            now,
            expires_at,
            cfg.gift_max_uses,
        )
        .await?;
    Ok(NewGift {
        token,
        link: GiftLink {
            id,
            story_id: story,
            giver: account,
            created_at: now,
            expires_at,
            max_uses: cfg.gift_max_uses,
            revoked_at: None,
            uses: 0,
        },
    })
}

/// The giver's gift links, newest first, with the readers each brought.
pub async fn list(app: &App, giver: &Reader) -> Result<Vec<GiftLink>> {
    let Some(account) = giver.account else {
        return Ok(Vec::new());
    };
    Ok(app.store().gifts_of(account, 100).await?)
}

/// Revokes one of the giver's links (audited). Takes effect on the next
/// request of every holder.
pub async fn revoke(app: &App, giver: &Reader, id: i64, now: i64) -> Result<()> {
    let Some(account) = giver.account else {
        return Err(AppError::Forbidden(
            "Sign in to manage your gift links.".into(),
        ));
    };
    let mut tx = app.store().begin().await?;
    if !tx.revoke_gift(id, account, now).await? {
        return Err(AppError::NotFound(
            "You have no gift link with that number that still works.".into(),
        ));
    }
    tx.audit(
        &Actor::Reader { id: account },
        "revoke-gift",
        None,
        &format!("gift link {id}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// True if `token` is a working gift link to `story` and `subject` may use
/// it (used it before, or a use is left; a new use is counted). Called only
/// by [`crate::entitlement::decide`].
pub(crate) async fn redeem(
    app: &App,
    token: &str,
    story: i64,
    subject: &str,
    at: i64,
) -> Result<bool> {
    if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let Some(link) = app.store().gift_by_hash(&hash(token)).await? else {
        return Ok(false);
    };
    if link.story_id != story || link.revoked_at.is_some() || at >= link.expires_at {
        return Ok(false);
    }
    let used = app
        .store()
        .use_gift(link.id, subject, link.max_uses, at)
        .await?;
    Ok(used != GiftUse::UsedUp)
}
