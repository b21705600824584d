//! IPTC ninjs 1.x, 2.x and 3.x, read leniently: keys are compared without
//! case (`versionCreated`, `versioncreated`), 1.x's flat fields
//! (`headline_main`, `body_richtext`, `byline`, `place`) and 2.x/3.x's
//! lists (`headlines`, `bodies`, `by`, `places`) are both read,
//! renditions and associations as a map (1.x, 2.x) or a list (3.x). A file
//! holds one item, or a list of items.

use serde_json::{Map, Value};

use super::{
    ItemKind, PubStatus, Rendition, WireError, WireItem, WirePicture, paragraphs_of_html,
    paragraphs_of_text, parse_time,
};

/// Reads ninjs from text.
pub fn parse_str(text: &str) -> Result<Vec<WireItem>, WireError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| WireError::Malformed(format!("JSON: {e}")))?;
    let list = match v {
        Value::Array(items) => items,
        one => vec![one],
    };
    list.iter()
        .map(|v| match v {
            Value::Object(m) => item(&lower(m)),
            _ => Err(WireError::Unknown(
                "a ninjs item must be a JSON object".into(),
            )),
        })
        .collect()
}

/// The object with its keys lower-cased (nested objects too).
fn lower(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), lower_value(v)))
        .collect()
}

fn lower_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(lower(m)),
        Value::Array(a) => Value::Array(a.iter().map(lower_value).collect()),
        other => other.clone(),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A role-tagged list (`headlines`, `bodies`, `descriptions`: objects with
/// `role`, `value`, `contenttype`), or a plain string.
fn by_role<'a>(v: Option<&'a Value>, prefer: &[&str]) -> Option<(&'a str, Option<&'a str>)> {
    match v? {
        Value::String(s) => Some((s.as_str(), None)),
        Value::Array(list) => {
            let entry = |o: &'a Value| -> Option<(&'a str, Option<&'a str>, &'a str)> {
                let value = o.get("value")?.as_str()?;
                let role = o.get("role").and_then(Value::as_str).unwrap_or("");
                Some((value, o.get("contenttype").and_then(Value::as_str), role))
            };
            let all: Vec<_> = list.iter().filter_map(entry).collect();
            prefer
                .iter()
                .find_map(|want| all.iter().find(|(_, _, r)| r == want))
                .or(all.first())
                .map(|(v, ct, _)| (*v, *ct))
        }
        _ => None,
    }
}

