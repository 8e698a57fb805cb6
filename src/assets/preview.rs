//! Thumbnails of image versions for the library's rows and the asset page. PDFs get no
//! first-page preview: no maintained crate renders a PDF page without a native library
//! (pdfium, poppler), which this deployment does not assume.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// The longest side of a thumbnail, in pixels.
const SIDE: u32 = 320;

/// A PNG thumbnail of an image file; `None` for other files or an image that cannot be read.
/// Decoding is bounded, so a small file claiming huge dimensions cannot exhaust memory.
pub fn thumbnail(content_type: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    if !matches!(content_type, "image/png" | "image/jpeg" | "image/gif") {
        return None;
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().ok()?;
    let mut png = Cursor::new(Vec::new());
    image
        .thumbnail(SIDE, SIDE)
        .write_to(&mut png, ImageFormat::Png)
        .ok()?;
    Some(png.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_get_a_small_png_and_other_files_none() {
        let mut big = Cursor::new(Vec::new());
        image::RgbImage::from_pixel(1200, 600, image::Rgb([200, 40, 40]))
            .write_to(&mut big, ImageFormat::Png)
            .unwrap();
        let small = thumbnail("image/png", big.get_ref()).expect("a thumbnail");
        let decoded = image::load_from_memory(&small).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 160));
        assert!(thumbnail("application/pdf", b"%PDF-1.7").is_none());
        assert!(thumbnail("image/png", b"\x89PNG broken").is_none());
    }
}
