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

/// What cleaning found, for the report.
#[derive(Default)]
struct Found {
    info: Vec<String>,
    xmp: bool,
    scripts: bool,
    actions: bool,
    files: bool,
    other: bool,
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
    Ok(PdfOutput { bytes, report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{hostile_pdf, raw_pdf};

    /// Every byte of a PDF a reader could see: the file and every stream inflated.
    pub fn all_text(bytes: &[u8]) -> String {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        let doc = Document::load_mem(bytes).unwrap();
        for o in doc.objects.values() {
            if let Object::Stream(s) = o {
                let plain = s.decompressed_content().unwrap_or_else(|_| s.content.clone());
                text.push_str(&String::from_utf8_lossy(&plain));
            }
        }
        text
    }

    #[test]
    fn the_fixture_really_is_hostile() {
        let pdf = hostile_pdf();
        let doc = Document::load_mem(&pdf).unwrap();
        let info = doc.get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap()).unwrap();
        assert!(info.has(b"Author") && info.has(b"Creator"), "name escapes decode to real keys");
        assert!(all_text(&pdf).contains("GPSLatitude"));
    }

    #[test]
    fn rebuilt_without_metadata_or_active_content() {
        let out = scrub_pdf(&hostile_pdf()).unwrap();
        let text = all_text(&out.bytes);
        for needle in [
            "Jane",
            "Roe",
            "4A616E65",
            "Safe House",
            "jane@example.org",
            "CreationDate",
            "20250314",
            "xmpmeta",
            "GPS",
            "JavaScript",
            "/JS",
            "Launch",
            "cmd.exe",
            "EmbeddedFile",
            "PieceInfo",
            "/Info",
            "/ID",
        ] {
            assert!(!text.contains(needle), "{needle} left in\n{text}");
        }
        assert!(text.contains("Annual report"), "the page itself is kept");
        let doc = Document::load_mem(&out.bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        for expected in ["document information", "XMP", "scripts", "actions", "embedded files"] {
            assert!(out.report.iter().any(|r| r.contains(expected)), "{expected}: {:?}", out.report);
        }
    }

    #[test]
    fn incremental_updates_and_object_streams_leave_nothing() {
        // An earlier revision's /Info, replaced by an incremental update:
        // the old object stays in the file unless it is rebuilt.
        let mut pdf = raw_pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
                b"<< /Author (Old Author Name) >>",
            ],
            "/Root 1 0 R /Info 4 0 R",
        );
        let prev =
            String::from_utf8_lossy(&pdf).rsplit("startxref\n").next().unwrap().lines().next().unwrap().to_owned();
        let at = pdf.len();
        pdf.extend_from_slice(b"5 0 obj\n<< /Title (New) >>\nendobj\n");
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!("xref\n5 1\n{at:010} 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /Info 5 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n")
                .as_bytes(),
        );
        assert!(Document::load_mem(&pdf).is_ok());
        let out = scrub_pdf(&pdf).unwrap();
        let text = all_text(&out.bytes);
        assert!(!text.contains("Old Author") && !text.contains("New"), "{text}");

        // Object streams (PDF 1.5): the information dictionary compressed inside one.
        let mut doc = Document::with_version("1.5");
        let pages = doc.new_object_id();
        let page = doc.add_object(lopdf::dictionary! { "Type" => "Page", "Parent" => pages, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()] });
        doc.objects.insert(
            pages,
            Object::Dictionary(lopdf::dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let catalog = doc.add_object(lopdf::dictionary! { "Type" => "Catalog", "Pages" => pages });
        let info = doc.add_object(lopdf::dictionary! { "Author" => Object::string_literal("Hidden Author"), "Company" => Object::string_literal("Hidden Co") });
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        let mut packed = Vec::new();
        doc.save_with_options(
            &mut packed,
            lopdf::SaveOptions { use_object_streams: true, use_xref_streams: true, ..Default::default() },
        )
        .unwrap();
        assert!(!String::from_utf8_lossy(&packed).contains("Hidden"), "really compressed");
        let out = scrub_pdf(&packed).unwrap();
        assert!(!all_text(&out.bytes).contains("Hidden"));
        assert!(out.report.iter().any(|r| r.contains("Author")));
    }

    #[test]
    fn unreadable_or_encrypted_files_are_refused() {
        assert!(matches!(scrub_pdf(b"%PDF-1.7\ngarbage"), Err(MediaError::BadPdf(_))));
        let encrypted = raw_pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [] /Count 0 >>",
                b"<< /Filter /Standard /V 4 /R 4 /Length 128 /P -4 /O <00> /U <00> >>",
            ],
            "/Root 1 0 R /Encrypt 3 0 R /ID [<0102> <0304>]",
        );
        assert!(scrub_pdf(&encrypted).is_err());
    }

    #[test]
    fn clean_pdf_reports_nothing() {
        let pdf =
            raw_pdf(&[b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"], "/Root 1 0 R");
        let out = scrub_pdf(&pdf).unwrap();
        assert!(out.report.is_empty(), "{:?}", out.report);
    }
}
