//! The media library: what is served carries no metadata.

use refuge_core::MediaReads;
use std::io::Cursor;

use refuge_core::Role;
use reqwest::multipart::{Form, Part};

use crate::admin::{Staff, sign_in};
use crate::helpers::*;

pub const GPS_JPEG: &[u8] = include_bytes!("../fixtures/gps-tagged.jpg");
pub const PDF: &[u8] = include_bytes!("../fixtures/report-with-author.pdf");

/// Sends the upload form; a photo's answer is the way to its review.
pub async fn send_upload(staff: &Staff, name: &str, bytes: &[u8], alt_en: &str, alt_ja: &str) -> Page {
    let form = Form::new()
        .text("csrf", staff.csrf.clone())
        .text("alt_en", alt_en.to_owned())
        .text("alt_ja", alt_ja.to_owned())
        .part("file", Part::bytes(bytes.to_vec()).file_name(name.to_owned()));
    let r = staff
        .client
        .post(format!("{}/admin/media", staff.base))
        .header("origin", &staff.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page { status, headers, body: r.text().await.unwrap() }
}

/// Uploads a file; a photo is saved as its review proposes (found faces
/// covered). The answer is the library's page, or the refusal.
pub async fn upload(staff: &Staff, name: &str, bytes: &[u8], alt_en: &str, alt_ja: &str) -> Page {
    let sent = send_upload(staff, name, bytes, alt_en, alt_ja).await;
    let Some(review) = review_of(&sent) else { return sent };
    let page = staff.get(&review).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let ticked = attrs(&page.body, "input[type=checkbox][checked]", "name");
    let mut fields: Vec<(&str, &str)> = ticked.iter().map(|name| (name.as_str(), "1")).collect();
    fields.push(("action", "save"));
    staff.post(&review, &fields).await
}

/// The review page a photo's upload leads to.
pub fn review_of(sent: &Page) -> Option<String> {
    (sent.status == 303).then(|| sent.headers["location"].to_str().unwrap().to_owned())
}

#[test]
fn the_fixture_really_has_gps_and_a_rotation() {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(GPS_JPEG)).unwrap();
    assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
    assert_eq!(exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY).unwrap().value.get_uint(0), Some(6));
    assert!(GPS_JPEG.windows(7).any(|w| w == b"xmpmeta"));
}

#[tokio::test]
async fn uploaded_photos_are_served_without_metadata() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let page = upload(&ed, "IMG_0042 (safe house).JPG", GPS_JPEG, "A frozen river at night", "夜の凍った川").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Metadata was removed"));
    let images: Vec<String> = attrs(&page.body, "section.media-item img", "src");
    assert_eq!(images.len(), 1);
    let full =
        attrs(&page.body, "section.media-item a", "href").into_iter().find(|h| h.starts_with("/media/")).unwrap();
    assert!(full.ends_with(".jpg"));
    for path in [full.clone(), images[0].clone()] {
        let (status, headers, bytes) = app.get_bytes(&path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(headers["cache-control"].to_str().unwrap().contains("immutable"));
        // The name it was uploaded under ("safe house") never reaches readers.
        let file = path.rsplit('/').next().unwrap();
        assert_eq!(headers["content-disposition"], format!("inline; filename=\"{file}\"").as_str());
        assert!(exif::Reader::new().read_from_container(&mut Cursor::new(&bytes)).is_err(), "{path}: EXIF left");
        for needle in [&b"GPS"[..], b"xmpmeta", b"Exif", b"adobe", b"safe house"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{path}: {} left",
                String::from_utf8_lossy(needle)
            );
        }
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert!(
            decoded.height() > decoded.width(),
            "{path}: turned upright ({}×{})",
            decoded.width(),
            decoded.height()
        );
    }
    // Nothing of the original is on disk.
    for entry in std::fs::read_dir(app.data_dir.join("media")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(3).any(|w| w == b"GPS"));
    }
    app.stop().await;
}

