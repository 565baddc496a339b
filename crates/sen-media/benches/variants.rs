//! Time and peak memory of making an upload safe and its variants, for a 12-megapixel phone
//! photo (4000 × 3000, EXIF orientation 6): `cargo bench -p sen-media --bench variants`.
//! Prints the figures; it asserts nothing (bench/media.sh records them).

use std::time::Instant;

use sen_media::{ImageLimits, Kind, picture, testing};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let photo = testing::with_exif(&testing::photo(4000, 3000), 6);
    let before = peak_rss_mb();
    let mut prepare_ms = Vec::new();
    let mut variants_ms = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let prepared =
            picture::prepare(&photo, Kind::Jpeg, &ImageLimits::default()).expect("prepared");
        prepare_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let made = picture::variants(&prepared.picture).expect("variants");
        variants_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(made.len(), 4);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "12 MP JPEG ({} KB): decode + orient + strip + re-encode {:.0} ms, 4 variants {:.0} ms (medians of 3); peak RSS {:.0} MB (before: {:.0} MB)",
        photo.len() / 1024,
        median(&mut prepare_ms),
        median(&mut variants_ms),
        peak_rss_mb(),
        before
    );
}
