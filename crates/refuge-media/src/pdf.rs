//! PDFs: the document is parsed and written anew without its metadata or
//! active content.
//!
//! Blanking fields in place misses too much (values behind references,
//! names written with `#xx` escapes, compressed XMP, object streams, old
//! revisions kept by incremental updates). So the file is parsed with
//! `lopdf`, the document information dictionary and every XMP stream are
//! dropped, so are scripts, launch actions, embedded files and
//! application data, and a new file is written with a new trailer and one
//! cross-reference section: objects only an old revision referenced are
//! gone too. The result is parsed again and checked; a file that cannot
//! be rebuilt, or is still encrypted, is refused, never published.
//!
//! What is kept is what draws the pages, by an allow-list: the catalogue
//! keeps its page tree only (no form fields, page labels, named
//! destinations, outlines, structure tree, custom keys), each page its
//! boxes, resources and contents only (no annotations: their authors and
//! texts name people), every content stream is written again from its
//! operations (its `%` comments gone), and every JPEG inside loses its
//! EXIF, XMP and comment segments, as an uploaded photo does.

use lopdf::{Dictionary, Document, Object};

use crate::MediaError;

/// A cleaned PDF and what was removed from it.
#[derive(Debug)]
pub struct PdfOutput {
    pub bytes: Vec<u8>,
    /// Human-readable findings, e.g. `document information (author, creator…): removed`.
    pub report: Vec<String>,
}

/// Keys removed from every dictionary, wherever they are.
const DROPPED_KEYS: [&[u8]; 9] = [
    b"Metadata",      // XMP packets, on the catalogue, pages, images and fonts
    b"PieceInfo",     // private data of the application that made the file
    b"AA",            // additional actions (run on open, close, print…)
    b"OpenAction",    // an action run when the document opens
    b"JavaScript",    // the name tree of document scripts
    b"JS",            // a script inside an action
    b"EmbeddedFiles", // the name tree of attached files
    b"XFA",           // XML forms, which carry scripts
    b"LastModified",  // a date, on pages and forms
];

/// Actions a link may keep: move inside the document, open a web
/// address, or a viewer's named command. Everything else (JavaScript,
/// Launch, ImportData, SubmitForm, GoToE, GoToR, Rendition…) is removed.
const SAFE_ACTIONS: [&[u8]; 3] = [b"GoTo", b"URI", b"Named"];

/// Annotations removed whole: they hold files, sound or media.
const DROPPED_ANNOTATIONS: [&[u8]; 5] = [b"FileAttachment", b"Sound", b"Movie", b"Screen", b"RichMedia"];

/// Keys a catalogue keeps: its page tree, and its language.
const CATALOG_KEYS: [&[u8]; 3] = [b"Type", b"Pages", b"Lang"];

/// Keys a page, or a node of the page tree, keeps: what draws it.
const PAGE_KEYS: [&[u8]; 14] = [
    b"Type",
    b"Parent",
    b"Kids",
    b"Count",
    b"Resources",
    b"MediaBox",
    b"CropBox",
    b"BleedBox",
    b"TrimBox",
    b"ArtBox",
    b"Contents",
    b"Rotate",
    b"Group",
    b"UserUnit",
];

/// What cleaning found, for the report.
#[derive(Default)]
struct Found {
    info: Vec<String>,
    xmp: bool,
    scripts: bool,
    actions: bool,
    files: bool,
    other: bool,
    /// Catalogue and page keys outside the allow-list (annotations, form
    /// fields, page labels, destinations, outlines, custom keys).
    document: Vec<String>,
    comments: bool,
    image_metadata: bool,
}

fn is_action(dict: &Dictionary) -> bool {
    dict.get(b"S").and_then(Object::as_name).is_ok()
        && (dict.has_type(b"Action") || dict.has(b"JS") || dict.has(b"F") || dict.has(b"Win") || dict.has(b"URI"))
}

fn unsafe_action(dict: &Dictionary) -> bool {
    is_action(dict) && dict.get(b"S").and_then(Object::as_name).is_ok_and(|s| !SAFE_ACTIONS.contains(&s))
}

fn is_xmp(dict: &Dictionary) -> bool {
    dict.has_type(b"Metadata") || dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"XML")
}

