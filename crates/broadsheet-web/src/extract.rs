//! Extractors for the newsroom: who is signed in, and forms whose CSRF token
//! has been checked before the handler sees a byte of them.
//!
//! [`SignedIn`] reads the session cookie and asks the app layer whose session
//! it is; without one, the request is redirected to the sign-in page.
//! [`StaffForm`] is a URL-encoded form post from a signed-in staff member
//! whose `csrf` field matched the session's token. [`StaffUpload`] is a
//! multipart post whose first field must be the `csrf` token: it is checked
//! before any other part (the file) is read.
//!
//! For readers: [`ReaderSession`] (the signed-in reader or none; it never
//! fails a request), the `bs_reader` cookie helpers, and [`ReaderForm`], a
//! form from a signed-in reader whose CSRF token was checked first.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
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
            // Signed out: sign in, then back to the page asked for (GET only).
            Ok(None) => Err(Redirect::to(&if parts.method == axum::http::Method::GET {
                crate::nr_next::sign_in_for(
                    parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or(""),
                )
            } else {
                "/newsroom/sign-in".to_string()
            })
            .into_response()),
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

// ----- readers -----------------------------------------------------------------

/// The reader session cookie: HttpOnly, SameSite=Lax, Path=/, Secure when
/// the base URL is https. It is sent with every page, so a response that
/// depends on it must be `private, no-store` (reader routes are; cached
/// pages never read it).
pub const READER_COOKIE: &str = "bs_reader";

/// The signed-in reader, if any. Never fails the request: no cookie, a
/// malformed or dead one, or a failed lookup (logged) are all "signed out".
pub struct ReaderSession(pub Option<broadsheet_app::ReaderAccount>);

/// The reader session token a request carries, if it has the right shape.
pub fn reader_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, READER_COOKIE).filter(|t| broadsheet_app::readers::token_shape_ok(t))
}

impl FromRequestParts<Web> for ReaderSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let Some(token) = reader_token(&parts.headers) else {
            return Ok(ReaderSession(None));
        };
        match broadsheet_app::readers::session(&web.app, token).await {
            Ok(r) => Ok(ReaderSession(r)),
            Err(e) => {
                tracing::warn!(error = %e, "reader session lookup failed; treating the request as signed out");
                Ok(ReaderSession(None))
            }
        }
    }
}

/// A `Set-Cookie` value for the reader session cookie: the token for
/// `max_age` seconds, or (empty token, 0) to clear it.
pub fn reader_cookie(web: &Web, token: &str, max_age: i64) -> HeaderValue {
    let secure = if web.hsts { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{READER_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("bs_reader=; Path=/; Max-Age=0"))
}

/// Sets the reader session cookie on `res` (a new session), and makes the
/// response `private, no-store`.
pub fn set_reader_cookie(web: &Web, res: &mut Response, token: &str, max_age: i64) {
    let h = res.headers_mut();
    h.append(header::SET_COOKIE, reader_cookie(web, token, max_age));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
}

/// Clears the reader session cookie on `res`, and makes it `private, no-store`.
pub fn clear_reader_cookie(web: &Web, res: &mut Response) {
    set_reader_cookie(web, res, "", 0);
}

/// A URL-encoded form from a signed-in reader whose `csrf` field matched
/// the one derived from their session (`readers::csrf_for`), checked before
/// the handler sees the form. Signed out: a redirect to `/account`.
pub struct ReaderForm {
    pub reader: broadsheet_app::ReaderAccount,
    /// The session token (to end this session, or derive the CSRF token).
    pub token: String,
    pub form: Posted,
}

impl FromRequest<Web> for ReaderForm {
    type Rejection = Response;

    async fn from_request(req: Request, web: &Web) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let token = reader_token(&parts.headers).map(str::to_string);
        let ReaderSession(reader) = match ReaderSession::from_request_parts(&mut parts, web).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (Some(reader), Some(token)) = (reader, token) else {
            return Err(Redirect::to("/account").into_response());
        };
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
        let expected = broadsheet_app::readers::csrf_for(&token);
        let sent = form.raw("csrf");
        if sent.is_empty() || !constant_eq(sent, &expected) {
            return Err(WebError::Forbidden(
                "This form has expired or did not come from this site. Reload the page and try again."
                    .into(),
            )
            .into_response());
        }
        Ok(ReaderForm {
            reader,
            token,
            form,
        })
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
