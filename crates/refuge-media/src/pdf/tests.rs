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
    let prev = String::from_utf8_lossy(&pdf).rsplit("startxref\n").next().unwrap().lines().next().unwrap().to_owned();
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

/// A PDF built here that names someone everywhere a PDF can hide a
/// name besides its metadata: an annotation's author and text, a
/// form field's value, a custom catalogue key, page labels, a named
/// destination, an outline, a comment in the page's drawing, and a
/// photo inside with EXIF (GPS) and a comment.
fn names_everywhere() -> Vec<u8> {
    use lopdf::{Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages = doc.new_object_id();
    let photo = crate::testing::tagged_jpeg(16, 16, 1);
    let image = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 16, "Height" => 16,
        "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "DCTDecode" },
        photo,
    ));
    let drawing = b"% drawn for Park Ji-hoon
q 16 0 0 16 72 600 cm /Im1 Do Q
BT /F1 18 Tf 72 720 Td (Annual report) Tj ET
% end Park
";
    let contents = doc.add_object(Stream::new(dictionary! {}, drawing.to_vec()));
    let annot = doc.add_object(
        dictionary! { "Type" => "Annot", "Subtype" => "Text", "Rect" => vec![0.into(), 0.into(), 9.into(), 9.into()],
        "T" => Object::string_literal("Park Ji-hoon"), "Contents" => Object::string_literal("Ji-hoon's statement") },
    );
    let field = doc.add_object(dictionary! { "FT" => "Tx", "T" => Object::string_literal("name"), "V" => Object::string_literal("Park Ji-hoon"),
            "Subtype" => "Widget", "Rect" => vec![0.into(), 0.into(), 9.into(), 9.into()] });
    let page = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()], "Contents" => contents,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" } },
                "XObject" => dictionary! { "Im1" => image } },
            "Annots" => vec![annot.into(), field.into()], "StructParents" => 0,
            "X-Witness" => Object::string_literal("Park Ji-hoon") });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let outline = doc.add_object(dictionary! { "Title" => Object::string_literal("Testimony of Park Ji-hoon") });
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages,
            "AcroForm" => dictionary! { "Fields" => vec![field.into()] },
            "PageLabels" => dictionary! { "Nums" => vec![0.into(), dictionary! { "P" => Object::string_literal("Park-") }.into()] },
            "Names" => dictionary! { "Dests" => dictionary! { "Names" => vec![Object::string_literal("JihoonPage"), vec![page.into(), "Fit".into()].into()] } },
            "Outlines" => dictionary! { "First" => outline, "Last" => outline, "Count" => 1 },
            "X-Case-Owner" => Object::string_literal("Park Ji-hoon") });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

#[test]
fn only_what_draws_the_pages_is_kept() {
    let pdf = names_everywhere();
    assert!(all_text(&pdf).contains("Park Ji-hoon") && all_text(&pdf).contains("GPS"), "the fixture names him");
    let out = scrub_pdf(&pdf).unwrap();
    let text = all_text(&out.bytes);
    for needle in [
        "Park",
        "Ji-hoon",
        "Jihoon",
        "GPS",
        "Exif",
        "xmpmeta",
        "safe house",
        "Annot",
        "AcroForm",
        "PageLabels",
        "Dests",
        "Outlines",
        "X-",
    ] {
        assert!(!text.contains(needle), "{needle} left in\n{text}");
    }
    assert!(text.contains("Annual report") && text.contains("/Im1 Do"), "the page is still drawn: {text}");
    let doc = Document::load_mem(&out.bytes).unwrap();
    let image = doc.objects.values().find_map(|o| match o {
        Object::Stream(s) if s.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Image") => {
            Some(s.content.clone())
        }
        _ => None,
    });
    let image = image.expect("the photo is kept");
    assert!(image::load_from_memory(&image).is_ok(), "and still a picture");
    for expected in ["annotations", "comments", "metadata inside images"] {
        assert!(out.report.iter().any(|r| r.contains(expected)), "{expected}: {:?}", out.report);
    }
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
    let pdf = raw_pdf(&[b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"], "/Root 1 0 R");
    let out = scrub_pdf(&pdf).unwrap();
    assert!(out.report.is_empty(), "{:?}", out.report);
}