#[tokio::test]
async fn lying_files_missing_alt_text_and_translators_are_refused() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let fake = upload(&ed, "photo.jpg", b"<html><script>alert(1)</script></html>", "x", "x").await;
    assert_eq!(fake.status, 422);
    assert!(fake.body.contains("not a JPEG, PNG or WebP image or a PDF"));
    let no_alt = upload(&ed, "river.jpg", GPS_JPEG, " ", "  ").await;
    assert_eq!(no_alt.status, 422);
    assert!(no_alt.body.contains("Describe the file in one language at least"), "says what is missing");
    assert!(std::fs::read_dir(app.data_dir.join("media")).unwrap().next().is_none(), "nothing stored");
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    assert_eq!(upload(&tr, "river.jpg", GPS_JPEG, "A river", "川").await.status, 403);
    assert_eq!(app.get("/media/../refuge.db").await.status, 404);
    assert_eq!(app.get("/media/0123456789abcdef0123456789abcdef.jpg").await.status, 404);
    app.stop().await;
}

/// Alternative text goes online at once: a Japanese translator gives a
/// missing Japanese text, and changes nothing else — no other language,
/// no text already there.
#[tokio::test]
async fn a_translator_gives_missing_text_in_their_language_only() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    assert_eq!(upload(&ed, "report.pdf", PDF, "The annual report", "").await.status, 200);
    let (list, _) = app.store.media_list(0, 10).unwrap();
    let id = list.iter().find(|m| m.kind == "pdf").unwrap().id;
    let alt = |lang: &str| {
        let media = app.store.media(id).unwrap().unwrap();
        media.alt.iter().find(|(l, _)| l == lang).map(|(_, a)| a.clone()).unwrap_or_default()
    };
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let path = format!("/admin/media/{id}");
    let library = tr.get("/admin/media").await;
    assert_eq!(attrs(&library.body, &format!("#alt-{id}-en"), "readonly").len(), 1, "English is read-only");
    assert_eq!(tr.post(&path, &[("alt_en", "Changed by a translator")]).await.status, 403);
    assert_eq!(alt("en"), "The annual report");
    // The form sends every language: the English one unchanged passes.
    let given = tr.post(&path, &[("alt_en", "The annual report"), ("alt_ja", "年次報告書")]).await;
    assert_eq!(given.status, 200, "{}", given.body);
    assert_eq!(alt("ja"), "年次報告書");
    assert_eq!(tr.post(&path, &[("alt_en", "The annual report"), ("alt_ja", "書き換え")]).await.status, 403);
    assert_eq!(alt("ja"), "年次報告書", "a text already there is an editor's to change");
    // An editor changes any.
    assert_eq!(ed.post(&path, &[("alt_en", "Annual report 2025"), ("alt_ja", "年次報告書 2025")]).await.status, 200);
    assert_eq!((alt("en"), alt("ja")), ("Annual report 2025".to_owned(), "年次報告書 2025".to_owned()));
    app.stop().await;
}

/// A photo waiting for its editor's review is theirs: another account's
/// uploads never push it out; an account's own oldest gives way.
#[tokio::test]
async fn another_accounts_uploads_never_evict_a_photo_waiting_for_review() {
    let app = spawn_app().await;
    let a = sign_in(&app, "a@example.org", Role::Editor, &[]).await;
    let b = sign_in(&app, "b@example.org", Role::Editor, &[]).await;
    let mine = review_of(&send_upload(&a, "river.jpg", GPS_JPEG, "A river", "").await).expect("a review");
    let mut theirs = Vec::new();
    for n in 0..10 {
        let sent = send_upload(&b, &format!("river-{n}.jpg"), GPS_JPEG, "A river", "").await;
        theirs.push(review_of(&sent).expect("a review"));
    }
    assert_eq!(a.get(&mine).await.status, 200, "still waiting for its editor");
    assert_eq!(b.get(&theirs[9]).await.status, 200);
    assert_eq!(b.get(&theirs[0]).await.status, 404, "the account's own oldest gave way");
    app.stop().await;
}

