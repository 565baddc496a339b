//! The admin area's own templates, stylesheet, script and message catalogue. Embedded in the binary
//! and not themed: staff get the same tool whatever the portal looks like.

use std::{collections::HashMap, sync::Arc};

use minijinja::{Environment, Value};

use crate::theme::ThemeError;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../admin/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded![
    "templates/site.html",
    "templates/categories.html",
    "templates/category_form.html",
    "templates/pages.html",
    "templates/page_form.html",
    "templates/layout.html",
    "templates/macros.html",
    "templates/login.html",
    "templates/password.html",
    "templates/dashboard.html",
    "templates/users.html",
    "templates/user_form.html",
    "templates/account.html",
    "templates/audit.html",
    "templates/error.html",
    "templates/login_code.html",
    "templates/second_factor.html",
    "templates/security.html",
    "templates/articles.html",
    "templates/article_form.html",
    "templates/revisions.html",
    "templates/revision_compare.html",
    "templates/media.html",
    "templates/media_file.html",
];

const STATICS: &[(&str, &str, &str)] = &[
    (
        "admin.css",
        "text/css; charset=utf-8",
        include_str!("../admin/static/admin.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_str!("../admin/static/admin.js"),
    ),
    // The article editor: built from npm packages by scripts/build-editor, committed.
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_str!("../admin/static/editor.js"),
    ),
    (
        "editor.css",
        "text/css; charset=utf-8",
        include_str!("../admin/static/editor.css"),
    ),
    (
        "editor.LICENSES.txt",
        "text/plain; charset=utf-8",
        include_str!("../admin/static/editor.LICENSES.txt"),
    ),
];

/// Each language's catalogue: the admin's words, then the article editor's (kept beside its
/// sources, where its script's tests read them).
const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "vi",
        include_str!("../admin/messages/vi.toml"),
        include_str!("../admin/editor/messages.vi.toml"),
    ),
    (
        "en",
        include_str!("../admin/messages/en.toml"),
        include_str!("../admin/editor/messages.en.toml"),
    ),
];

pub struct AdminUi {
    env: Environment<'static>,
    messages: Arc<HashMap<String, String>>,
}

impl AdminUi {
    /// The admin in `lang` ("vi" or "en"; anything else is Vietnamese).
    pub fn load(lang: &str) -> Result<Self, ThemeError> {
        let (name, admin, editor) = MESSAGES
            .iter()
            .find(|(l, ..)| *l == lang)
            .unwrap_or(&MESSAGES[0]);
        let mut messages: HashMap<String, String> = toml::from_str(admin)
            .map_err(|e| ThemeError::Messages(format!("admin/messages/{name}.toml"), e))?;
        let editor: HashMap<String, String> = toml::from_str(editor)
            .map_err(|e| ThemeError::Messages(format!("admin/editor/messages.{name}.toml"), e))?;
        messages.extend(editor);
        let messages = Arc::new(messages);
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name.trim_start_matches("templates/"), source)?;
        }
        env.add_global("lang", *name);
        let catalogue = messages.clone();
        env.add_function("t", move |key: &str| -> String {
            catalogue
                .get(key)
                .cloned()
                .unwrap_or_else(|| key.to_string())
        });
        Ok(Self { env, messages })
    }

    pub fn render(&self, template: &str, ctx: Value) -> Result<String, ThemeError> {
        Ok(self.env.get_template(template)?.render(ctx)?)
    }

    /// A message of the catalogue, for text the server writes itself.
    pub fn message(&self, key: &str) -> String {
        self.messages
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// A message the catalogue may not have (an optional hint).
    pub fn optional_message(&self, key: &str) -> Option<String> {
        self.messages.get(key).cloned()
    }

    /// The messages whose keys start with `prefix`, for a script (the editor's words).
    pub fn messages_with_prefix(&self, prefix: &str) -> std::collections::BTreeMap<String, String> {
        self.messages
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A file of `/admin/static/`: its type and content.
    pub fn static_file(name: &str) -> Option<(&'static str, &'static str)> {
        STATICS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, kind, body)| (*kind, *body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_load_and_name_the_same_keys() {
        let vi = AdminUi::load("vi").expect("vi");
        let en = AdminUi::load("en").expect("en");
        let mut vi_keys: Vec<&String> = vi.messages.keys().collect();
        let mut en_keys: Vec<&String> = en.messages.keys().collect();
        vi_keys.sort();
        en_keys.sort();
        assert_eq!(vi_keys, en_keys);
        assert_eq!(vi.message("sign_in"), "Đăng nhập");
        assert_eq!(en.message("sign_in"), "Sign in");
        // The editor's words join the admin's.
        assert_eq!(vi.message("editor_library"), "Thư viện");
        assert_eq!(en.message("editor_library"), "Library");
    }
}
