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
