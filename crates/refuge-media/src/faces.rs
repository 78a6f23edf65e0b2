//! Faces in photos: found by the SeetaFace frontal detector (the `rustface`
//! crate, its model embedded in the binary), proposed to the editor as
//! numbered areas, and covered with solid colour — never blurred or
//! pixelated, which can be reversed or recognised.

use std::sync::OnceLock;

use image::DynamicImage;
use rustface::{ImageData, Model};

/// The model, 1.2 MB, read once.
static MODEL_BYTES: &[u8] = include_bytes!("../model/seeta_fd_frontal_v1.0.bin");

fn model() -> Option<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| match rustface::read_model(std::io::Cursor::new(MODEL_BYTES)) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(error = %e, "the face model could not be read: no faces will be proposed");
                None
            }
        })
        .as_ref()
}

/// A rectangle of an image, in its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Area {
    /// The area cut to fit an image of `width` × `height`; `None` when
    /// nothing of it is inside.
    pub fn within(self, width: u32, height: u32) -> Option<Self> {
        let x2 = self.x.saturating_add(self.width).min(width);
        let y2 = self.y.saturating_add(self.height).min(height);
        (self.x < x2 && self.y < y2).then(|| Area { x: self.x, y: self.y, width: x2 - self.x, height: y2 - self.y })
    }

    /// Whether two areas share a pixel.
    pub fn overlaps(&self, other: &Area) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }
}

/// The side of the copy the detector looks at: faces of about 1/60 of it
/// (20 pixels, the detector's smallest) and more are found.
const DETECT_SIDE: u32 = 1280;

/// Finds faces (turned towards the camera, or half turned) in `image`.
/// Each area is the face with a margin (hair, ears, chin), since a
/// covered face should not be recognisable by what is left around it.
/// Faces in profile, very small, or hidden in part are missed: the editor
/// adds those.
pub fn find_faces(image: &DynamicImage) -> Vec<Area> {
    let Some(model) = model() else { return Vec::new() };
    let (width, height) = (image.width(), image.height());
    if width < 24 || height < 24 {
        return Vec::new();
    }
    let small = if width.max(height) > DETECT_SIDE {
        image.resize(DETECT_SIDE, DETECT_SIDE, image::imageops::FilterType::Triangle)
    } else {
        image.clone()
    };
    let gray = small.to_luma8();
    let scale = f64::from(width) / f64::from(gray.width());
    let mut detector = rustface::create_detector_with_model(model.clone());
    detector.set_min_face_size(20);
    detector.set_score_thresh(2.0);
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);
    let mut faces = detector.detect(&ImageData::new(gray.as_raw(), gray.width(), gray.height()));
    // Left to right, then top to bottom: the numbers follow reading order.
    faces.sort_by_key(|f| (f.bbox().x(), f.bbox().y()));
    faces
        .iter()
        .filter_map(|f| {
            let b = f.bbox();
            let (x, y) = (f64::from(b.x()) * scale, f64::from(b.y()) * scale);
            let (w, h) = (f64::from(b.width()) * scale, f64::from(b.height()) * scale);
            // A third more on each side and below, three fifths above:
            // hair and ears identify people too.
            let (x0, y0) = ((x - w * 0.35).max(0.0), (y - h * 0.6).max(0.0));
            let (x1, y1) = (x + w * 1.35, y + h * 1.3);
            Area { x: x0 as u32, y: y0 as u32, width: (x1 - x0).ceil() as u32, height: (y1 - y0).ceil() as u32 }
                .within(width, height)
        })
        .collect()
}

/// The colour areas are filled with.
pub const FILL: [u8; 3] = [0, 0, 0];

/// Fills `areas` of `image` with solid [`FILL`] (opaque where the image has
/// transparency), so no pixel of what was there is left.
pub fn cover(image: &mut DynamicImage, areas: &[Area]) {
    let (width, height) = (image.width(), image.height());
    if !matches!(image, DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_)) {
        *image = if image.color().has_alpha() {
            DynamicImage::ImageRgba8(image.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(image.to_rgb8())
        };
    }
    for area in areas.iter().filter_map(|a| a.within(width, height)) {
        for y in area.y..area.y + area.height {
            for x in area.x..area.x + area.width {
                match &mut *image {
                    DynamicImage::ImageRgba8(buffer) => {
                        buffer.put_pixel(x, y, image::Rgba([FILL[0], FILL[1], FILL[2], 255]));
                    }
                    DynamicImage::ImageRgb8(buffer) => buffer.put_pixel(x, y, image::Rgb(FILL)),
                    _ => {}
                }
            }
        }
    }
}