#[tokio::test]
async fn pdfs_lose_their_author() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let page = upload(&ed, "annual report.pdf", PDF, "Annual report 2025", "2025年度年次報告").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("document information (Title, Author, Producer): removed"), "{}", page.body);
    let link = attrs(&page.body, "section.media-item a", "href").into_iter().find(|h| h.ends_with(".pdf")).unwrap();
    let (status, headers, bytes) = app.get_bytes(&link, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    let file = link.rsplit('/').next().unwrap();
    assert_eq!(headers["content-disposition"], format!("attachment; filename=\"{file}\"").as_str());
    assert!(!bytes.windows(8).any(|w| w == b"Kim Minj"));
    assert!(!bytes.windows(5).any(|w| w == b"/Info"));
    assert!(lopdf::Document::load_mem(&bytes).is_ok(), "a valid PDF, rebuilt");
    app.stop().await;
}

pub const ASTRONAUT: &[u8] = include_bytes!("../fixtures/faces/astronaut.jpg");

/// Every file anywhere under `dir` that is a JPEG, PNG or WebP image.
fn images_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(images_under(&path));
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            if bytes.starts_with(&[0xFF, 0xD8, 0xFF])
                || bytes.starts_with(b"\x89PNG")
                || bytes.get(8..12) == Some(b"WEBP")
            {
                found.push(path);
            }
        }
    }
    found
}

/// The darkest and brightest channel values inside `area` of `image`,
/// less a `margin` at its edges (where resizing and JPEG blocks blend
/// it with its surroundings).
fn inside(image: &image::RgbImage, area: (f64, f64, f64, f64), margin: u32) -> (u8, u8, f64) {
    let (x0, y0) = (area.0.ceil() as u32 + margin, area.1.ceil() as u32 + margin);
    let (x1, y1) = ((area.0 + area.2).floor() as u32 - margin, (area.1 + area.3).floor() as u32 - margin);
    let (mut low, mut high, mut sum, mut n) = (255u8, 0u8, 0f64, 0f64);
    for y in y0..y1 {
        for x in x0..x1 {
            for c in image.get_pixel(x, y).0 {
                low = low.min(c);
                high = high.max(c);
                sum += f64::from(c);
                n += 1.0;
            }
        }
    }
    (low, high, sum / n)
}

