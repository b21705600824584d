//! IPTC NewsML-G2 (2.x, tested with 2.35's examples): a `newsItem`, or a
//! `newsMessage` carrying several in its `itemSet`. Text comes from
//! `inlineXML` (XHTML or NITF: its `<p>`s) or `inlineData`; pictures from
//! `remoteContent` renditions. Read with quick-xml as a stream of events:
//! a document with a DTD is refused (so no entity is ever defined, let
//! alone expanded, and no external entity is fetched), an entity other
//! than XML's five or a character reference is an error, and so is any
//! element that is not closed. Packages (`packageItem`) and fragments
//! carry no item of their own: they read as none.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{
    ItemKind, PubStatus, Rendition, WireError, WireItem, WirePicture, paragraphs_of_text,
    parse_time,
};

/// Elements nested deeper than this are refused (no real item comes close).
const MAX_DEPTH: usize = 64;

/// Reads NewsML-G2 from text.
pub fn parse_str(text: &str) -> Result<Vec<WireItem>, WireError> {
    let mut r = Reader::from_str(text);
    let mut items = Vec::new();
    // Local names of the open elements.
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<Building> = None;
    let bad = |r: &Reader<&[u8]>, e: String| {
        WireError::Malformed(format!("{e} (near byte {})", r.buffer_position()))
    };
    loop {
        let ev = r.read_event().map_err(|e| bad(&r, e.to_string()))?;
        match ev {
            Event::DocType(_) => return Err(WireError::Dtd),
            Event::Start(e) => {
                let name = local(&e);
                if path.len() >= MAX_DEPTH {
                    return Err(bad(&r, format!("elements nested over {MAX_DEPTH} deep")));
                }
                open(&mut current, &path, &name, &e).map_err(|m| bad(&r, m))?;
                path.push(name);
            }
            Event::Empty(e) => {
                let name = local(&e);
                open(&mut current, &path, &name, &e).map_err(|m| bad(&r, m))?;
                if name == "newsItem" {
                    if let Some(b) = current.take() {
                        items.push(b.finish());
                    }
                } else if let Some(b) = current.as_mut() {
                    b.close(&path, &name);
                }
            }
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    return Err(bad(&r, "a closing tag with nothing open".into()));
                };
                if name == "newsItem" {
                    if let Some(b) = current.take() {
                        items.push(b.finish());
                    }
                } else if let Some(b) = current.as_mut() {
                    b.close(&path, &name);
                }
            }
            Event::Text(t) => {
                let s = quick_xml::escape::unescape(&t)
                    .map_err(|e| bad(&r, format!("in text: {e}")))?;
                if let Some(b) = current.as_mut() {
                    b.text(&s);
                }
            }
            Event::CData(t) => {
                if let Some(b) = current.as_mut() {
                    b.text(&t);
                }
            }
            Event::GeneralRef(g) => {
                let ch = match g.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*g {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(bad(
                                &r,
                                format!("the entity &{other}; is not defined (no DTD is read)"),
                            ));
                        }
                    },
                    Err(e) => return Err(bad(&r, e.to_string())),
                };
                if let Some(b) = current.as_mut() {
                    b.text(ch.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(WireError::Malformed(format!(
            "the file ends inside <{}>: it is cut short",
            path.join("><")
        )));
    }
    Ok(items)
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| format!("an attribute: {e}"))?;
        if a.key.local_name().as_ref() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::default())
                .map_err(|e| format!("attribute {name}: {e}"))?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

/// An item being read, and what the text being read belongs to.
struct Building {
    item: WireItem,
    /// Where the current text goes.
    field: Option<Field>,
    buf: String,
    /// Inside `inlineXML`: the paragraph being read (a `<p>`), if any.
    in_inline: bool,
    inline_text: String,
    remote: Vec<Rendition>,
    caption: String,
    creditline: String,
    version_created: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Headline,
    By,
    CreatorName,
    Urgency,
    SubjectName,
    LocatedName,
    Description,
    Creditline,
    Copyright,
    Embargoed,
    EdNote,
    VersionCreated,
    InlineData,
    Paragraph,
}

