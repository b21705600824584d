//! Extractors for the newsroom: who is signed in, and forms whose CSRF token
//! has been checked before the handler sees a byte of them.
//!
//! [`SignedIn`] reads the session cookie and asks the app layer whose session
//! it is; without one, the request is redirected to the sign-in page.
//! [`StaffForm`] is a URL-encoded form post from a signed-in staff member
//! whose `csrf` field matched the session's token. [`StaffUpload`] is a
//! multipart post whose first field must be the `csrf` token: it is checked
//! before any other part (the file) is read.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use broadsheet_app::newsroom::{self, Staff};

use crate::Web;
use crate::error::WebError;

pub const SESSION_COOKIE: &str = "bs_staff";

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The staff member a request's session cookie belongs to, if any.
pub async fn session(web: &Web, headers: &HeaderMap) -> Result<Option<(Staff, String)>, WebError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(newsroom::session(&web.app, token)
        .await?
        .map(|s| (s, token.to_string())))
}

/// A signed-in staff member and their session token.
pub struct SignedIn {
    pub staff: Staff,
    pub token: String,
}

impl FromRequestParts<Web> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        match session(web, &parts.headers).await {
            Ok(Some((staff, token))) => Ok(SignedIn { staff, token }),
            Ok(None) => Err(Redirect::to("/newsroom/sign-in").into_response()),
            // A failed session lookup is an error, never "signed out".
            Err(e) => Err(e.into_response()),
        }
    }
}

fn csrf_refused() -> Response {
    WebError::Forbidden(
        "This form has expired or did not come from the newsroom. Reload the page and try again."
            .into(),
    )
    .into_response()
}

fn csrf_matches(staff: &Staff, sent: &str) -> bool {
    !sent.is_empty() && sent.len() == staff.csrf.len() && constant_eq(sent, &staff.csrf)
}

/// Compares two strings in time that depends only on their length.
fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A posted form: the last value of each field, and every value of the
/// fields that may repeat (`authors`).
pub struct Posted {
    pub map: HashMap<String, String>,
    pub authors: Vec<String>,
}

impl Posted {
    pub fn new(pairs: Vec<(String, String)>) -> Posted {
        let authors = pairs
            .iter()
            .filter(|(k, _)| k == "authors")
            .map(|(_, v)| v.clone())
            .collect();
        Posted {
            map: pairs.into_iter().collect(),
            authors,
        }
    }

    /// A field, trimmed; empty if absent.
    pub fn get(&self, k: &str) -> String {
        self.map
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }

    /// A field as it was sent; empty if absent.
    pub fn raw(&self, k: &str) -> &str {
        self.map.get(k).map(String::as_str).unwrap_or("")
    }
}

/// A URL-encoded form from a signed-in staff member, CSRF token checked.
pub struct StaffForm {
    pub staff: Staff,
    pub token: String,
    pub form: Posted,
}

impl FromRequest<Web> for StaffForm {
    type Rejection = Response;

    async fn from_request(req: Request, web: &Web) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        // Who is asking is settled before the body is read at all.
        let SignedIn { staff, token } = SignedIn::from_request_parts(&mut parts, web).await?;
        let req = Request::from_parts(parts, body);
        let Form(pairs): Form<Vec<(String, String)>> =
            Form::from_request(req, web).await.map_err(|_| {
                WebError::BadRequest(
                    "The form could not be read: it was cut off or too large. Reload the page and try again."
                        .into(),
                )
                .into_response()
            })?;
        let form = Posted::new(pairs);
        if !csrf_matches(&staff, form.raw("csrf")) {
            return Err(csrf_refused());
        }
        Ok(StaffForm { staff, token, form })
    }
}

/// A multipart upload from a signed-in staff member. The first part must be
/// the `csrf` field, and it is checked before the rest of the body is read.
pub struct StaffUpload {
    pub staff: Staff,
    pub multipart: Multipart,
}

impl FromRequest<Web> for StaffUpload {
    type Rejection = Response;

    async fn from_request(req: Request, web: &Web) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let SignedIn { staff, .. } = SignedIn::from_request_parts(&mut parts, web).await?;
        let req = Request::from_parts(parts, body);
        let mut multipart = Multipart::from_request(req, web).await.map_err(|_| {
            WebError::BadRequest(
                "The upload could not be read: send it from the media library's form.".into(),
            )
            .into_response()
        })?;
        let first = multipart.next_field().await.map_err(|_| csrf_refused())?;
        let Some(field) = first.filter(|f| f.name() == Some("csrf")) else {
            return Err(csrf_refused());
        };
        // A token is 64 characters; anything much longer is not one.
        let sent = field.text().await.map_err(|_| csrf_refused())?;
        if sent.len() > 128 || !csrf_matches(&staff, &sent) {
            return Err(csrf_refused());
        }
        Ok(StaffUpload { staff, multipart })
    }
}

#[cfg(test)]
mod tests {
    use super::constant_eq;

    #[test]
    fn constant_eq_compares_whole_strings() {
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "ab"));
        assert!(constant_eq("", ""));
    }
}
