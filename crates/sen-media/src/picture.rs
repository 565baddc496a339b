//! Images made safe to publish: their size read from the header and bounded before anything is
//! decoded, the camera's orientation applied, every metadata block (EXIF with its GPS position,
//! XMP, comments) removed, and the resized variants public pages offer through `srcset`.

use std::io::Cursor;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage, metadata::Orientation,
};

use crate::{Kind, MediaError};

/// The widths of the variants, when the original is wider.
pub use sen_core::variants::WIDTHS as VARIANT_WIDTHS;
const VARIANT_QUALITY: u8 = 82;
/// A JPEG original is encoded again (that is what removes its metadata) at this quality.
const ORIGINAL_QUALITY: u8 = 90;

/// How large an image may be: checked from its header, before it is decoded.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for ImageLimits {
    /// A 50-megapixel phone photo passes; decoding it takes at most ≈ 200 MB.
    fn default() -> Self {
        Self {
            max_pixels: 50_000_000,
            max_side: 16_384,
        }
    }
}

/// An image as it is stored: metadata removed, upright.
#[derive(Debug)]
pub struct Prepared {
    /// The bytes to store as the original.
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The decoded picture, upright, for the variants.
    pub picture: DynamicImage,
}

/// A resized copy, JPEG.
#[derive(Debug, Clone)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    /// JPEG, for every browser.
    pub bytes: Vec<u8>,
    /// The same picture as lossy WebP, for the browsers that take it (about a third smaller).
    pub webp: Vec<u8>,
}

fn reader(data: &[u8], kind: Kind) -> Result<ImageReader<Cursor<&[u8]>>, MediaError> {
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
        Kind::Gif => ImageFormat::Gif,
        _ => return Err(MediaError::NotAnImage),
    };
    Ok(ImageReader::with_format(Cursor::new(data), format))
}

/// The image's size from its header alone; refused when it is over `limits`.
pub fn dimensions(data: &[u8], kind: Kind, limits: &ImageLimits) -> Result<(u32, u32), MediaError> {
    let (width, height) = reader(data, kind)?
        .into_dimensions()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt("the image has no pixels".into()));
    }
    if width > limits.max_side || height > limits.max_side || pixels > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok((width, height))
}

/// Checks and decodes an image, upright: its size bounded from the header first, a JPEG cut
/// short refused. Returns the picture and the orientation its metadata asked for.
pub fn decode(
    data: &[u8],
    kind: Kind,
    limits: &ImageLimits,
) -> Result<(DynamicImage, Orientation), MediaError> {
    dimensions(data, kind, limits)?;
    if kind == Kind::Jpeg && !jpeg_is_whole(data) {
        return Err(MediaError::Corrupt("the JPEG file is cut short".into()));
    }
    let mut reader = reader(data, kind)?;
    let mut bounds = Limits::default();
    bounds.max_image_width = Some(limits.max_side);
    bounds.max_image_height = Some(limits.max_side);
    bounds.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(bounds);
    let corrupt = |e: image::ImageError| MediaError::Corrupt(e.to_string());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    picture.apply_orientation(orientation);
    Ok((picture, orientation))
}

/// Checks, decodes and cleans an uploaded image.
pub fn prepare(data: &[u8], kind: Kind, limits: &ImageLimits) -> Result<Prepared, MediaError> {
    let (picture, orientation) = decode(data, kind, limits)?;
    let (width, height) = (picture.width(), picture.height());
    let bytes = match kind {
        Kind::Jpeg => jpeg(&opaque(&picture), ORIGINAL_QUALITY)?,
        Kind::Png => encode(&picture, ImageFormat::Png)?,
        // A WebP turned by its EXIF is written again upright (losslessly); otherwise only its
        // metadata chunks go, so its compression stays.
        Kind::Webp if orientation != Orientation::NoTransforms => {
            encode(&picture, ImageFormat::WebP)?
        }
        Kind::Webp => strip_webp(data)?,
        // Re-encoding would lose the animation: only the metadata blocks go.
        Kind::Gif => strip_gif(data)?,
        _ => return Err(MediaError::NotAnImage),
    };
    Ok(Prepared {
        bytes,
        width,
        height,
        picture,
    })
}