#[tokio::test]
async fn faces_are_covered_solid_before_any_file_is_made() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let other = sign_in(&app, "other@example.org", Role::Editor, &[]).await;
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;

    // The upload leads to its review; nothing is written yet.
    let sent = send_upload(&ed, "collins.jpg", ASTRONAUT, "An astronaut in her suit", "宇宙服の飛行士").await;
    let review = review_of(&sent).unwrap_or_else(|| panic!("{}: {}", sent.status, sent.body));
    assert!(review.starts_with("/admin/media/review/"), "{review}");
    let page = ed.get(&review).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Areas proposed by the face detector: 1"), "{}", page.body);
    assert_eq!(attrs(&page.body, "input[type=checkbox][checked]", "name"), ["cover_1"], "found faces are ticked");
    let (status, headers, shown) = {
        let r = ed.client.get(format!("{}{review}/photo.jpg", ed.base)).send().await.unwrap();
        (r.status().as_u16(), r.headers().clone(), r.bytes().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(image::load_from_memory(&shown).unwrap().width(), 512);
    assert!(images_under(&app.data_dir).is_empty(), "nothing written: {:?}", images_under(&app.data_dir));
    // Bound to the account that uploaded it; translators may not review.
    assert_eq!(other.get(&review).await.status, 404);
    assert_eq!(other.post(&review, &[("action", "save")]).await.status, 404);
    assert_eq!(tr.get(&review).await.status, 403);
    assert_eq!(tr.get(&format!("{review}/photo.jpg")).await.status, 403);

    // An area outside the photo is refused and says why; two are added.
    let bad = ed.post(&review, &[("cover_1", "1"), ("x", "500"), ("y", "0"), ("width", "40"), ("height", "40")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("must lie inside the photo"), "{}", bad.body);
    let flag = [("cover_1", "1"), ("action", "add"), ("x", "0"), ("y", "0"), ("width", "90"), ("height", "200")];
    let page = ed.post(&review, &flag).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let helmet = [("cover_1", "1"), ("cover_2", "1"), ("x", "320"), ("y", "360"), ("width", "150"), ("height", "120")];
    let page = ed.post(&review, &helmet).await;
    assert!(page.body.contains("Area 3 (added by you, 320, 360 · 150 × 120 pixels)"), "{}", page.body);
    assert_eq!(attrs(&page.body, "input[type=checkbox][checked]", "name"), ["cover_1", "cover_2", "cover_3"]);

    // Saved with the face and the flag covered; the helmet is unticked.
    let face = regex_area(&page.body, 1);
    let saved = ed.post(&review, &[("cover_1", "1"), ("cover_2", "1"), ("action", "save")]).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("2 areas covered"), "{}", saved.body);
    assert_eq!(ed.get(&review).await.status, 404, "forgotten once saved");

    let original = image::load_from_memory(ASTRONAUT).unwrap().to_rgb8();
    let files = attrs(&saved.body, "section.media-item a", "href");
    let full = files.iter().find(|h| h.starts_with("/media/")).unwrap().clone();
    let stored = full.trim_start_matches("/media/").trim_end_matches(".jpg").to_owned();
    let mut served = vec![full.clone()];
    for entry in std::fs::read_dir(app.data_dir.join("media")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name.starts_with(&stored), "{name}");
        if name != format!("{stored}.jpg") {
            served.push(format!("/media/{name}"));
        }
    }
    assert!(served.len() >= 2, "the full size and its variants: {served:?}");
    let flag_area = (0.0, 0.0, 90.0, 200.0);
    let helmet_area = (320.0, 360.0, 150.0, 120.0);
    for path in &served {
        let (status, _, bytes) = app.get_bytes(path, &[]).await;
        assert_eq!(status, 200, "{path}");
        let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
        let s = f64::from(decoded.width()) / 512.0;
        let scaled = |a: (f64, f64, f64, f64)| (a.0 * s, a.1 * s, a.2 * s, a.3 * s);
        let margin = 2 + (3.0 / s).ceil() as u32;
        for (name, area) in [("face", face), ("flag", flag_area)] {
            let (_, high, _) = inside(&decoded, scaled(area), margin);
            assert!(high <= 12, "{path}: the {name} is not solid black (brightest channel {high})");
            let (_, _, mean) = inside(&original, area, margin);
            assert!(mean > 60.0, "the fixture's {name} is not dark already ({mean})");
        }
        // The unticked area keeps its pixels.
        let (_, _, kept) = inside(&decoded, scaled(helmet_area), margin);
        let (_, _, was) = inside(&original, helmet_area, margin);
        assert!((kept - was).abs() < 12.0, "{path}: the helmet changed ({was} → {kept})");
    }
    assert!(images_under(&app.data_dir).iter().all(|p| p.starts_with(app.data_dir.join("media"))));

    // Cancelled: forgotten, nothing written.
    let before = images_under(&app.data_dir).len();
    let sent = send_upload(&ed, "man.jpg", include_bytes!("../fixtures/faces/camera.jpg"), "A cameraman", "").await;
    let review = review_of(&sent).unwrap();
    assert!(ed.get(&review).await.body.contains("Areas proposed by the face detector: 1"));
    let cancelled = ed.post(&review, &[("action", "cancel")]).await;
    assert!(cancelled.body.contains("nothing of it was saved"), "{}", cancelled.body);
    assert_eq!(ed.get(&review).await.status, 404);
    assert_eq!(images_under(&app.data_dir).len(), before);
    app.stop().await;
}

/// The position of area `n` as the review page states it.
fn regex_area(body: &str, n: usize) -> (f64, f64, f64, f64) {
    let label = format!("Area {n} (");
    let start = body.find(&label).unwrap_or_else(|| panic!("no {label} in {body}"));
    let text = &body[start..];
    let text = &text[text.find(", ").unwrap() + 2..text.find(" pixels").unwrap()];
    let numbers: Vec<f64> =
        text.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    (numbers[0], numbers[1], numbers[2], numbers[3])
}
