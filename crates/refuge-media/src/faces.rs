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
            // A quarter more on each side, a third above (hair).
            let (x0, y0) = ((x - w * 0.25).max(0.0), (y - h * 0.35).max(0.0));
            let (x1, y1) = (x + w * 1.25, y + h * 1.25);
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
