//! Admin API tokens (issue 13 item 7). A token is issued in the newsroom by
//! a member of staff to themselves: through it they act as themselves, with
//! their role (the one permission table decides every story and picture
//! operation, in the same use cases as the newsroom's forms), narrowed to
//! the scopes chosen when it was issued. Only its SHA-256 is stored; the
//! token is shown once. Issuing and revoking are audited.

use broadsheet_domain::Actor;
use broadsheet_domain::permissions::{Action, Role};
use broadsheet_store::ApiTokenRow;

use crate::newsroom::require;
use crate::signin::{random_token, token_hash};
use crate::{App, AppError, Result, now};

/// What a token may be used for, on top of its holder's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read stories in any status the holder may see.
    StoriesRead,
    /// Create and edit stories, submit them for review.
    StoriesWrite,
    /// Publish, schedule, withdraw, reinstate, correct.
    StoriesPublish,
    /// Upload pictures.
    PicturesWrite,
}

/// Every scope, as written in a token's scope list.
pub const SCOPES: [(Scope, &str, &str); 4] = [
    (
        Scope::StoriesRead,
        "stories:read",
        "read stories, drafts included",
    ),
    (
        Scope::StoriesWrite,
        "stories:write",
        "create and edit stories, submit them",
    ),
    (
        Scope::StoriesPublish,
        "stories:publish",
        "publish, withdraw, reinstate and correct stories",
    ),
    (Scope::PicturesWrite, "pictures:write", "upload pictures"),
];

impl Scope {
    pub fn as_str(self) -> &'static str {
        SCOPES
            .iter()
            .find(|(s, _, _)| *s == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("")
    }

    pub fn parse(name: &str) -> Option<Scope> {
        SCOPES
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(s, _, _)| *s)
    }
}

/// What a token's prefix is (so a leaked one is recognisable by scanners).
pub const TOKEN_PREFIX: &str = "bsk_";

/// Someone calling the Admin API with a valid token.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The token's holder, acting with their role.
    pub actor: Actor,
    pub token_id: i64,
    scopes: Vec<Scope>,
}

impl ApiCaller {
    /// Refuses unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "This token does not carry the {} scope. Issue a token with it in the newsroom (API tokens).",
                scope.as_str()
            )))
        }
    }

    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }
}

fn parse_scopes(list: &str) -> Vec<Scope> {
    list.split_whitespace().filter_map(Scope::parse).collect()
}

/// The caller a presented token stands for: `None` if it is unknown or
/// revoked (the caller says only "not valid", never which).
pub async fn authenticate(app: &App, presented: &str) -> Result<Option<ApiCaller>> {
    let presented = presented.trim();
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let Some(h) = app.store().api_token_holder(&token_hash(presented)).await? else {
        return Ok(None);
    };
    let Ok(role) = h.role.parse::<Role>() else {
        return Ok(None);
    };
    let t = now();
    if h.last_used_at.is_none_or(|u| t - u >= 60) {
        app.store().touch_api_token(h.token_id, t).await?;
    }
    Ok(Some(ApiCaller {
        actor: Actor::Staff {
            id: h.author_id,
            role,
        },
        token_id: h.token_id,
        scopes: parse_scopes(&h.scopes),
    }))
}

/// Issues a token to the member of staff acting. Returns its id and the
/// token, which is never shown again.
pub async fn issue(
    app: &App,
    actor: &Actor,
    name: &str,
    scopes: &[String],
) -> Result<(i64, String)> {
    require(actor, Action::UseNewsroom, "use the newsroom")?;
    let Some(me) = actor.staff_id() else {
        return Err(AppError::Forbidden(
            "API tokens are issued to members of staff, who act through them.".into(),
        ));
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::Invalid(
            "Name the token (1 to 80 characters), after what will use it, like \"CMS sync\"."
                .into(),
        ));
    }
    let mut chosen: Vec<Scope> = Vec::new();
    for s in scopes {
        match Scope::parse(s.trim()) {
            Some(sc) if !chosen.contains(&sc) => chosen.push(sc),
            Some(_) => {}
            None => {
                return Err(AppError::Invalid(format!(
                    "There is no scope {s:?}: choose from {}.",
                    SCOPES.map(|(_, n, _)| n).join(", ")
                )));
            }
        }
    }
    if chosen.is_empty() {
        return Err(AppError::Invalid(
            "Choose at least one scope: what the token may be used for.".into(),
        ));
    }
    let list = chosen
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx
        .insert_api_token(me, name, &token_hash(&token), &list, t)
        .await?;
    tx.audit(
        actor,
        "api-token-issue",
        None,
        &format!("token {id} \"{name}\": {list}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Whether the actor sees and revokes everyone's tokens (admins), or only
/// their own.
pub fn sees_all(actor: &Actor) -> bool {
    actor.allows(Action::ManageSettings)
}

/// The tokens the actor may see: their own; everyone's for an admin.
pub async fn tokens(app: &App, actor: &Actor) -> Result<Vec<ApiTokenRow>> {
    require(actor, Action::UseNewsroom, "use the newsroom")?;
    let whose = if sees_all(actor) {
        None
    } else {
        actor.staff_id()
    };
    if whose.is_none() && !sees_all(actor) {
        return Ok(Vec::new());
    }
    Ok(app.store().api_tokens(whose).await?)
}

/// Revokes a token: the holder's own, or anyone's for an admin.
pub async fn revoke(app: &App, actor: &Actor, id: i64) -> Result<()> {
    require(actor, Action::UseNewsroom, "use the newsroom")?;
    let Some(tok) = app.store().api_token(id).await? else {
        return Err(AppError::NotFound(format!("There is no API token {id}.")));
    };
    if actor.staff_id() != Some(tok.author_id) && !sees_all(actor) {
        return Err(AppError::NotFound(format!("There is no API token {id}.")));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.revoke_api_token(id, t).await? {
        return Err(AppError::Invalid(format!(
            "API token {id} was already revoked."
        )));
    }
    tx.audit(
        actor,
        "api-token-revoke",
        None,
        &format!("token {id} \"{}\"", tok.name),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