/// The variants narrower than the picture, largest first, each made from the one before.
pub fn variants(picture: &DynamicImage) -> Result<Vec<Variant>, MediaError> {
    let (full_width, full_height) = (picture.width(), picture.height());
    let mut source = opaque(picture);
    let mut out = Vec::new();
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    for &width in VARIANT_WIDTHS.iter().rev() {
        if width >= source.width() {
            continue;
        }
        // The shape of the original, not of the variant it is made from.
        let height = ((u64::from(full_height) * u64::from(width) + u64::from(full_width) / 2)
            / u64::from(full_width))
        .max(1) as u32;
        let mut resized = DynamicImage::new_rgb8(width, height);
        resizer
            .resize(&DynamicImage::ImageRgb8(source), &mut resized, &options)
            .map_err(|e| MediaError::Corrupt(e.to_string()))?;
        let rgb = resized.into_rgb8();
        out.push(Variant {
            width,
            height,
            bytes: jpeg(&rgb, VARIANT_QUALITY)?,
            webp: webp(&rgb, VARIANT_QUALITY)?,
        });
        source = rgb;
    }
    out.reverse();
    Ok(out)
}

/// The picture as RGB; transparency laid on white, as a page's background would show it.
fn opaque(picture: &DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

fn jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let (Ok(width), Ok(height)) = (u16::try_from(rgb.width()), u16::try_from(rgb.height())) else {
        return Err(MediaError::Corrupt("too wide for JPEG".into()));
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(rgb.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Lossy WebP with libwebp's method 2 of 0–6: the four variants of a 12 MP photo took 815 ms
/// (with their JPEGs) at its default, 4, and 371 ms at 2 (`cargo bench -p sen-media`).
fn webp(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut config = webp::WebPConfig::new()
        .map_err(|()| MediaError::Corrupt("the WebP encoder could not be set up".into()))?;
    config.quality = f32::from(quality);
    config.method = 2;
    webp::Encoder::from_rgb(rgb.as_raw(), rgb.width(), rgb.height())
        .encode_advanced(&config)
        .map(|encoded| encoded.to_vec())
        .map_err(|e| MediaError::Corrupt(format!("WebP: {e:?}")))
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, format)
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out.into_inner())
}

/// Whether a JPEG ends with its end-of-image marker (some encoders pad after it).
fn jpeg_is_whole(data: &[u8]) -> bool {
    let end = data
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    data[..end].ends_with(&[0xFF, 0xD9])
}

/// A WebP without its EXIF and XMP chunks (and the header's flags for them).
fn strip_webp(data: &[u8]) -> Result<Vec<u8>, MediaError> {
    let bad = || MediaError::Corrupt("the WebP file's chunks can't be read".into());
    if data.len() < 12 || &data[..4] != b"RIFF" || &data[8..12] != b"WEBP" {
        return Err(bad());
    }
    let mut out = data[..12].to_vec();
    let mut at = 12;
    while at + 8 <= data.len() {
        let fourcc = &data[at..at + 4];
        let size = u32::from_le_bytes([data[at + 4], data[at + 5], data[at + 6], data[at + 7]]);
        let size = usize::try_from(size).map_err(|_| bad())?;
        let end = at + 8 + size + (size & 1);
        if at + 8 + size > data.len() {
            return Err(bad());
        }
        let end = end.min(data.len());
        match fourcc {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let mut chunk = data[at..end].to_vec();
                if let Some(flags) = chunk.get_mut(8) {
                    *flags &= !(0x08 | 0x04);
                }
                out.extend_from_slice(&chunk);
            }
            _ => out.extend_from_slice(&data[at..end]),
        }
        at = end;
    }
    let riff = u32::try_from(out.len() - 8).map_err(|_| bad())?;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Ok(out)
}