fn is_embedded_file(dict: &Dictionary) -> bool {
    dict.has_type(b"EmbeddedFile") || dict.has_type(b"Filespec") && dict.has(b"EF")
}

/// Cleans one dictionary in place (and, recursively, what it contains).
fn clean_dict(dict: &mut Dictionary, found: &mut Found) {
    for key in DROPPED_KEYS {
        if dict.remove(key).is_some() {
            match key {
                b"Metadata" => found.xmp = true,
                b"JavaScript" | b"JS" | b"XFA" => found.scripts = true,
                b"AA" | b"OpenAction" => found.actions = true,
                b"EmbeddedFiles" => found.files = true,
                _ => found.other = true,
            }
        }
    }
    // A link's or a field's action, when direct and not safe.
    if let Ok(Object::Dictionary(action)) = dict.get(b"A")
        && unsafe_action(action)
    {
        dict.remove(b"A");
        found.actions = true;
    }
    // The next action in a chain, likewise.
    if let Ok(Object::Dictionary(next)) = dict.get(b"Next")
        && unsafe_action(next)
    {
        dict.remove(b"Next");
        found.actions = true;
    }
    for (_, value) in dict.iter_mut() {
        clean_object(value, found);
    }
}

fn clean_object(object: &mut Object, found: &mut Found) {
    match object {
        Object::Dictionary(dict) => clean_dict(dict, found),
        Object::Stream(stream) => clean_dict(&mut stream.dict, found),
        Object::Array(items) => {
            // Annotations that carry files or media go whole.
            let before = items.len();
            items.retain(|item| match item {
                Object::Dictionary(d) => {
                    !d.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| DROPPED_ANNOTATIONS.contains(&s))
                }
                _ => true,
            });
            if items.len() != before {
                found.files = true;
            }
            for item in items.iter_mut() {
                clean_object(item, found);
            }
        }
        _ => {}
    }
}

/// Names of the keys of the document information dictionary, for the report.
fn info_keys(doc: &Document) -> Vec<String> {
    let info = match doc.trailer.get(b"Info") {
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    info.map(|d| d.iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).collect()).unwrap_or_default()
}

/// Whether a cleaned document still has anything cleaning must remove.
fn still_carries(doc: &Document) -> Option<&'static str> {
    if doc.trailer.has(b"Info") {
        return Some("document information");
    }
    if doc.trailer.has(b"Encrypt") {
        return Some("encryption");
    }
    let catalog = doc.catalog().ok()?;
    if catalog.iter().any(|(k, _)| !CATALOG_KEYS.contains(&k.as_slice())) {
        return Some("document data");
    }
    for (_, page) in doc.get_pages() {
        if doc.get_dictionary(page).is_ok_and(|d| d.iter().any(|(k, _)| !PAGE_KEYS.contains(&k.as_slice()))) {
            return Some("annotations or page data");
        }
    }
    fn dict_has(dict: &Dictionary) -> Option<&'static str> {
        if let Some(key) = DROPPED_KEYS.iter().find(|k| dict.has(k)) {
            return Some(if *key == b"Metadata" { "XMP metadata" } else { "active content" });
        }
        if is_xmp(dict) {
            return Some("XMP metadata");
        }
        if unsafe_action(dict) {
            return Some("an action");
        }
        if is_embedded_file(dict) {
            return Some("an embedded file");
        }
        dict.iter().find_map(|(_, v)| object_has(v))
    }
    fn object_has(object: &Object) -> Option<&'static str> {
        match object {
            Object::Dictionary(d) => dict_has(d),
            Object::Stream(s) => dict_has(&s.dict),
            Object::Array(items) => items.iter().find_map(object_has),
            _ => None,
        }
    }
    doc.objects.values().find_map(object_has)
}

/// Keeps of `dict` only the keys in `allowed`; the others' names go to `removed`.
fn retain_keys(dict: &mut Dictionary, allowed: &[&[u8]], removed: &mut Vec<String>) {
    let extra: Vec<Vec<u8>> =
        dict.iter().map(|(k, _)| k.clone()).filter(|k| !allowed.contains(&k.as_slice())).collect();
    for key in extra {
        dict.remove(&key);
        removed.push(String::from_utf8_lossy(&key).into_owned());
    }
}

