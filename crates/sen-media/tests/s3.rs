//! The storage against a real S3-compatible server (moto): a file larger than one part goes up
//! in parts, comes back whole and in ranges, is listed under its prefix and deleted.

use bytes::Bytes;
use futures_util::StreamExt;
use sen_media::{MediaError, Storage, testing::S3Server};

#[tokio::test]
async fn files_live_in_an_s3_bucket() {
    let server = S3Server::start();
    let storage = Storage::open(&server.bucket("sen-media", "portal/media")).expect("s3");
    let body: Vec<u8> = (0..20_000_000u32).map(|i| (i % 253) as u8).collect();
    let file = std::env::temp_dir().join(format!("sen-s3-{}.bin", std::process::id()));
    std::fs::write(&file, &body).expect("write");
    storage
        .put_file("9a/9abc-phim.mp4", &file)
        .await
        .expect("multipart put");
    std::fs::remove_file(&file).expect("remove");
    storage
        .put("9a/9abc-anh.jpg", Bytes::from_static(b"jpeg bytes"))
        .await
        .expect("put");

    assert_eq!(
        storage.size("9a/9abc-phim.mp4").await.expect("head"),
        Some(20_000_000)
    );
    let part = storage
        .get("9a/9abc-phim.mp4", Some(12_000_000..12_000_100))
        .await
        .expect("range");
    assert_eq!(part.range, 12_000_000..12_000_100);
    let bytes: Vec<u8> = part
        .stream
        .map(|b| b.expect("bytes").to_vec())
        .concat()
        .await;
    assert_eq!(bytes, body[12_000_000..12_000_100]);
    let whole = storage.get("9a/9abc-phim.mp4", None).await.expect("whole");
    let mut length = 0;
    let mut stream = whole.stream;
    while let Some(chunk) = stream.next().await {
        length += chunk.expect("chunk").len();
    }
    assert_eq!(length, 20_000_000);

    assert_eq!(
        storage.list().await.expect("list"),
        [
            ("9a/9abc-anh.jpg".to_string(), 10),
            ("9a/9abc-phim.mp4".to_string(), 20_000_000)
        ]
    );
    storage.delete("9a/9abc-phim.mp4").await.expect("delete");
    assert!(matches!(
        storage.get("9a/9abc-phim.mp4", None).await.map(|_| ()),
        Err(MediaError::NotFound)
    ));
}