/// A GIF without comment blocks and application blocks other than the looping one.
fn strip_gif(data: &[u8]) -> Result<Vec<u8>, MediaError> {
    let bad = || MediaError::Corrupt("the GIF file's blocks can't be read".into());
    let byte = |at: usize| data.get(at).copied().ok_or_else(bad);
    // Sub-blocks from `at` to their terminator; returns the position after it.
    let sub_blocks = |mut at: usize| -> Result<usize, MediaError> {
        loop {
            let len = usize::from(byte(at)?);
            at += 1 + len;
            if len == 0 {
                return Ok(at);
            }
        }
    };
    let table = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let mut at = 13 + table(byte(10)?);
    if data.len() < at {
        return Err(bad());
    }
    let mut out = data[..at].to_vec();
    loop {
        match byte(at)? {
            0x3B => {
                out.push(0x3B);
                return Ok(out);
            }
            0x2C => {
                let start = at;
                at += 10 + table(byte(at + 9)?);
                at = sub_blocks(at + 1)?;
                out.extend_from_slice(data.get(start..at).ok_or_else(bad)?);
            }
            0x21 => {
                let start = at;
                let label = byte(at + 1)?;
                let keep = match label {
                    0xF9 | 0x01 => true,
                    0xFF => {
                        let id = data.get(at + 3..at + 14).ok_or_else(bad)?;
                        id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0"
                    }
                    _ => false,
                };
                at = sub_blocks(at + 2)?;
                if keep {
                    out.extend_from_slice(data.get(start..at).ok_or_else(bad)?);
                }
            }
            _ => return Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::{photo, with_exif};

    #[test]
    fn a_phone_photo_comes_out_upright_without_exif() {
        let taken = with_exif(&photo(400, 300), 6);
        assert!(taken.windows(4).any(|w| w == b"Exif"));
        let prepared = prepare(&taken, Kind::Jpeg, &ImageLimits::default()).expect("prepared");
        // Orientation 6: turned a quarter clockwise, so the stored picture is 300 × 400.
        assert_eq!((prepared.width, prepared.height), (300, 400));
        let stored = &prepared.bytes;
        assert!(!stored.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        assert!(
            !stored.windows(2).any(|w| w == [0xFF, 0xE1]),
            "no APP1 segment"
        );
        let again = image::load_from_memory(stored).expect("decodes");
        assert_eq!((again.width(), again.height()), (300, 400));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let png = crate::testing::png_bomb(50_000);
        let err = prepare(&png, Kind::Png, &ImageLimits::default()).expect_err("refused");
        assert!(
            matches!(err, MediaError::TooManyPixels { width: 50_000, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_jpeg_is_refused() {
        let whole = photo(200, 150);
        let cut = &whole[..whole.len() / 2];
        assert!(matches!(
            prepare(cut, Kind::Jpeg, &ImageLimits::default()),
            Err(MediaError::Corrupt(_))
        ));
    }

    #[test]
    fn variants_are_narrower_and_keep_the_shape() {
        let prepared =
            prepare(&photo(1200, 800), Kind::Jpeg, &ImageLimits::default()).expect("prepared");
        let made = variants(&prepared.picture).expect("variants");
        let sizes: Vec<(u32, u32)> = made.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, [(320, 213), (640, 427), (1024, 683)]);
        for v in &made {
            for (bytes, format) in [(&v.bytes, ImageFormat::Jpeg), (&v.webp, ImageFormat::WebP)] {
                assert_eq!(image::guess_format(bytes).expect("known"), format);
                let back = image::load_from_memory(bytes).expect("decodes");
                assert_eq!((back.width(), back.height()), (v.width, v.height));
            }
            // Lossy: a photo's WebP is no larger than its JPEG.
            assert!(
                v.webp.len() <= v.bytes.len(),
                "{} > {}",
                v.webp.len(),
                v.bytes.len()
            );
        }
    }

    #[test]
    fn a_gif_keeps_its_frames_and_loses_its_comments() {
        let mut gif = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
        gif.extend_from_slice(b"\x21\xFE\x05hello\0");
        gif.extend_from_slice(b"\x21\xFF\x0bNETSCAPE2.0\x03\x01\0\0\0");
        gif.extend_from_slice(b"\x21\xFF\x0bXMP DataXMP\x03abc\0");
        gif.extend_from_slice(b"\x2C\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0\x3B");
        let stripped = strip_gif(&gif).expect("stripped");
        assert!(!stripped.windows(5).any(|w| w == b"hello"));
        assert!(!stripped.windows(3).any(|w| w == b"XMP"));
        assert!(stripped.windows(11).any(|w| w == b"NETSCAPE2.0"));
        let prepared = prepare(&gif, Kind::Gif, &ImageLimits::default()).expect("prepared");
        assert_eq!(prepared.bytes, stripped);
        assert!(strip_gif(&gif[..gif.len() - 6]).is_err(), "cut short");
    }

    #[test]
    fn a_webp_loses_its_exif_chunk() {
        let picture = DynamicImage::ImageRgb8(RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3])));
        let plain = encode(&picture, ImageFormat::WebP).expect("webp");
        // Add a VP8X header with the EXIF flag and an EXIF chunk, as a camera app would.
        let mut with = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x08\0\0\0\x07\0\0\x07\0\0".to_vec();
        with.extend_from_slice(&plain[12..]);
        with.extend_from_slice(b"EXIF\x04\0\0\0GPS!");
        let size = (with.len() - 8) as u32;
        with[4..8].copy_from_slice(&size.to_le_bytes());
        let stripped = strip_webp(&with).expect("stripped");
        assert!(!stripped.windows(4).any(|w| w == b"EXIF" || w == b"GPS!"));
        assert_eq!(stripped[20] & 0x08, 0, "the EXIF flag is cleared");
        image::load_from_memory(&stripped).expect("still a WebP");
    }
}
