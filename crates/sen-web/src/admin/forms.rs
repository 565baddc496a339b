//! Form errors as the GOV.UK Design System shows them: a summary at the top linking to each field,
//! the message beside the field, what was typed kept.

use minijinja::{Value, value::Serde};
use sen_core::ValidationError;
use sen_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::{error::Error, staff_ui::AdminUi};

/// `?done=…` after a redirect: which notice the page shows ("Đã lưu …").
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    pub fn notice(&self, ui: &AdminUi) -> Option<String> {
        self.done
            .as_deref()
            .and_then(|key| ui.optional_message(&format!("notice_{key}")))
    }
}

/// The id in an admin path; anything but plain digits is a 400.
pub fn id_param(text: &str) -> Result<i64, Error> {
    crate::urls::positive(text).ok_or_else(|| Error::invalid_parameter("id", "not an id"))
}

/// A menu position as typed: empty is 0, anything but a whole number is the field's error.
pub fn position(ui: &AdminUi, text: &str, errors: &mut FormErrors) -> i32 {
    match text.trim() {
        "" => 0,
        text => text.parse().unwrap_or_else(|_| {
            errors.add(ui, "position", "err_position");
            0
        }),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// The field's name, which is also its element id: the summary links to `#{field}`.
    pub field: String,
    pub message: String,
}

/// The errors of one submitted form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(Vec<FieldError>);

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the catalogue's message `key` for `field`, unless that field already has one.
    pub fn add(&mut self, ui: &AdminUi, field: &str, key: &str) {
        if self.0.iter().all(|e| e.field != field) {
            self.0.push(FieldError {
                field: field.to_string(),
                message: ui.message(key),
            });
        }
    }

    /// Adds a message already in words.
    pub fn add_text(&mut self, field: &str, message: String) {
        if self.0.iter().all(|e| e.field != field) {
            self.0.push(FieldError {
                field: field.to_string(),
                message,
            });
        }
    }

    pub fn validation(&mut self, ui: &AdminUi, err: &ValidationError) {
        let specific = format!("err_{}_{}", err.field, err.code.as_str());
        let key = if ui.message(&specific) != specific {
            specific
        } else {
            format!("err_{}", err.code.as_str())
        };
        self.add(ui, err.field, &key);
    }

    /// What the store refused, as a field message; `Err` for what is not the form's fault.
    pub fn store(&mut self, ui: &AdminUi, err: StoreError) -> Result<(), Error> {
        match &err {
            StoreError::Invalid(v) => self.validation(ui, v),
            StoreError::Conflict(field) => {
                let specific = format!("err_{field}_taken");
                let key = if ui.message(&specific) != specific {
                    specific.as_str()
                } else {
                    "err_taken"
                };
                self.add(ui, field, key);
            }
            StoreError::MissingReference(field) => self.add(ui, field, "err_missing_reference"),
            _ => return Err(err.into()),
        }
        Ok(())
    }

    /// Each field's message, for JSON answers.
    pub fn fields(&self) -> std::collections::BTreeMap<String, String> {
        self.0
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect()
    }

    /// `errors` (the summary's list) for a template; the template finds a field's message by name.
    pub fn value(&self) -> Value {
        Value::from(Serde(&self.0))
    }
}
