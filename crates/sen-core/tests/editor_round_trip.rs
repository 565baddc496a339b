//! What the editor makes survives the server's sanitiser unchanged. The fixture holds every
//! construct the editor's toolbar offers, as the editor serialises it; the browser test
//! (tests/browser/editor.test.mjs) checks the editor still makes exactly this.

#[test]
fn every_editor_construct_survives_the_sanitiser() {
    let made = include_str!("fixtures/editor_constructs.html");
    assert!(made.contains("<table>") && made.contains("embed--youtube"));
    assert_eq!(sen_core::sanitize_html(made), made);
}

#[test]
fn what_the_editor_never_makes_is_removed() {
    let made = include_str!("fixtures/editor_constructs.html");
    let hostile = format!(
        "{made}<script>alert(1)</script><p onclick=\"alert(2)\">x</p>\
         <a href=\"javascript:alert(3)\">y</a><iframe src=\"https://evil.example/\"></iframe>"
    );
    let clean = sen_core::sanitize_html(&hostile);
    assert!(clean.starts_with(made));
    for bad in ["<script", "onclick", "javascript:", "<iframe"] {
        assert!(!clean.contains(bad), "{bad} in {clean}");
    }
}

/// The library's audio and video, as the editor's player node writes them, are kept; a player
/// of another host's file, or one that would run script, is not.
#[test]
fn the_librarys_players_survive_and_others_do_not() {
    let made = "<figure class=\"player\"><audio src=\"/media/ab12cd34ef56ab78-phong-su.mp3\" controls=\"\" preload=\"metadata\"></audio><figcaption>Phóng sự: hội thảo khoa học</figcaption></figure>\
                <figure class=\"player\"><video src=\"/media/ab12cd34ef56ab78-le-ky-niem.mp4\" controls=\"\" preload=\"metadata\"></video></figure>";
    assert_eq!(sen_core::sanitize_html(made), made);
    let hostile = "<video src=\"https://evil.example/track.mp4\" controls autoplay onplay=\"alert(1)\" poster=\"https://evil.example/p.png\"></video>\
                   <audio src=\"javascript:alert(2)\"></audio><audio src=\"//evil.example/a.mp3\"></audio>\
                   <audio src=\"/media/../admin/articles\"></audio><audio src=\"/media/%2e%2e/admin\"></audio>\
                   <video src=\"/media/a.mp4\" preload=\"auto\"><source src=\"https://evil.example/b.mp4\"></video>";
    let clean = sen_core::sanitize_html(hostile);
    for bad in [
        "evil.example",
        "javascript:",
        "autoplay",
        "onplay",
        "poster",
        "<source",
    ] {
        assert!(!clean.contains(bad), "{bad} in {clean}");
    }
    assert!(
        clean.contains("<video src=\"/media/a.mp4\" preload=\"metadata\">"),
        "{clean}"
    );
}
