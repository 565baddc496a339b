//! The media library through the real server: on SQLite with a local directory, on PostgreSQL
//! with a real S3-compatible server (moto), two nodes sharing it. Uploads checked by content,
//! images upright and without EXIF, variants, ranges, caching, names, refusals that store
//! nothing, and a file that can't be deleted while an article uses it.

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use sen_core::Role;
use sen_media::{StorageConfig, testing};
use sen_store::{Backend, dual_test};
use serde_json::{Value, json};

use crate::common::*;

async fn upload(
    node: &Node,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    alt: &str,
) -> (StatusCode, Value) {
    let form = Form::new()
        .part("file", Part::bytes(bytes).file_name(name.to_string()))
        .text("alt", alt.to_string());
    let r = client()
        .post(node.url("/api/v1/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn path_of(node: &Node, url: &Value) -> String {
    url.as_str()
        .expect("url")
        .trim_start_matches(&node.base)
        .to_string()
}

/// A minimal PDF of two pages.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
      2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n\
      3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n\
      4 0 obj << /Type /Page /Parent 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

dual_test!(the_media_library_end_to_end, |backend| async move {
    let store = sen_store::testing::store(backend).await;
    seed(&store).await;
    // PostgreSQL goes with S3, as several nodes would; SQLite with a local directory.
    let s3 = (backend == Backend::Postgres).then(testing::S3Server::start);
    let dir =
        std::env::temp_dir().join(format!("sen-media-http-{}-{backend:?}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let media = match &s3 {
        Some(server) => server.bucket(&format!("sen-{}", std::process::id()), "portal"),
        None => StorageConfig::Local(dir.join("media")),
    };
    let mut web = config();
    web.media = media.clone();
    web.upload_dir = dir.join("uploads");
    web.media_limits.image = 250 << 10;
    let node = Node::start(store.clone(), web.clone()).await;
    let admin = api_token(&store, "quantri", Role::Admin, vec![]).await;
    let author = api_token(&store, "ctv", Role::Author, vec![]).await;

    // A phone photo: 600 × 400 as stored by the camera, orientation 6, GPS in its EXIF.
    let taken = testing::with_exif(&testing::photo(1200, 800), 6);
    let (status, photo) = upload(
        &node,
        &author,
        "Ảnh hội nghị.JPG",
        taken,
        "Toàn cảnh hội nghị",
    )
    .await;
    assert_eq!(status, 201, "{photo}");
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(800), Some(1200))
    );
    assert_eq!(photo["type"], "image/jpeg");
    let key = photo["key"].as_str().expect("key").to_string();
    assert!(key.ends_with("-anh-hoi-nghi.jpg"), "{key}");
    let widths: Vec<i64> = photo["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["width"].as_i64().expect("width"))
        .collect();
    assert_eq!(widths, [320, 640]);
    let path = path_of(&node, &photo["url"]);
    assert_eq!(path, format!("/media/{key}"));
    let r = client().get(node.url(&path)).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    let body = r.bytes().await.expect("bytes");
    assert!(!body.windows(4).any(|w| w == b"Exif"), "no EXIF is served");
    let served = image::load_from_memory(&body).expect("an image");
    assert_eq!((served.width(), served.height()), (800, 1200), "upright");
    let r = client()
        .get(node.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // The variants are made off the request path: each is served once made.
    let variant = path_of(&node, &photo["variants"][1]["url"]);
    let mut made = None;
    for _ in 0..100 {
        let r = client()
            .get(node.url(&variant))
            .send()
            .await
            .expect("variant");
        assert_eq!(r.status(), 200);
        if r.headers()["cache-control"] == "public, max-age=31536000, immutable" {
            made = Some(r.bytes().await.expect("bytes"));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let made = image::load_from_memory(&made.expect("the variant was made")).expect("jpeg");
    assert_eq!((made.width(), made.height()), (640, 960));
    // The same address answers WebP to a browser that takes it; caches keep the two apart.
    let r = client()
        .get(node.url(&variant))
        .header(
            "accept",
            "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
        )
        .send()
        .await
        .expect("webp");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/webp");
    assert_eq!(r.headers()["vary"], "Accept");
    let webp_etag = r.headers()["etag"].clone();
    let webp = r.bytes().await.expect("bytes");
    assert_eq!(
        image::guess_format(&webp).expect("format"),
        image::ImageFormat::WebP
    );
    let r = client().get(node.url(&variant)).send().await.expect("jpeg");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["vary"], "Accept");
    assert_ne!(r.headers()["etag"], webp_etag);

    // Ranges, for seeking in audio and video.
    let r = client()
        .get(node.url(&path))
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("range");
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let total = body.len();
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 10-19/{total}").as_str()
    );
    assert_eq!(r.bytes().await.expect("bytes"), body[10..20]);
    let r = client()
        .get(node.url(&path))
        .header("range", format!("bytes={total}-"))
        .send()
        .await
        .expect("range");
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // Documents keep their Vietnamese name for the download.
    let (status, doc) = upload(&node, &author, "Kế hoạch 165-KH.pdf", pdf(), "").await;
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["pages"], 2);
    let r = client()
        .get(node.url(&path_of(&node, &doc["url"])))
        .send()
        .await
        .expect("pdf");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let disposition = r.headers()["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("inline; filename=\"Ke hoach 165-KH.pdf\"")
            && disposition.contains("filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch"),
        "{disposition}"
    );

    // Refused with the reason, and nothing stored.
    let before = store.media_keys().await.expect("keys");
    let bomb = testing::png_bomb(50_000);
    let whole = testing::photo(300, 200);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "anh.jpg",
            b"<!doctype html><script>alert(1)</script>".to_vec(),
            422,
            "not accepted",
        ),
        ("bom.png", bomb, 422, "pixels"),
        (
            "cat.jpg",
            whole[..whole.len() / 2].to_vec(),
            422,
            "cut short",
        ),
        ("rong.jpg", Vec::new(), 422, "empty"),
        ("to.jpg", testing::photo(3000, 3000), 413, "larger"),
        (
            "iphone.heic",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(),
            422,
            "JPEG",
        ),
    ];
    for (name, bytes, expected, says) in cases {
        let (status, answer) = upload(&node, &author, name, bytes, "").await;
        assert_eq!(status.as_u16(), expected, "{name}: {answer}");
        assert_eq!(answer["error"]["field"], "file", "{name}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{name}: {message}");
    }
    assert_eq!(
        store.media_keys().await.expect("keys"),
        before,
        "nothing stored"
    );
    let r = client()
        .post(node.url("/api/v1/media"))
        .multipart(Form::new().part("file", Part::bytes(vec![1, 2, 3])))
        .send()
        .await
        .expect("no token");
    assert_eq!(r.status(), 401);

    // An image without its text alternative can't be an article's cover.
    let news = category_id(&store, "tin-tuc").await;
    let (status, bare) = upload(
        &node,
        &author,
        "khong-mo-ta.jpg",
        testing::photo(500, 300),
        "",
    )
    .await;
    assert_eq!(status, 201, "{bare}");
    let r = client()
        .post(node.url("/api/v1/articles"))
        .bearer_auth(&admin)
        .json(&json!({"title": "Ảnh không mô tả", "category": news, "cover": path_of(&node, &bare["url"])}))
        .send()
        .await
        .expect("article");
    assert_eq!(r.status(), 422);
    let answer: Value = r.json().await.expect("json");
    assert_eq!(answer["error"]["field"], "cover", "{answer}");
    let bare_body = format!("<p>a</p><img src=\"{}\">", path_of(&node, &bare["url"]));
    let r = client()
        .post(node.url("/api/v1/articles"))
        .bearer_auth(&admin)
        .json(&json!({"title": "Ảnh không mô tả", "category": news, "body": bare_body}))
        .send()
        .await
        .expect("article");
    assert_eq!(r.status(), 422);

    // A cover uses the file: it can't be deleted until the article lets it go.
    let r = client()
        .post(node.url("/api/v1/articles"))
        .bearer_auth(&admin)
        .json(
            &json!({"title": "Bài có ảnh", "category": news, "cover": path, "status": "published"}),
        )
        .send()
        .await
        .expect("article");
    assert_eq!(r.status(), 201);
    let article: Value = r.json().await.expect("json");
    // The public page offers the cover's variants; a width the image is too narrow for answers
    // the original.
    let page = page_text(&client(), article["url"].as_str().expect("url")).await;
    let stem = key.trim_end_matches(".jpg");
    assert!(
        page.contains(&format!(
            "srcset=\"/media/{stem}.w320.jpg 320w, /media/{stem}.w640.jpg 640w"
        )),
        "the cover's srcset"
    );
    let r = client()
        .get(node.url(&format!("/media/{stem}.w1600.jpg")))
        .send()
        .await
        .expect("wide");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.expect("bytes"),
        body,
        "the original stands in"
    );
    let delete = |who: &str| {
        client()
            .delete(node.url(&format!("/api/v1/media/{key}")))
            .bearer_auth(who)
            .send()
    };
    let r = delete(&admin).await.expect("delete");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let answer: Value = r.json().await.expect("json");
    assert_eq!(answer["error"]["field"], "used");
    // Another author may not delete it.
    let other = api_token(&store, "ctv2", Role::Author, vec![]).await;
    assert_eq!(
        delete(&other).await.expect("delete").status(),
        StatusCode::FORBIDDEN
    );

    // A second node on the same database and storage serves the same file; one set to redirect
    // sends large files' readers to a signed URL of the bucket, with the file's type and name.
    if backend == Backend::Postgres {
        let mut redirecting = web.clone();
        redirecting.media_redirect = true;
        let second = Node::start(store.clone(), redirecting).await;
        let r = client().get(second.url(&path)).send().await.expect("get");
        assert_eq!(r.status(), 200);
        assert!(
            r.bytes().await.expect("bytes") == body,
            "served by the other node"
        );
        let mut big = pdf();
        big.extend(std::iter::repeat_n(b'%', 700 << 10));
        let (status, report) = upload(&second, &author, "Báo cáo năm.pdf", big.clone(), "").await;
        assert_eq!(status, 201, "{report}");
        let r = client()
            .get(second.url(&path_of(&second, &report["url"])))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::FOUND);
        let signed = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(
            signed.starts_with(s3.as_ref().map_or("", |s| s.endpoint.as_str())),
            "{signed}"
        );
        // The URL asks the bucket to answer with the file's type and name (S3 honours these;
        // moto, the test server, does not, so they are checked in the URL).
        assert!(
            signed.contains("response-content-type=application%2Fpdf"),
            "{signed}"
        );
        assert!(
            signed.contains(
                "response-content-disposition=inline%3B%20filename%3D%22Bao%20cao%20nam.pdf%22"
            ),
            "{signed}"
        );
        let from_bucket = client().get(&signed).send().await.expect("signed");
        assert_eq!(from_bucket.status(), 200);
        assert!(from_bucket.bytes().await.expect("bytes") == big);
        second.stop().await;
    }

    let id = article["id"].as_i64().expect("id");
    let (version,) = (store
        .article(id)
        .await
        .expect("read")
        .expect("there")
        .version,);
    let r = client()
        .patch(node.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"version": version, "cover": null}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    assert_eq!(
        delete(&admin).await.expect("delete").status(),
        StatusCode::NO_CONTENT
    );
    let r = client().get(node.url(&path)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client().get(node.url(&variant)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    node.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
});