fn open(
    current: &mut Option<Building>,
    path: &[String],
    name: &str,
    e: &BytesStart<'_>,
) -> Result<(), String> {
    if name == "newsItem" {
        let id = attr(e, "guid")?.unwrap_or_default();
        let mut item = WireItem::new(id);
        if let Some(v) = attr(e, "version")?.and_then(|v| v.parse().ok()) {
            item.version = v;
        }
        item.language = attr(e, "lang")?;
        *current = Some(Building {
            item,
            field: None,
            buf: String::new(),
            in_inline: false,
            inline_text: String::new(),
            remote: Vec::new(),
            caption: String::new(),
            creditline: String::new(),
            version_created: None,
        });
        return Ok(());
    }
    let Some(b) = current.as_mut() else {
        return Ok(());
    };
    let parent = path.last().map(String::as_str).unwrap_or("");
    let inside = |n: &str| path.iter().any(|p| p == n);
    if b.in_inline {
        if name == "p" || name == "li" || (name.starts_with("hl") && name != "hl1") {
            b.field = Some(Field::Paragraph);
            b.buf.clear();
        }
        return Ok(());
    }
    match name {
        "itemClass" => {
            if let Some(q) = attr(e, "qcode")? {
                b.item.kind = match q.rsplit(':').next().unwrap_or("") {
                    "text" => ItemKind::Text,
                    "picture" | "graphic" => ItemKind::Picture,
                    other => ItemKind::Other(other.to_string()),
                };
            }
        }
        "pubStatus" => {
            if let Some(q) = attr(e, "qcode")? {
                b.item.status = PubStatus::parse(&q);
            }
        }
        "language" if parent == "contentMeta" => {
            if let Some(t) = attr(e, "tag")? {
                b.item.language = Some(t);
            }
        }
        "subject" if parent == "contentMeta" => {
            // The code, and the name child's text when there is one (a
            // rule may name either).
            if let Some(q) = attr(e, "qcode")?.or(attr(e, "uri")?) {
                b.item.subjects.push(q);
            }
        }
        "located" if parent == "contentMeta" => {
            if let Some(q) = attr(e, "qcode")? {
                b.item.places.push(q);
            }
        }
        "inlineXML" => {
            b.in_inline = true;
            b.inline_text.clear();
        }
        "remoteContent" => {
            let num = |k: &str| -> Result<Option<u32>, String> {
                Ok(attr(e, k)?.and_then(|v| v.parse().ok()))
            };
            if let Some(href) = attr(e, "href")?.or(attr(e, "residref")?) {
                b.remote.push(Rendition {
                    href,
                    name: attr(e, "rendition")?
                        .map(|r| r.rsplit(':').next().unwrap_or("").to_string())
                        .unwrap_or_default(),
                    mime: attr(e, "contenttype")?,
                    width: num("width")?,
                    height: num("height")?,
                });
            }
        }
        _ => {
            b.field = match (name, parent) {
                ("headline", "contentMeta") => Some(Field::Headline),
                ("by", "contentMeta") => Some(Field::By),
                ("name", "creator") if inside("contentMeta") => Some(Field::CreatorName),
                ("urgency", "contentMeta") => Some(Field::Urgency),
                ("name", "subject") if inside("contentMeta") => Some(Field::SubjectName),
                ("name", "located") => Some(Field::LocatedName),
                ("description", "contentMeta") => Some(Field::Description),
                ("creditline", "contentMeta") => Some(Field::Creditline),
                ("copyrightNotice", "rightsInfo") => Some(Field::Copyright),
                ("embargoed", "itemMeta") => Some(Field::Embargoed),
                ("edNote", "itemMeta") => Some(Field::EdNote),
                ("versionCreated", "itemMeta") => Some(Field::VersionCreated),
                ("inlineData", "contentSet") => Some(Field::InlineData),
                _ => None,
            };
            b.buf.clear();
        }
    }
    Ok(())
}

impl Building {
    fn text(&mut self, s: &str) {
        if self.field.is_some() {
            self.buf.push_str(s);
        } else if self.in_inline {
            self.inline_text.push_str(s);
        }
    }

    fn close(&mut self, _path: &[String], name: &str) {
        if name == "inlineXML" {
            self.in_inline = false;
            if self.item.paragraphs.is_empty() {
                self.item.paragraphs = paragraphs_of_text(&self.inline_text);
            }
            return;
        }
        let Some(field) = self.field else {
            return;
        };
        let is_end_of_field = match field {
            Field::Paragraph => matches!(name, "p" | "li") || name.starts_with("hl"),
            _ => true,
        };
        if !is_end_of_field {
            return;
        }
        let text = self.buf.split_whitespace().collect::<Vec<_>>().join(" ");
        self.buf.clear();
        self.field = None;
        let it = &mut self.item;
        match field {
            Field::Headline if it.headline.is_empty() => it.headline = text,
            Field::By if !text.is_empty() => it.byline = Some(text),
            Field::CreatorName if it.byline.is_none() && !text.is_empty() => it.byline = Some(text),
            Field::Urgency => it.urgency = text.parse().ok().filter(|u| (1..=9).contains(u)),
            Field::SubjectName if !text.is_empty() => it.subjects.push(text),
            Field::LocatedName if !text.is_empty() => it.places.push(text),
            Field::Description if self.caption.is_empty() => self.caption = text,
            Field::Creditline => self.creditline = text,
            Field::Copyright if it.credit.is_none() && !text.is_empty() => it.credit = Some(text),
            Field::Embargoed => it.embargo = parse_time(&text),
            Field::EdNote if !text.is_empty() => it.notes.push(text),
            Field::VersionCreated => self.version_created = parse_time(&text),
            Field::InlineData => it.paragraphs = paragraphs_of_text(&text),
            Field::Paragraph if !text.is_empty() => it.paragraphs.push(text),
            _ => {}
        }
        self.inline_text.clear();
    }

    fn finish(mut self) -> WireItem {
        if self.item.version == 1
            && let Some(t) = self.version_created
        {
            self.item.version = t;
        }
        if !self.creditline.is_empty() {
            self.item.credit = Some(self.creditline.clone());
        }
        // A text item with no inline body: its body is the first remote
        // content of a text type (fetched by the app).
        if self.item.kind == ItemKind::Text
            && self.item.paragraphs.is_empty()
            && let Some(i) = self
                .remote
                .iter()
                .position(|r| r.mime.as_deref().is_some_and(super::is_text_type))
        {
            self.item.remote_body = Some(self.remote.remove(i));
        }
        if self.item.kind == ItemKind::Picture || !self.remote.is_empty() {
            self.item.pictures.push(WirePicture {
                caption: self.caption.clone(),
                credit: self
                    .item
                    .credit
                    .clone()
                    .or_else(|| self.item.byline.clone())
                    .unwrap_or_default(),
                renditions: std::mem::take(&mut self.remote),
            });
        }
        self.item
    }
}
