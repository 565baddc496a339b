//! Cover images for the sample content, drawn here: a gradient in the category's colours with soft
//! circles, rings and a band of dots. Deterministic, so every run makes the same bytes.

const WIDTH: u16 = 800;
const HEIGHT: u16 = 450;

/// Two colours per palette: the gradient's start and end.
const PALETTES: [([f32; 3], [f32; 3]); 8] = [
    ([11.0, 74.0, 139.0], [32.0, 142.0, 196.0]),
    ([14.0, 107.0, 84.0], [88.0, 170.0, 96.0]),
    ([150.0, 28.0, 40.0], [222.0, 108.0, 52.0]),
    ([64.0, 44.0, 128.0], [140.0, 96.0, 200.0]),
    ([10.0, 96.0, 110.0], [60.0, 176.0, 170.0]),
    ([120.0, 80.0, 20.0], [226.0, 170.0, 60.0]),
    ([30.0, 52.0, 90.0], [96.0, 120.0, 170.0]),
    ([96.0, 30.0, 80.0], [200.0, 84.0, 120.0]),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32) / ((1u64 << 24) as f32)
    }
}

enum Shape {
    Disc {
        x: f32,
        y: f32,
        r: f32,
        alpha: f32,
    },
    Ring {
        x: f32,
        y: f32,
        r: f32,
        width: f32,
        alpha: f32,
    },
}

/// A JPEG cover for `palette` (any number; it wraps) with a layout chosen by `seed`.
pub fn cover(palette: usize, seed: u64) -> Vec<u8> {
    let (from, to) = PALETTES[palette % PALETTES.len()];
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
    let (w, h) = (f32::from(WIDTH), f32::from(HEIGHT));
    let mut shapes = Vec::new();
    for _ in 0..4 {
        shapes.push(Shape::Disc {
            x: rng.next() * w,
            y: rng.next() * h,
            r: 60.0 + rng.next() * 220.0,
            alpha: 0.06 + rng.next() * 0.1,
        });
    }
    for _ in 0..3 {
        shapes.push(Shape::Ring {
            x: rng.next() * w,
            y: rng.next() * h,
            r: 40.0 + rng.next() * 160.0,
            width: 2.0 + rng.next() * 5.0,
            alpha: 0.18 + rng.next() * 0.2,
        });
    }
    let angle = rng.next() * std::f32::consts::PI;
    let (dx, dy) = (angle.cos(), angle.sin());
    let dot_row = 0.62 + rng.next() * 0.25;

    let mut pixels = Vec::with_capacity(usize::from(WIDTH) * usize::from(HEIGHT) * 3);
    for py in 0..HEIGHT {
        for px in 0..WIDTH {
            let (x, y) = (f32::from(px), f32::from(py));
            let t = (((x / w - 0.5) * dx + (y / h - 0.5) * dy) + 0.75) / 1.5;
            let t = t.clamp(0.0, 1.0);
            let mut c = [0.0f32; 3];
            for i in 0..3 {
                c[i] = from[i] + (to[i] - from[i]) * t;
            }
            let mut light = 0.0f32;
            for s in &shapes {
                match *s {
                    Shape::Disc {
                        x: sx,
                        y: sy,
                        r,
                        alpha,
                    } => {
                        let d = ((x - sx).powi(2) + (y - sy).powi(2)).sqrt();
                        // A soft edge over two pixels.
                        light += alpha * ((r - d) / 2.0).clamp(0.0, 1.0);
                    }
                    Shape::Ring {
                        x: sx,
                        y: sy,
                        r,
                        width,
                        alpha,
                    } => {
                        let d = ((x - sx).powi(2) + (y - sy).powi(2)).sqrt();
                        light += alpha * ((width / 2.0 - (d - r).abs()) / 1.5).clamp(0.0, 1.0);
                    }
                }
            }
            // A band of dots across the lower part.
            let band = (y / h - dot_row).abs() < 0.06;
            if band && px % 18 < 4 && py % 18 < 4 {
                light += 0.35;
            }
            let light = light.min(0.85);
            for v in &mut c {
                *v += (255.0 - *v) * light;
            }
            // Darker toward the bottom, where a caption would sit.
            let shade = 1.0 - 0.25 * (y / h).powi(3);
            pixels.extend(c.iter().map(|v| (v * shade).clamp(0.0, 255.0) as u8));
        }
    }
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, 82);
    if encoder
        .encode(&pixels, WIDTH, HEIGHT, jpeg_encoder::ColorType::Rgb)
        .is_err()
    {
        return Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_are_deterministic_jpegs() {
        let a = cover(1, 7);
        assert_eq!(&a[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(a, cover(1, 7));
        assert_ne!(a, cover(1, 8));
        assert!(a.len() < 120_000, "{} bytes", a.len());
    }
}