dual_test!(the_library_in_the_admin, |backend| async move {
    let store = sen_store::testing::store(backend).await;
    seed(&store).await;
    add_user(&store, "bientap", Role::Editor).await;
    let node = Node::start(store.clone(), config()).await;
    let c = browser();
    sign_in(&c, &node, "bientap", PASSWORD).await;
    // The session's form token (the upload form carries it in its address).
    let token = page_token(&c, &node, "/admin/account").await;
    let list = page_text(&c, node.url("/admin/media")).await;
    assert!(list.contains(&format!("action=\"/admin/media?_csrf={token}\"")));
    let post = |bytes: Vec<u8>, name: &str, token: &str| {
        c.post(node.url(&format!("/admin/media?_csrf={token}")))
            .multipart(
                Form::new()
                    .part("file", Part::bytes(bytes).file_name(name.to_string()))
                    .text("alt", "Hội trường tầng 2"),
            )
            .send()
    };
    // Without the form's token: refused, nothing stored.
    let r = post(testing::photo(400, 300), "hoi-truong.jpg", "sai")
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(store.media_keys().await.expect("keys").is_empty());
    // A refused file comes back on the form, named at its field.
    let r = post(b"<html>not an image</html>".to_vec(), "anh.jpg", &token)
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("text").contains("href=\"#file\""));
    let r = post(testing::photo(400, 300), "hoi-truong.jpg", &token)
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let key = store.media_keys().await.expect("keys").remove(0);
    assert!(location(&r).starts_with(&format!("/admin/media/{key}")));
    let list = page_text(&c, node.url("/admin/media?class=image&q=hoi")).await;
    assert!(
        list.contains("hoi-truong.jpg") && list.contains("400 × 300"),
        "listed"
    );
    let empty = page_text(&c, node.url("/admin/media?class=document")).await;
    assert!(!empty.contains("hoi-truong.jpg"), "filtered by kind");

    // Described, used as a cover, then deletable only once nothing uses it.
    let detail = format!("/admin/media/{key}");
    let token = page_token(&c, &node, &detail).await;
    let r = c
        .post(node.url(&detail))
        .form(&[
            ("_csrf", token.as_str()),
            ("alt", "Hội trường lớn"),
            ("caption", "Ảnh: Văn phòng"),
        ])
        .send()
        .await
        .expect("describe");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        store
            .media_file(&key)
            .await
            .expect("read")
            .expect("there")
            .alt,
        "Hội trường lớn"
    );
    let news = category_id(&store, "tin-tuc").await;
    let mut input = sen_core::ArticleInput::new("Bài dùng ảnh", news);
    input.cover_url = format!("/media/{key}");
    let article = store
        .create_article(&sen_core::Actor::CLI, input)
        .await
        .expect("article");
    let page = page_text(&c, node.url(&detail)).await;
    assert!(
        page.contains("Bài dùng ảnh") && !page.contains("/delete\""),
        "its use is shown"
    );
    let r = c
        .post(node.url(&format!("{detail}/delete")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let mut input = sen_core::ArticleInput::from(
        &store
            .article(article.id)
            .await
            .expect("read")
            .expect("there"),
    );
    input.cover_url = String::new();
    store
        .update_article(&sen_core::Actor::CLI, article.id, input)
        .await
        .expect("uncover");
    let r = c
        .post(node.url(&format!("{detail}/delete")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(store.media_file(&key).await.expect("read").is_none());
    node.stop().await;
});

// What the admin's scripts use (the upload answering JSON, the editor's picker) and replacing a
// file: every use follows the new one, the old address redirects, a file of another kind or the
// same file is refused with its reason.
dual_test!(
    the_admins_scripts_and_a_replaced_file,
    |backend| async move {
        let store = sen_store::testing::store(backend).await;
        seed(&store).await;
        let news = category_id(&store, "tin-tuc").await;
        add_staff(&store, "bientap", Role::Editor, vec![news]).await;
        add_user(&store, "ctv", Role::Author).await;
        let node = Node::start(store.clone(), config()).await;
        let c = browser();
        sign_in(&c, &node, "bientap", PASSWORD).await;
        let token = page_token(&c, &node, "/admin/account").await;
        let send = |path: String, bytes: Vec<u8>, name: &str| {
            c.post(node.url(&path))
                .header("accept", "application/json")
                .multipart(Form::new().part("file", Part::bytes(bytes).file_name(name.to_string())))
                .send()
        };
        let upload_path = format!("/admin/media?_csrf={token}");

        // The upload script's answers: the file's card, or the reason in the admin's words.
        let r = send(
            upload_path.clone(),
            testing::photo(800, 600),
            "Hội trường.jpg",
        )
        .await
        .expect("upload");
        assert_eq!(r.status(), StatusCode::CREATED);
        let card: Value = r.json().await.expect("json");
        let old = card["key"].as_str().expect("key").to_string();
        assert_eq!(card["url"], format!("/media/{old}"));
        assert_eq!(
            (
                &card["class"],
                &card["type"],
                &card["width"],
                &card["missing_alt"]
            ),
            (
                &json!("image"),
                &json!("image/jpeg"),
                &json!(800),
                &json!(true)
            )
        );
        assert_eq!(card["admin_url"], format!("/admin/media/{old}"));
        let r = send(
            upload_path.clone(),
            b"<html>trang</html>".to_vec(),
            "anh.jpg",
        )
        .await
        .expect("upload");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refusal: Value = r.json().await.expect("json");
        assert_eq!(refusal["error"]["field"], "file");
        let message = refusal["error"]["message"].as_str().expect("message");
        assert!(
            message.starts_with("Không tải lên được") && message.contains("loại tệp"),
            "{message}"
        );
        assert_eq!(store.media_keys().await.expect("keys"), vec![old.clone()]);

        // The editor's picker: a page of the library as JSON, by kind and words.
        let picker = |query: String| {
            let request = c.get(node.url(&format!("/admin/media/picker?{query}")));
            async move {
                let found: Value = request
                    .send()
                    .await
                    .expect("picker")
                    .json()
                    .await
                    .expect("json");
                found
            }
        };
        let picked = picker("class=image&q=HOI".into()).await;
        assert_eq!((&picked["total"], &picked["pages"]), (&json!(1), &json!(1)));
        assert_eq!(picked["files"][0]["key"], old.as_str());
        assert!(picked["files"][0]["thumb"].is_string());
        let none = picker("class=audio".into()).await;
        assert_eq!(none["files"], json!([]));
        // By the day it was uploaded: Vietnamese days, whatever the hour in UTC.
        let today = sen_core::format::day_key(time::OffsetDateTime::now_utc());
        let yesterday =
            sen_core::format::day_key(time::OffsetDateTime::now_utc() - time::Duration::days(1));
        for (query, total) in [
            (format!("from={today}"), 1),
            (format!("from={today}&until={today}"), 1),
            (format!("until={yesterday}"), 0),
            ("from=2000-01-01".to_string(), 1),
            ("until=2000-01-01".to_string(), 0),
            ("from=abc".to_string(), 1),
        ] {
            assert_eq!(picker(query.clone()).await["total"], total, "{query}");
        }
        let r = client()
            .get(node.url("/admin/media/picker"))
            .send()
            .await
            .expect("picker");
        assert!(
            r.status().is_redirection(),
            "not for whoever is not signed in"
        );

        // Used as a cover, in a body and as a download link of a published article.
        store
            .describe_media_file(
                &sen_core::Actor::CLI,
                &old,
                "Hội trường lớn",
                "Ảnh: Văn phòng",
            )
            .await
            .expect("describe");
        let mut input = sen_core::ArticleInput::new("Hội nghị ở hội trường lớn", news);
        input.cover_url = format!("/media/{old}");
        input.body = format!(
            "<figure><img src=\"/media/{old}\" alt=\"Hội trường\"></figure>\
         <p><a href=\"/media/{old}\">Tải ảnh gốc</a></p>"
        );
        input.status = sen_core::ArticleStatus::Published;
        let article = store
            .create_article(&sen_core::Actor::CLI, input)
            .await
            .expect("article");
        let public = format!("/tin/{}-{}.html", article.slug, article.id);
        assert!(page_text(&c, node.url(&public)).await.contains(&old));

        let detail = format!("/admin/media/{old}");
        let page = page_text(&c, node.url(&detail)).await;
        let replace = format!("{detail}/replace?_csrf={token}");
        assert!(
            page.contains(&format!("/replace?_csrf={token}\"")),
            "the replace form"
        );
        let replace_form = |bytes: Vec<u8>, name: &str| {
            c.post(node.url(&replace))
                .multipart(Form::new().part("file", Part::bytes(bytes).file_name(name.to_string())))
                .send()
        };
        // A document can't stand in for an image; the same image is no replacement.
        let r = replace_form(pdf(), "ke-hoach.pdf").await.expect("replace");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.expect("text").contains("cùng loại"));
        let r = replace_form(testing::photo(800, 600), "Hội trường.jpg")
            .await
            .expect("replace");
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.expect("text").contains("giống hệt"));
        assert!(store.media_file(&old).await.expect("read").is_some());

        let r = replace_form(testing::photo(1000, 500), "hoi-truong-moi.jpg")
            .await
            .expect("replace");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let new = store
            .media_keys()
            .await
            .expect("keys")
            .into_iter()
            .find(|k| k.ends_with("-hoi-truong-moi.jpg"))
            .expect("the new file");
        assert_eq!(location(&r), format!("/admin/media/{new}?done=replaced"));
        assert!(store.media_file(&old).await.expect("read").is_none());
        let replaced = store.media_file(&new).await.expect("read").expect("there");
        assert_eq!(replaced.alt, "Hội trường lớn", "the description stays");
        let stored = store
            .article(article.id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(stored.cover_url, format!("/media/{new}"));
        assert!(
            stored.body.contains(&format!("src=\"/media/{new}\""))
                && stored.body.contains(&format!("href=\"/media/{new}\""))
                && !stored.body.contains(&old),
            "{}",
            stored.body
        );
        assert_eq!(stored.version, article.version, "the words did not change");
        let shown = page_text(&c, node.url(&public)).await;
        assert!(
            shown.contains(&new) && !shown.contains(&old),
            "at the next request"
        );
        assert_eq!(
            logged(&store, sen_store::AuditAction::MediaReplace, None).await,
            1
        );

        // The old address, and its variants, lead to the new file.
        let r = client()
            .get(node.url(&format!("/media/{old}")))
            .send()
            .await
            .expect("old");
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(location(&r), format!("/media/{new}"));
        let old_variant = sen_media::variant_key(&old, 320);
        let r = client()
            .get(node.url(&format!("/media/{old_variant}")))
            .send()
            .await
            .expect("old variant");
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            location(&r),
            format!("/media/{}", sen_media::variant_key(&new, 320))
        );

        // An address that led to the old file still counts as a use of the new one.
        let mut input = sen_core::ArticleInput::new("Bài cũ vẫn ghi địa chỉ cũ", news);
        input.cover_url = format!("/media/{old}");
        store
            .create_article(&sen_core::Actor::CLI, input)
            .await
            .expect("article");
        let uses = store.media_usage(&new).await.expect("uses");
        assert!(
            uses.iter().any(|u| matches!(u, sen_store::MediaUse::Article { title, .. } if title == "Bài cũ vẫn ghi địa chỉ cũ")),
            "{uses:?}"
        );

        // An author's own file, once a published article shows it, is replaced only by those who
        // may change that article.
        let a = browser();
        sign_in(&a, &node, "ctv", PASSWORD).await;
        let author_token = page_token(&a, &node, "/admin/account").await;
        let r = a
            .post(node.url(&format!("/admin/media?_csrf={author_token}")))
            .header("accept", "application/json")
            .multipart(Form::new().part(
                "file",
                Part::bytes(testing::photo(640, 480)).file_name("anh-cua-ctv.jpg"),
            ))
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), StatusCode::CREATED);
        let own = r.json::<Value>().await.expect("json")["key"]
            .as_str()
            .expect("key")
            .to_string();
        store
            .describe_media_file(&sen_core::Actor::CLI, &own, "Ảnh của cộng tác viên", "")
            .await
            .expect("describe");
        let own_page = format!("/admin/media/{own}");
        assert!(
            page_text(&a, node.url(&own_page))
                .await
                .contains("/replace?_csrf="),
            "unused: theirs to replace"
        );
        let mut input = sen_core::ArticleInput::new("Bài đã đăng dùng ảnh của cộng tác viên", news);
        input.cover_url = format!("/media/{own}");
        input.status = sen_core::ArticleStatus::Published;
        store
            .create_article(&sen_core::Actor::CLI, input)
            .await
            .expect("article");
        assert!(
            !page_text(&a, node.url(&own_page))
                .await
                .contains("/replace?_csrf=")
        );
        let r = a
            .post(node.url(&format!("{own_page}/replace?_csrf={author_token}")))
            .multipart(Form::new().part(
                "file",
                Part::bytes(testing::photo(300, 200)).file_name("doi-anh.jpg"),
            ))
            .send()
            .await
            .expect("replace");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(store.media_file(&own).await.expect("read").is_some());
        node.stop().await;
    }
);