/// Names and codes of a list of subjects or places (both kept, so a rule
/// may name either): `name`, then `uri`, `qcode` or `scheme` + `code`.
fn names(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let list: Vec<&Value> = match v {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    for o in list {
        match o {
            Value::String(s) => out.push(s.trim().to_string()),
            Value::Object(m) => {
                out.extend(text(m.get("name")));
                let code = text(m.get("code"));
                match (text(m.get("scheme")), code) {
                    (Some(scheme), Some(code)) => out.push(format!("{scheme}{code}")),
                    (None, Some(code)) => out.push(code),
                    _ => {}
                }
                out.extend(text(m.get("uri")));
                out.extend(text(m.get("qcode")));
            }
            _ => {}
        }
    }
    out.retain(|s| !s.is_empty());
    out.dedup();
    out
}

fn paragraphs(value: &str, content_type: Option<&str>) -> Vec<String> {
    let html = content_type.is_some_and(|c| c.contains("html") || c.contains("xml"))
        || value.trim_start().starts_with('<');
    if html {
        paragraphs_of_html(value)
    } else {
        paragraphs_of_text(value)
    }
}

fn renditions(v: Option<&Value>) -> Vec<Rendition> {
    let one = |name: &str, o: &Value| -> Option<Rendition> {
        let href = o.get("href")?.as_str()?.to_string();
        let num = |k: &str| {
            o.get(k)
                .and_then(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
        };
        Some(Rendition {
            href,
            name: o
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_string(),
            mime: text(o.get("mimetype")).or_else(|| text(o.get("contenttype"))),
            width: num("width"),
            height: num("height"),
        })
    };
    match v {
        Some(Value::Object(m)) => m.iter().filter_map(|(k, o)| one(k, o)).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(|o| one("", o)).collect(),
        _ => Vec::new(),
    }
}

/// A picture item or association. `by_uri`: with no rendition that has
/// an address, the item's own `uri` is the picture (associations do this).
fn picture_of(m: &Map<String, Value>, by_uri: bool) -> Option<WirePicture> {
    let mut renditions = renditions(m.get("renditions"));
    if renditions.is_empty()
        && by_uri
        && let Some(uri) = text(m.get("uri")).filter(|u| u.starts_with("http"))
    {
        renditions.push(Rendition {
            href: uri,
            name: text(m.get("name")).unwrap_or_default(),
            ..Rendition::default()
        });
    }
    if renditions.is_empty() {
        return None;
    }
    let caption = by_role(m.get("descriptions"), &["caption", "text", "summary"])
        .map(|(v, ct)| paragraphs(v, ct).join(" "))
        .or_else(|| text(m.get("description_text")))
        .or_else(|| text(m.get("description_richtext")).map(|h| paragraphs_of_html(&h).join(" ")))
        .or_else(|| by_role(m.get("headlines"), &["main"]).map(|(v, _)| v.to_string()))
        .or_else(|| text(m.get("headline")))
        .unwrap_or_default();
    let credit = text(m.get("by"))
        .or_else(|| text(m.get("byline")))
        .or_else(|| text(m.get("copyrightholder")))
        .or_else(|| text(m.get("copyrightnotice")))
        .unwrap_or_default();
    Some(WirePicture {
        caption,
        credit,
        renditions,
    })
}

fn item(m: &Map<String, Value>) -> Result<WireItem, WireError> {
    let id = text(m.get("uri"))
        .or_else(|| text(m.get("guid")))
        .or_else(|| text(m.get("id")))
        .ok_or_else(|| WireError::Unknown("a ninjs item needs a uri".into()))?;
    let mut it = WireItem::new(id);
    let created = text(m.get("versioncreated"))
        .or_else(|| text(m.get("firstcreated")))
        .and_then(|t| parse_time(&t));
    it.version = text(m.get("version"))
        .and_then(|v| v.parse::<i64>().ok())
        .or(created)
        .unwrap_or(1);
    it.kind = match text(m.get("type")).as_deref() {
        None | Some("text") | Some("composite") => ItemKind::Text,
        Some("picture") | Some("image") => ItemKind::Picture,
        Some(other) => ItemKind::Other(other.to_string()),
    };
    it.status = text(m.get("pubstatus")).map_or(PubStatus::Usable, |s| PubStatus::parse(&s));
    it.headline = by_role(m.get("headlines"), &["main", "headline"])
        .map(|(v, _)| v.to_string())
        .or_else(|| text(m.get("headline_main")))
        .or_else(|| text(m.get("headline")))
        .or_else(|| text(m.get("headline_simple")))
        .or_else(|| text(m.get("title")))
        .unwrap_or_default();
    it.byline = text(m.get("by")).or_else(|| text(m.get("byline")));
    // Bodies: rich text (HTML or XHTML) before plain text.
    let rich = by_role(m.get("bodies"), &["richtext", "main"])
        .filter(|(_, ct)| ct.is_some_and(|c| c.contains("html") || c.contains("xml")));
    let body = rich
        .or_else(|| by_role(m.get("bodies"), &["main", "text"]))
        .map(|(v, ct)| paragraphs(v, ct))
        .or_else(|| text(m.get("body_xhtml")).map(|h| paragraphs_of_html(&h)))
        .or_else(|| text(m.get("body_html")).map(|h| paragraphs_of_html(&h)))
        .or_else(|| text(m.get("body_richtext")).map(|h| paragraphs_of_html(&h)))
        .or_else(|| text(m.get("body_text")).map(|t| paragraphs_of_text(&t)))
        .or_else(|| text(m.get("body_main")).map(|t| paragraphs(&t, None)))
        .unwrap_or_default();
    it.paragraphs = body;
    it.urgency = m
        .get("urgency")
        .and_then(|u| u.as_u64().or_else(|| u.as_str()?.trim().parse().ok()))
        .and_then(|u| u8::try_from(u).ok())
        .filter(|u| (1..=9).contains(u));
    it.language = text(m.get("language"));
    it.subjects = names(m.get("subjects").or(m.get("subject")));
    it.places = names(m.get("places").or(m.get("place")));
    it.embargo = text(m.get("embargoed"))
        .or_else(|| text(m.get("embargoedat")))
        .and_then(|t| parse_time(&t));
    if let Some(n) = text(m.get("ednote")) {
        it.notes.push(n);
    }
    it.credit = text(m.get("copyrightholder")).or_else(|| text(m.get("copyrightnotice")));
    if it.kind == ItemKind::Picture
        && let Some(p) = picture_of(m, false)
    {
        it.pictures.push(p);
    }
    let assoc: Vec<&Value> = match m.get("associations") {
        Some(Value::Object(a)) => a.values().collect(),
        Some(Value::Array(a)) => a.iter().collect(),
        _ => Vec::new(),
    };
    for a in assoc {
        if let Value::Object(am) = a {
            let kind = text(am.get("type"));
            if kind
                .as_deref()
                .is_none_or(|k| k == "picture" || k == "image")
                && let Some(p) = picture_of(am, true)
            {
                it.pictures.push(p);
            }
        }
    }
    Ok(it)
}
