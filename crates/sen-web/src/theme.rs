//! The theme: templates, static files and the message catalogue. The default theme is embedded in the
//! binary; a directory given in the configuration overrides any of its files.

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    path::PathBuf,
    sync::Arc,
};

use bytes::Bytes;
use minijinja::{Environment, State, Value, value::Kwargs};
use rustc_hash::FxHashMap;

use crate::{
    context::CHROME_KEY,
    read::{
        cache::{LIVE_END, LIVE_START},
        chrome::ChromeObject,
    },
};

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../../themes/default/", $name)) as &[u8])),*]
    };
}

const EMBEDDED: &[(&str, &[u8])] = embedded![
    "templates/base.html",
    "templates/frames/masthead.html",
    "templates/frames/nav.html",
    "templates/frames/stats.html",
    "templates/frames/popular.html",
    "templates/frames/footer.html",
    "templates/home.html",
    "templates/list.html",
    "templates/article.html",
    "templates/print.html",
    "templates/page.html",
    "templates/error.html",
    "messages/vi.toml",
    "messages/en.toml",
    "static/style.css",
    "static/favicon.svg",
    "static/drum.svg",
    "static/drum-light.svg",
    "static/print.js",
    "static/embed.js",
];

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("template error: {0}")]
    Template(#[from] minijinja::Error),
    #[error("message catalogue {0} is not valid TOML: {1}")]
    Messages(String, toml::de::Error),
}

/// A static file of the theme.
#[derive(Clone)]
pub struct StaticFile {
    pub content_type: &'static str,
    pub bytes: Bytes,
}

pub struct Theme {
    env: Environment<'static>,
    statics: HashMap<String, StaticFile>,
    messages: Arc<HashMap<String, String>>,
}

fn read(dir: Option<&PathBuf>, name: &str) -> Option<Vec<u8>> {
    if let Some(dir) = dir
        && let Ok(bytes) = std::fs::read(dir.join(name))
    {
        return Some(bytes);
    }
    EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b.to_vec())
}

/// The entity HTML escaping writes for `byte`, if it is one to escape.
fn entity(byte: u8) -> Option<&'static str> {
    Some(match byte {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        b'\'' => "&#39;",
        _ => return None,
    })
}

/// Below this length a text is read byte by byte: a word-at-a-time search costs more to set up.
const SHORT_TEXT: usize = 32;

/// Writes `text` HTML-escaped, in pieces: the runs between the bytes to escape, and their entities.
/// Every value a page writes out passes here. A longer text is read a word at a time (memchr) by
/// two searches, one for markup and one for quotes, each resumed only past its own find: every
/// byte is read at most twice, however many there are to escape.
fn escape_html<E>(text: &str, mut write: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut last = 0;
    if end < SHORT_TEXT {
        for (i, byte) in bytes.iter().enumerate() {
            if let Some(entity) = entity(*byte) {
                write(&text[last..i])?;
                write(entity)?;
                last = i + 1;
            }
        }
        return write(&text[last..]);
    }
    let markup_from =
        |at: usize| memchr::memchr3(b'&', b'<', b'>', &bytes[at..]).map_or(end, |i| at + i);
    let quote_from = |at: usize| memchr::memchr2(b'"', b'\'', &bytes[at..]).map_or(end, |i| at + i);
    let (mut markup, mut quote) = (markup_from(0), quote_from(0));
    loop {
        let i = markup.min(quote);
        let Some(entity) = bytes.get(i).copied().and_then(entity) else {
            return write(&text[last..]);
        };
        write(&text[last..i])?;
        write(entity)?;
        last = i + 1;
        if i == markup {
            markup = markup_from(last);
        } else {
            quote = quote_from(last);
        }
    }
}