/// A JPEG without its EXIF, XMP, other application and comment segments
/// (APP1–APP13, APP15, COM); JFIF (APP0) and Adobe's colour transform
/// (APP14), which the picture needs, stay. `None`: not a JPEG it can read.
fn strip_jpeg(data: &[u8]) -> Option<(Vec<u8>, bool)> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = vec![0xFF, 0xD8];
    let mut at = 2;
    let mut stripped = false;
    loop {
        let marker = *data.get(at + 1)?;
        if data[at] != 0xFF {
            return None;
        }
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 || marker == 0xFF {
            out.push(0xFF);
            if marker != 0xFF {
                out.push(marker);
            }
            at += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        let length = usize::from(u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]));
        let end = at.checked_add(2 + length)?;
        let segment = data.get(at..end)?;
        let metadata = matches!(marker, 0xE1..=0xED | 0xEF | 0xFE);
        if metadata {
            stripped = true;
        } else {
            out.extend_from_slice(segment);
        }
        at = end;
        if marker == 0xDA {
            // Start of scan: the picture's data follows to the end.
            out.extend_from_slice(&data[at..]);
            return Some((out, stripped));
        }
    }
}

/// Keeps what draws the pages (see the module's notes).
fn keep_what_draws(doc: &mut Document, found: &mut Found) -> Result<(), MediaError> {
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| refuse("its catalogue is not an object"))?;
    let pages = {
        let catalog = doc.get_dictionary_mut(root).map_err(|_| refuse("it has no document catalogue"))?;
        retain_keys(catalog, &CATALOG_KEYS, &mut found.document);
        catalog.get(b"Pages").and_then(Object::as_reference).map_err(|_| refuse("it has no page tree"))?
    };
    // The page tree, node by node.
    let mut nodes = vec![pages];
    let mut seen = std::collections::BTreeSet::new();
    let mut leaves = Vec::new();
    while let Some(id) = nodes.pop() {
        if !seen.insert(id) {
            continue;
        }
        let node = doc.get_dictionary_mut(id).map_err(|_| refuse("its page tree is broken"))?;
        retain_keys(node, &PAGE_KEYS, &mut found.document);
        match node.get(b"Kids").and_then(Object::as_array) {
            Ok(kids) => nodes.extend(kids.iter().filter_map(|k| k.as_reference().ok())),
            Err(_) => leaves.push(id),
        }
    }
    // Every page's contents, and every form (a drawing reused on pages),
    // written again from its operations: comments do not survive.
    let mut drawings: Vec<lopdf::ObjectId> = Vec::new();
    for page in &leaves {
        if let Ok(dict) = doc.get_dictionary(*page) {
            match dict.get(b"Contents") {
                Ok(Object::Reference(id)) => drawings.push(*id),
                Ok(Object::Array(parts)) => drawings.extend(parts.iter().filter_map(|p| p.as_reference().ok())),
                _ => {}
            }
        }
    }
    for (id, object) in &doc.objects {
        if let Object::Stream(s) = object
            && s.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Form")
        {
            drawings.push(*id);
        }
    }
    for id in drawings {
        let Ok(Object::Stream(stream)) = doc.get_object_mut(id) else { continue };
        let plain = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        let content =
            lopdf::content::Content::decode(&plain).map_err(|_| refuse("a page's drawing could not be read"))?;
        let written = content.encode().map_err(|_| refuse("a page's drawing could not be written again"))?;
        found.comments |= plain.contains(&b'%');
        stream.dict.remove(b"Filter");
        stream.dict.remove(b"DecodeParms");
        stream.set_plain_content(written);
        if stream.compress().is_err() {
            // Left uncompressed: larger, as clean.
        }
    }
    // Photos inside lose their metadata.
    for object in doc.objects.values_mut() {
        let Object::Stream(stream) = object else { continue };
        let jpeg = match stream.dict.get(b"Filter") {
            Ok(Object::Name(n)) => n == b"DCTDecode",
            Ok(Object::Array(f)) => f.len() == 1 && f[0].as_name().is_ok_and(|n| n == b"DCTDecode"),
            _ => false,
        };
        if !jpeg {
            continue;
        }
        let (clean, stripped) =
            strip_jpeg(&stream.content).ok_or_else(|| refuse("a picture inside could not be read"))?;
        if stripped {
            found.image_metadata = true;
            stream.set_content(clean);
        }
    }
    Ok(())
}