/// Digits 0–9, three pixels wide and five high, one row per entry.
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b001, 0b001, 0b001],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

const MARK: image::Rgb<u8> = image::Rgb([255, 214, 0]);
const INK: image::Rgb<u8> = image::Rgb([0, 0, 0]);

fn fill(img: &mut image::RgbImage, x: u32, y: u32, w: u32, h: u32, colour: image::Rgb<u8>) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, colour);
        }
    }
}

/// Writes `number` at (x, y) in black on a yellow label, `k` pixels a dot.
fn label(img: &mut image::RgbImage, x: u32, y: u32, number: u32, k: u32) {
    let text = number.to_string();
    let w = (text.len() as u32 * 4 + 1) * k;
    fill(img, x, y, w, 7 * k, MARK);
    for (i, c) in text.bytes().enumerate() {
        let glyph = DIGITS[usize::from(c - b'0')];
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..3u32 {
                if bits & (0b100 >> col) != 0 {
                    fill(img, x + (1 + i as u32 * 4 + col) * k, y + (1 + row as u32) * k, k, k, INK);
                }
            }
        }
    }
}

/// The photo for review: at most `side` pixels, a faint grid every
/// `grid` pixels of the full image (labelled with its position, for
/// editors who add areas by coordinates), and each area outlined and
/// numbered from 1, darkened when it is to be covered.
pub fn review_image(image: &DynamicImage, side: u32, grid: u32, areas: &[(Area, bool)]) -> image::RgbImage {
    let small = if image.width().max(image.height()) > side {
        image.resize(side, side, image::imageops::FilterType::Triangle)
    } else {
        image.clone()
    };
    let mut out = small.to_rgb8();
    let scale = f64::from(out.width()) / f64::from(image.width().max(1));
    let at = |v: u32| (f64::from(v) * scale).round() as u32;
    let k = (out.width().max(out.height()) / 300).clamp(2, 3);
    // The grid: every `grid` pixels, a line blended half-way to white.
    let grid = grid.max(10);
    for g in (grid..image.width()).step_by(grid as usize) {
        let x = at(g);
        for y in 0..out.height() {
            let p = out.get_pixel_mut(x.min(out.width() - 1), y);
            p.0 = p.0.map(|c| c / 2 + 128);
        }
        // Left of the line where the label would leave the picture.
        let wide = (g.to_string().len() as u32 * 4 + 1) * k;
        let lx = if x + 2 + wide > out.width() { x.saturating_sub(wide + 1) } else { x + 2 };
        label(&mut out, lx, 2, g, k);
    }
    for g in (grid..image.height()).step_by(grid as usize) {
        let y = at(g);
        for x in 0..out.width() {
            let p = out.get_pixel_mut(x, y.min(out.height() - 1));
            p.0 = p.0.map(|c| c / 2 + 128);
        }
        let ly = if y + 2 + 7 * k > out.height() { y.saturating_sub(7 * k + 1) } else { y + 2 };
        label(&mut out, 2, ly, g, k);
    }
    for (n, (area, covered)) in areas.iter().enumerate() {
        let Some(a) = area.within(image.width(), image.height()) else { continue };
        let (x, y) = (at(a.x), at(a.y));
        let (w, h) = (at(a.width).max(1), at(a.height).max(1));
        if *covered {
            for yy in y..(y + h).min(out.height()) {
                for xx in x..(x + w).min(out.width()) {
                    let p = out.get_pixel_mut(xx, yy);
                    p.0 = p.0.map(|c| c / 3);
                }
            }
        }
        let line = k + 1;
        fill(&mut out, x, y, w, line, MARK);
        fill(&mut out, x, (y + h).saturating_sub(line), w, line, MARK);
        fill(&mut out, x, y, line, h, MARK);
        fill(&mut out, (x + w).saturating_sub(line), y, line, h, MARK);
        label(&mut out, x + line, y + line, n as u32 + 1, k + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> DynamicImage {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../refuge/tests/fixtures/faces").join(name);
        image::open(path).unwrap()
    }

    #[test]
    fn the_faces_of_the_fixtures_are_found_and_nothing_else() {
        // Eileen Collins, facing the camera (NASA, public domain).
        let astronaut = fixture("astronaut.jpg");
        let faces = find_faces(&astronaut);
        assert_eq!(faces.len(), 1, "{faces:?}");
        // Her face is around (175–270, 70–165) in the 512-pixel photo.
        let face = Area { x: 180, y: 75, width: 85, height: 85 };
        assert!(faces[0].overlaps(&face) && faces[0].x <= 180 && faces[0].y <= 75, "{faces:?}");
        assert!(faces[0].x + faces[0].width >= 265 && faces[0].y + faces[0].height >= 160, "{faces:?}");
        // A man looking into a camera, half turned (CC0).
        assert_eq!(find_faces(&fixture("camera.jpg")).len(), 1);
        // A cup of coffee and a cat (CC0): no human face.
        assert!(find_faces(&fixture("coffee.jpg")).is_empty());
        assert!(find_faces(&fixture("chelsea.jpg")).is_empty());
        // Two people side by side, the larger one on the right: numbered
        // from the left, each found at its own size.
        let mut pair = DynamicImage::new_rgb8(1600, 900);
        image::imageops::overlay(
            &mut pair,
            &astronaut.resize(400, 400, image::imageops::FilterType::Triangle),
            100,
            300,
        );
        image::imageops::overlay(
            &mut pair,
            &astronaut.resize(800, 800, image::imageops::FilterType::Triangle),
            700,
            50,
        );
        let faces = find_faces(&pair);
        assert_eq!(faces.len(), 2, "{faces:?}");
        assert!(faces[0].x < 400 && faces[1].x > 800, "{faces:?}");
        assert!(faces[1].width > faces[0].width * 3 / 2, "{faces:?}");
    }

    #[test]
    fn covering_leaves_only_the_fill_inside_and_the_rest_untouched() {
        let mut image = fixture("astronaut.jpg");
        let before = image.to_rgb8();
        let areas = [Area { x: 10, y: 20, width: 30, height: 40 }, Area { x: 500, y: 500, width: 100, height: 100 }];
        cover(&mut image, &areas);
        let after = image.to_rgb8();
        for (x, y, p) in after.enumerate_pixels() {
            let inside = areas
                .iter()
                .any(|a| a.within(512, 512).is_some_and(|a| a.overlaps(&Area { x, y, width: 1, height: 1 })));
            if inside {
                assert_eq!(p.0, FILL, "({x}, {y})");
            } else {
                assert_eq!(p, before.get_pixel(x, y), "({x}, {y})");
            }
        }
        let mut transparent = DynamicImage::new_rgba8(8, 8);
        cover(&mut transparent, &[Area { x: 0, y: 0, width: 4, height: 8 }]);
        assert_eq!(transparent.to_rgba8().get_pixel(1, 1).0, [0, 0, 0, 255], "opaque");
        assert_eq!(transparent.to_rgba8().get_pixel(5, 1).0, [0, 0, 0, 0], "untouched");
    }

    #[test]
    fn areas_are_cut_to_the_image() {
        assert_eq!(
            Area { x: 90, y: 5, width: 50, height: 10 }.within(100, 100),
            Some(Area { x: 90, y: 5, width: 10, height: 10 })
        );
        assert_eq!(Area { x: 100, y: 5, width: 50, height: 10 }.within(100, 100), None);
        assert_eq!(Area { x: 1, y: 1, width: 0, height: 10 }.within(100, 100), None);
        assert_eq!(Area { x: u32::MAX, y: 1, width: u32::MAX, height: 10 }.within(100, 100), None);
    }
}

#[cfg(test)]
mod review_tests {
    use super::*;

    #[test]
    fn the_review_image_numbers_and_darkens_the_areas() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../refuge/tests/fixtures/faces/astronaut.jpg");
        let image = image::open(path).unwrap();
        let faces = find_faces(&image);
        let areas = [(faces[0], true), (Area { x: 300, y: 330, width: 150, height: 110 }, false)];
        let out = review_image(&image, 1200, 100, &areas);
        assert_eq!((out.width(), out.height()), (512, 512));
        // The outline is yellow, the covered area darkened, the other not.
        assert_eq!(*out.get_pixel(faces[0].x, faces[0].y + faces[0].height / 2), MARK);
        let centre = |a: Area| *out.get_pixel(a.x + a.width / 2, a.y + a.height / 2);
        let original = |a: Area| image.to_rgb8().get_pixel(a.x + a.width / 2, a.y + a.height / 2).0;
        assert_eq!(centre(faces[0]).0, original(faces[0]).map(|c| c / 3));
        assert_eq!(centre(areas[1].0).0, original(areas[1].0));
        if let Some(dir) = std::env::var_os("REFUGE_REVIEW_IMAGE") {
            out.save(std::path::Path::new(&dir).join("review.png")).unwrap();
        }
    }
}