/// Escapes like the default formatter, but leaves `/` alone: URLs stay readable in attributes.
fn format_value(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (minijinja::AutoEscape::Html, Some(text)) if !value.is_safe() => {
            escape_html(text, |piece| {
                out.write_str(piece).map_err(minijinja::Error::from)
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `urlencode` as minijinja's own encodes text (all but ASCII letters, digits and `/._-` as `%XX`),
/// without its formatter's call per byte: the share links' three cost 12.6k instructions an
/// article page. Anything but text goes to the built-in.
fn urlencode(value: &Value) -> Result<String, minijinja::Error> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let Some(text) = value.as_str() else {
        return minijinja::filters::urlencode(value);
    };
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    Ok(out)
}

/// The message `t(key)` gives: the catalogue's text, or the key itself when it has none.
fn message_text<'a>(messages: &'a HashMap<String, String>, key: &'a str) -> &'a str {
    messages.get(key).map_or(key, String::as_str)
}

/// Writes each `{{ t("key") }}` of an HTML template's source as its message, escaped as the page
/// would write it: a theme's language is fixed when it loads, and each call cost the interpreter
/// ≈ 1.8k instructions on every render (21 on an article page). Calls in any other form
/// (`{{- t("k") -}}`, `t("k") ~ x`, filters) stay calls, as does a message that looks like
/// template syntax.
fn bake_messages(source: &str, messages: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        let (before, tag) = rest.split_at(start);
        out.push_str(before);
        match message_call(tag) {
            Some((key, len)) => {
                let mut text = String::new();
                let _ = escape_html(message_text(messages, key), |piece| {
                    text.push_str(piece);
                    Ok::<(), ()>(())
                });
                if ["{{", "{%", "{#"].iter().any(|open| text.contains(open)) {
                    out.push_str(&tag[..len]);
                } else {
                    out.push_str(&text);
                }
                rest = &tag[len..];
            }
            None => {
                out.push_str("{{");
                rest = &tag[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `{{ t("key") }}` (or with single quotes) at the start of `tag`: the key and the call's length.
fn message_call(tag: &str) -> Option<(&str, usize)> {
    let inner = tag.strip_prefix("{{")?.trim_start_matches(' ');
    let inner = inner.strip_prefix("t(")?;
    let quote = inner.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &inner[1..];
    let end = inner.find(quote)?;
    let key = &inner[..end];
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return None;
    }
    let after = inner[end + 1..].strip_prefix(')')?.trim_start_matches(' ');
    let after = after.strip_prefix("}}")?;
    Some((key, tag.len() - after.len()))
}

/// `frame(name, key=value, …)`: the template `frames/{name}` rendered with the site, the menus and
/// the given values, and nothing else of the page, so one rendering serves every page that passes
/// the same values until the chrome changes. The parts of the frame that every page shares are thus
/// rendered once per version of the chrome; a theme keeps what varies per page out of its frames.
fn frame(state: &State, name: &str, args: Kwargs) -> Result<Value, minijinja::Error> {
    let chrome = state
        .lookup(CHROME_KEY)
        .and_then(|v| v.downcast_object::<ChromeObject>())
        .ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                "frame() needs a page's context",
            )
        })?;
    let chrome = &chrome.0;
    let mut names: Vec<&str> = args.args().collect();
    names.sort_unstable();
    let mut values = Vec::with_capacity(names.len());
    let mut key = name.to_string();
    for arg in names {
        let value: Value = args.get(arg)?;
        // Written straight into the key: a page asks for five frames. A text goes in as it is,
        // after its length (so no text can pass for another argument), not through `Debug`.
        let _ = match value.as_str() {
            Some(text) => {
                let kind = if value.is_safe() { 'S' } else { 's' };
                write!(key, "|{arg}={kind}{}:{text}", text.len())
            }
            None => write!(key, "|{arg}={value:?}"),
        };
        values.push((arg, value));
    }
    if let Some(done) = chrome.values.frame(&key) {
        return Ok(done);
    }
    let active = values
        .iter()
        .find(|(arg, _)| *arg == "active")
        .and_then(|(_, v)| i64::try_from(v.clone()).ok());
    let mut ctx: BTreeMap<String, Value> = values
        .into_iter()
        .map(|(arg, v)| (arg.to_string(), v))
        .collect();
    ctx.insert("site".into(), chrome.values.site.clone());
    ctx.insert("menu".into(), chrome.menu(active));
    ctx.insert("pages_menu".into(), chrome.values.pages_menu.clone());
    let html = state
        .env()
        .get_template(&format!("frames/{name}"))?
        .render(Value::from(ctx))?;
    let done = Value::from_safe_string(html);
    chrome.values.keep_frame(key, done.clone());
    Ok(done)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

impl Theme {
    /// Loads the theme for `lang` ("vi" or "en"); `dir` overrides the embedded files.
    pub fn load(dir: Option<PathBuf>, lang: &str) -> Result<Self, ThemeError> {
        let catalogue = format!("messages/{lang}.toml");
        let raw = read(dir.as_ref(), &catalogue)
            .or_else(|| read(None, "messages/vi.toml"))
            .unwrap_or_default();
        let messages: HashMap<String, String> = toml::from_str(&String::from_utf8_lossy(&raw))
            .map_err(|e| ThemeError::Messages(catalogue.clone(), e))?;
        let messages = Arc::new(messages);

        let mut env = Environment::new();
        let loader_dir = dir.clone();
        let loader_messages = messages.clone();
        env.set_loader(move |name| {
            Ok(
                read(loader_dir.as_ref(), &format!("templates/{name}")).map(|b| {
                    let source = String::from_utf8_lossy(&b);
                    if name.ends_with(".html") {
                        bake_messages(&source, &loader_messages)
                    } else {
                        source.into_owned()
                    }
                }),
            )
        });
        // No fuel limit: a theme is the operator's own code, minijinja has no unbounded loops and
        // limits recursion, and counting fuel cost 7 % of every render.
        env.set_formatter(format_value);
        env.add_global("lang", lang.to_string());
        // Made into template values once, so `t()` on a page only bumps a reference count.
        let values: FxHashMap<String, Value> = messages
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        env.add_function("t", move |key: &str| -> Value {
            values.get(key).cloned().unwrap_or_else(|| Value::from(key))
        });
        env.add_function("frame", frame);
        env.add_filter("urlencode", urlencode);
        // `{{ url|srcset }}`: the variants of a library image, or nothing.
        env.add_filter("srcset", |url: &str| {
            sen_core::variants::srcset(url).unwrap_or_default()
        });
        env.add_function("live", |name: &str| -> Value {
            Value::from_safe_string(format!("{LIVE_START}{name}{LIVE_END}"))
        });
        // Templates are checked at start-up, so a broken theme fails there and not on a reader's request.
        for (name, _) in EMBEDDED.iter().filter(|(n, _)| n.starts_with("templates/")) {
            env.get_template(name.trim_start_matches("templates/"))?;
        }

        let mut statics = HashMap::new();
        for (name, bytes) in EMBEDDED.iter().filter(|(n, _)| n.starts_with("static/")) {
            let file = name.trim_start_matches("static/");
            statics.insert(
                file.to_string(),
                StaticFile {
                    content_type: content_type(file),
                    bytes: Bytes::from_static(bytes),
                },
            );
        }
        if let Some(dir) = &dir
            && let Ok(entries) = std::fs::read_dir(dir.join("static"))
        {
            for entry in entries.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                if let Ok(bytes) = std::fs::read(entry.path()) {
                    statics.insert(
                        file.clone(),
                        StaticFile {
                            content_type: content_type(&file),
                            bytes: Bytes::from(bytes),
                        },
                    );
                }
            }
        }
        Ok(Self {
            env,
            statics,
            messages,
        })
    }

    pub fn render(&self, template: &str, ctx: Value) -> Result<String, ThemeError> {
        Ok(self.env.get_template(template)?.render(ctx)?)
    }

    pub fn static_file(&self, name: &str) -> Option<StaticFile> {
        self.statics.get(name).cloned()
    }

    /// A message of the catalogue, for text the server writes itself.
    pub fn message(&self, key: &str) -> String {
        message_text(&self.messages, key).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_theme_loads_in_both_languages() {
        for lang in ["vi", "en"] {
            let theme = Theme::load(None, lang).expect("theme");
            assert!(theme.static_file("style.css").is_some());
            assert_ne!(theme.message("stats_title"), "stats_title");
        }
        let vi = Theme::load(None, "vi").expect("theme");
        assert_eq!(vi.message("stats_title"), "Thống kê truy cập");
    }

    #[test]
    fn escaping_finds_every_byte_of_either_kind_in_order() {
        let escaped = |text: &str| {
            let mut out = String::new();
            let _ = escape_html(text, |piece| {
                out.push_str(piece);
                Ok::<(), ()>(())
            });
            out
        };
        assert_eq!(escaped("plain text / url"), "plain text / url");
        assert_eq!(escaped(""), "");
        assert_eq!(escaped("a\"b<c"), "a&quot;b&lt;c");
        assert_eq!(escaped("a<b\"c"), "a&lt;b&quot;c");
        assert_eq!(
            escaped("Hội \u{2019}x'&'\"\"<>&"),
            "Hội \u{2019}x&#39;&amp;&#39;&quot;&quot;&lt;&gt;&amp;"
        );
        assert_eq!(escaped("&"), "&amp;");
        assert_eq!(escaped("''''&x"), "&#39;&#39;&#39;&#39;&amp;x");
        // Past the short-text length, through the word-at-a-time searches.
        let long = "Ngày \"hội\" <b>khoa học</b> & 'công nghệ' của tỉnh, lần thứ 12 & cuối";
        assert!(long.len() > SHORT_TEXT);
        assert_eq!(
            escaped(long),
            "Ngày &quot;hội&quot; &lt;b&gt;khoa học&lt;/b&gt; &amp; &#39;công nghệ&#39; của tỉnh, \
             lần thứ 12 &amp; cuối"
        );
        assert_eq!(escaped(&"x".repeat(40)), "x".repeat(40));
    }

    #[test]
    fn messages_are_written_into_templates_as_the_calls_would_write_them() {
        let messages: HashMap<String, String> = [
            ("views", "Lượt xem"),
            ("quote", "Tin \"nóng\" & <mới>"),
            ("syntax", "{{ x }}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let source = concat!(
            "<b>{{ t(\"views\") }}</b><i title=\"{{t('quote')}}\">{{ t(\"missing_key\") }}</i>",
            "{{- t(\"views\") }}|{{ t(\"views\")|upper }}|{{ t(\"syntax\") }}|{{ t(x) }}|{{ 1 }}"
        );
        let baked = bake_messages(source, &messages);
        assert_eq!(
            baked,
            concat!(
                "<b>Lượt xem</b><i title=\"Tin &quot;nóng&quot; &amp; &lt;mới&gt;\">missing_key</i>",
                "{{- t(\"views\") }}|{{ t(\"views\")|upper }}|{{ t(\"syntax\") }}|{{ t(x) }}|{{ 1 }}"
            )
        );
        // The page is the same, baked or called.
        let mut env = Environment::new();
        env.set_formatter(format_value);
        let values = messages.clone();
        env.add_function("t", move |key: &str| {
            Value::from(message_text(&values, key).to_string())
        });
        let ctx = minijinja::context! { x => "views" };
        let called = env
            .render_named_str("p.html", source, &ctx)
            .expect("called");
        let written = env.render_named_str("p.html", &baked, &ctx).expect("baked");
        assert_eq!(called, written);
        assert!(written.contains("Lượt xem</b>"), "{written}");
    }

    #[test]
    fn urlencode_writes_what_the_builtin_writes() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for text in [
            "",
            "https://sen.example/tin/hoi-nghi-tong-ket-12.html?a=1&b=2",
            "Hội nghị \"tổng kết\" năm 2026 — 100% đạt",
            every_ascii.as_str(),
        ] {
            let value = Value::from(text);
            assert_eq!(
                urlencode(&value).expect("ours"),
                minijinja::filters::urlencode(&value).expect("builtin"),
                "{text:?}"
            );
        }
        let map = Value::from(BTreeMap::from([("q", "Hà Nội")]));
        assert_eq!(urlencode(&map).expect("map"), "q=H%C3%A0%20N%E1%BB%99i");
        assert_eq!(urlencode(&Value::from(12)).expect("number"), "12");
    }

    #[test]
    fn escaping_keeps_slashes_and_stops_markup() {
        let theme = Theme::load(None, "vi").expect("theme");
        let out = theme.env.render_named_str(
            "x.html",
            "<a href=\"{{ u }}\">{{ t }}</a>",
            minijinja::context! {
                u => "/tin/a-1.html?x=1&y=\"2\"",
                t => "<script>alert('x')</script>",
            },
        );
        assert_eq!(
            out.expect("render"),
            "<a href=\"/tin/a-1.html?x=1&amp;y=&quot;2&quot;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</a>"
        );
    }

    #[test]
    fn a_theme_directory_overrides_a_file() {
        let dir = std::env::temp_dir().join(format!("sen-theme-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("static")).expect("dir");
        std::fs::write(dir.join("static/style.css"), "body{}").expect("write");
        let theme = Theme::load(Some(dir.clone()), "vi").expect("theme");
        assert_eq!(
            theme.static_file("style.css").expect("css").bytes,
            Bytes::from("body{}")
        );
        std::fs::remove_dir_all(dir).ok();
    }
}

#[cfg(test)]
mod frame_tests {
    use super::*;
    use crate::{context, read::chrome::Chrome};
    use sen_core::{Category, Site};

    fn chrome(name: &str) -> Arc<Chrome> {
        let category = Category {
            id: 7,
            parent_id: None,
            name: "Tin tức".into(),
            slug: "tin-tuc".into(),
            description: String::new(),
            position: 0,
            in_menu: true,
        };
        let site = Site {
            name: name.into(),
            ..Default::default()
        };
        Arc::new(Chrome::new(site, vec![category], vec![], "http://x"))
    }

    fn page(theme: &Theme, chrome: &Arc<Chrome>, path: &str, active: Option<i64>) -> String {
        let meta = context::Meta::new(Some("Trang".into()), path);
        let ctx = context::page(chrome, meta, vec![], active, vec![]);
        theme.render("base.html", ctx).expect("renders")
    }

    #[test]
    fn frames_follow_their_arguments_and_the_chrome() {
        let theme = Theme::load(None, "vi").expect("theme");
        let first = chrome("Hội A");
        let home = page(&theme, &first, "/", None);
        assert!(home.contains("<h1 class=\"brand__name\">Hội A</h1>"));
        let category = page(&theme, &first, "/chuyen-muc/tin-tuc", Some(7));
        assert!(category.contains("<span class=\"brand__name\">Hội A</span>"));
        assert!(category.contains("is-active"));
        assert!(category.contains("href=\"/chuyen-muc/tin-tuc\" aria-current=\"page\""));
        // An article in the category: the menu marks its trail, no link is the current page.
        let article = page(&theme, &first, "/tin/bai-1.html", Some(7));
        assert!(article.contains("is-active"));
        assert!(!article.contains("href=\"/chuyen-muc/tin-tuc\" aria-current"));
        // A page the menus don't link to is one frame however many such pages there are.
        for i in 0..400 {
            page(&theme, &first, &format!("/tin/bai-{i}.html"), None);
        }
        // Mastheads of home and elsewhere; menus of home, the category, its article, other
        // pages; the statistics; the footer.
        assert_eq!(first.values.frames_kept(), 8);
        // A new chrome (what a change to the site makes) is rendered anew.
        let second = chrome("Hội B");
        let after = page(&theme, &second, "/", None);
        assert!(after.contains("Hội B") && !after.contains("Hội A"));
    }

    fn most_read(serial: u64, title: &str) -> crate::read::MostRead {
        let entry = crate::read::catalog::Entry::new(sen_core::ListedArticle {
            summary: sen_core::ArticleSummary {
                id: 5,
                title: title.into(),
                slug: "bai".into(),
                summary: String::new(),
                cover_url: String::new(),
                cover_caption: String::new(),
                category_id: 7,
                published_at: time::OffsetDateTime::UNIX_EPOCH,
                views: 0,
            },
            featured: false,
            tag_ids: vec![],
        });
        crate::read::MostRead {
            serial,
            list: Arc::new(vec![Arc::new(entry)]),
        }
    }

    #[test]
    fn the_most_read_block_follows_its_ranking() {
        let theme = Theme::load(None, "vi").expect("theme");
        let chrome = chrome("Hội A");
        let render = |list: &crate::read::MostRead| {
            let mut deps = Vec::new();
            let own = vec![("most_read", context::most_read(&chrome, list, &mut deps))];
            let ctx = context::page(&chrome, context::Meta::new(None, "/x"), vec![], None, own);
            theme.render("base.html", ctx).expect("renders")
        };
        assert!(render(&most_read(1, "Bài thứ nhất")).contains("Bài thứ nhất"));
        let again = render(&most_read(2, "Bài thứ hai"));
        assert!(again.contains("Bài thứ hai") && !again.contains("Bài thứ nhất"));
    }

    #[test]
    fn a_frame_sees_only_the_chrome_and_its_arguments() {
        let theme = Theme::load(None, "vi").expect("theme");
        let mut env = theme.env.clone();
        env.add_template_owned(
            "frames/probe.html",
            "[{{ secret }}|{{ x }}|{{ site.name }}]".to_string(),
        )
        .expect("template");
        let chrome = chrome("Hội A");
        let ctx = context::page(
            &chrome,
            context::Meta::new(None, "/"),
            vec![],
            None,
            vec![("secret", Value::from("per page"))],
        );
        let out = env
            .render_named_str("p.html", "{{ frame(\"probe.html\", x=1) }}", ctx)
            .expect("renders");
        assert_eq!(out, "[|1|Hội A]");
    }
}