fn refuse(why: impl std::fmt::Display) -> MediaError {
    MediaError::BadPdf(why.to_string())
}

/// Rebuilds a PDF without its metadata and active content.
// Long on purpose: the scrubbing steps in the order they must run; each is commented.
pub fn scrub_pdf(input: &[u8]) -> Result<PdfOutput, MediaError> {
    let mut doc = Document::load_mem(input).map_err(|e| refuse(format!("it could not be read: {e}")))?;
    if doc.trailer.has(b"Encrypt") {
        // Many files are "encrypted" with an empty password only to
        // restrict printing; those can be opened and written in clear.
        doc = Document::load_mem_with_options(input, lopdf::LoadOptions::with_password(""))
            .map_err(|_| MediaError::EncryptedPdf)?;
        if doc.trailer.has(b"Encrypt") {
            return Err(MediaError::EncryptedPdf);
        }
    }
    if doc.catalog().is_err() {
        return Err(refuse("it has no document catalogue"));
    }
    let mut found = Found { info: info_keys(&doc), ..Found::default() };

    // A new trailer: the catalogue only. No /Info, no /ID (it can
    // carry a path or a time), no link to earlier revisions.
    let root = doc.trailer.get(b"Root").cloned().map_err(|_| refuse("it has no document catalogue"))?;
    let mut trailer = Dictionary::new();
    trailer.set("Root", root);
    doc.trailer = trailer;

    // XMP streams and embedded files go whole, wherever they are referenced from.
    let gone: Vec<_> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| {
            let dict = match o {
                Object::Stream(s) => &s.dict,
                Object::Dictionary(d) => d,
                _ => return None,
            };
            if is_xmp(dict) {
                Some((*id, "xmp"))
            } else if is_embedded_file(dict) {
                Some((*id, "file"))
            } else if unsafe_action(dict) {
                Some((*id, "action"))
            } else if dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| DROPPED_ANNOTATIONS.contains(&s)) {
                Some((*id, "file"))
            } else {
                None
            }
        })
        .collect();
    for (id, what) in gone {
        doc.objects.insert(id, Object::Null);
        match what {
            "xmp" => found.xmp = true,
            "file" => found.files = true,
            _ => found.actions = true,
        }
    }
    for object in doc.objects.values_mut() {
        clean_object(object, &mut found);
    }
    keep_what_draws(&mut doc, &mut found)?;
    // Objects nothing refers to any more (the old /Info and its values,
    // object streams, earlier revisions) are dropped, the rest renumbered.
    doc.prune_objects();
    doc.renumber_objects();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).map_err(|e| refuse(format!("it could not be written again: {e}")))?;

    // Trust the result only once it reads back clean.
    let check = Document::load_mem(&bytes).map_err(|e| refuse(format!("the rebuilt file could not be read: {e}")))?;
    if let Some(what) = still_carries(&check) {
        return Err(refuse(format!("{what} could not be removed")));
    }

    let mut report = Vec::new();
    if !found.info.is_empty() {
        report.push(format!("document information ({}): removed", found.info.join(", ")));
    }
    if found.xmp {
        report.push("XMP metadata: removed".into());
    }
    if found.scripts {
        report.push("scripts: removed".into());
    }
    if found.actions {
        report.push("automatic or external actions: removed".into());
    }
    if found.files {
        report.push("embedded files: removed".into());
    }
    if found.other {
        report.push("application data and dates: removed".into());
    }
    if !found.document.is_empty() {
        found.document.sort();
        found.document.dedup();
        report
            .push(format!("annotations, form fields and other document data ({}): removed", found.document.join(", ")));
    }
    if found.comments {
        report.push("comments in page contents: removed".into());
    }
    if found.image_metadata {
        report.push("metadata inside images: removed".into());
    }
    Ok(PdfOutput { bytes, report })
}

#[cfg(test)]
mod tests;
