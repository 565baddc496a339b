//! The write endpoints: the site identity, categories and static pages, for a bearer token whose
//! user the policy allows. The store validates, writes, audits and tells this node's read side
//! before it returns, so the next request sees the change.

use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use sen_core::{Category, CategoryInput, Page, PageInput, format, policy};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{
    ApiError,
    auth::Staff,
    types::{
        CategoryItem, CategoryPatch, ErrorBody, NewCategory, NewPage, PageItem, PagePatch, SiteBody,
    },
};
use crate::{
    app::App,
    error::{Error, ErrorCode, PathText},
    urls::{category_path, page_path, positive},
};

/// A JSON object of type `T` (every field defaulted, unknown ones refused). What isn't JSON is a
/// 400 naming `body`; a field of the wrong type or unknown is a 422 naming that field.
pub(super) fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(Error::invalid_parameter(
            "body",
            "the body must be a JSON object",
        ));
    };
    match serde_json::from_value::<T>(Value::Object(map.clone())) {
        Ok(parsed) => Ok(parsed),
        Err(whole) => {
            // serde names no field: the first that fails on its own is the one at fault.
            for (key, value) in map {
                let alone = Map::from_iter([(key.clone(), value)]);
                if let Err(err) = serde_json::from_value::<T>(Value::Object(alone)) {
                    return Err(
                        Error::new(ErrorCode::InvalidInput, err.to_string()).with_field(key)
                    );
                }
            }
            Err(Error::new(ErrorCode::InvalidInput, whole.to_string()).with_field("body"))
        }
    }
}

/// The id in the path: plain digits from 1.
pub(super) fn path_id(path: Result<PathText, Error>) -> Result<i64, Error> {
    let PathText(id) = path?;
    positive(&id)
        .ok_or_else(|| Error::invalid_parameter("id", "the id must be a whole number from 1"))
}

pub(super) fn category_item(base: &str, c: &Category) -> CategoryItem {
    CategoryItem {
        id: c.id,
        parent_id: c.parent_id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        description: c.description.clone(),
        position: c.position,
        in_menu: c.in_menu,
        url: format!("{base}{}", category_path(&c.slug)),
    }
}

pub(super) fn page_item(base: &str, p: Page) -> PageItem {
    PageItem {
        id: p.id,
        url: format!("{base}{}", page_path(&p.slug)),
        title: p.title,
        slug: p.slug,
        body: p.body,
        position: p.position,
        in_menu: p.in_menu,
        updated_at: format::rfc3339(p.updated_at),
    }
}

/// Replaces the site identity; it shows on every page at the next request, on every node.
#[utoipa::path(
    put,
    path = "/site",
    tag = "site",
    security(("bearer" = [])),
    request_body = SiteBody,
    responses(
        (status = 200, description = "The identity as stored", body = SiteBody),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 422, description = "A field breaks a rule; `field` names it", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn put_site(
    State(app): State<App>,
    staff: Staff,
    body: Bytes,
) -> Result<Json<SiteBody>, ApiError> {
    staff.allowed(policy::can_edit_site)?;
    let site: SiteBody = json_body(&body)?;
    let stored = app.store.put_site(&staff.actor, site.into()).await?;
    Ok(Json(stored.into()))
}

/// Creates a category.
#[utoipa::path(
    post,
    path = "/categories",
    tag = "categories",
    security(("bearer" = [])),
    request_body = NewCategory,
    responses(
        (status = 201, description = "The category as stored", body = CategoryItem),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A field breaks a rule, or the parent does not exist", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn create_category(
    State(app): State<App>,
    staff: Staff,
    body: Bytes,
) -> Result<(StatusCode, Json<CategoryItem>), ApiError> {
    staff.allowed(policy::can_manage_categories)?;
    let new: NewCategory = json_body(&body)?;
    let input = CategoryInput {
        parent_id: new.parent_id,
        name: new.name,
        slug: new.slug,
        description: new.description,
        position: new.position,
        in_menu: new.in_menu,
    };
    let created = app.store.create_category(&staff.actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(category_item(&app.config.base_url, &created)),
    ))
}

/// Changes some fields of a category: rename (the old address redirects), move, hide from the
/// menu, order.
#[utoipa::path(
    patch,
    path = "/categories/{id}",
    tag = "categories",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The category's id", minimum = 1)),
    request_body = CategoryPatch,
    responses(
        (status = 200, description = "The category as stored", body = CategoryItem),
        (status = 400, description = "The id or the body can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 404, description = "No category has this id", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A field breaks a rule, or the move would make a cycle", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn update_category(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
    body: Bytes,
) -> Result<Json<CategoryItem>, ApiError> {
    staff.allowed(policy::can_manage_categories)?;
    let id = path_id(path)?;
    let patch: CategoryPatch = json_body(&body)?;
    let current = app.store.category(id).await?.ok_or_else(Error::not_found)?;
    let mut input = CategoryInput::from(&current);
    if let Some(parent_id) = patch.parent_id {
        input.parent_id = parent_id;
    }
    input.name = patch.name.unwrap_or(input.name);
    input.slug = patch.slug.or(input.slug);
    input.description = patch.description.unwrap_or(input.description);
    input.position = patch.position.unwrap_or(input.position);
    input.in_menu = patch.in_menu.unwrap_or(input.in_menu);
    let saved = app.store.update_category(&staff.actor, id, input).await?;
    Ok(Json(category_item(&app.config.base_url, &saved)))
}

/// Deletes an empty category: one with subcategories or articles is a 409 naming which.
#[utoipa::path(
    delete,
    path = "/categories/{id}",
    tag = "categories",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The category's id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 404, description = "No category has this id", body = ErrorBody),
        (status = 409, description = "It still has subcategories or articles (`field` says which)", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn delete_category(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
) -> Result<StatusCode, ApiError> {
    staff.allowed(policy::can_manage_categories)?;
    let id = path_id(path)?;
    app.store.delete_category(&staff.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a static page.
#[utoipa::path(
    post,
    path = "/pages",
    tag = "pages",
    security(("bearer" = [])),
    request_body = NewPage,
    responses(
        (status = 201, description = "The page as stored", body = PageItem),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn create_page(
    State(app): State<App>,
    staff: Staff,
    body: Bytes,
) -> Result<(StatusCode, Json<PageItem>), ApiError> {
    staff.allowed(policy::can_manage_pages)?;
    let new: NewPage = json_body(&body)?;
    let input = PageInput {
        title: new.title,
        slug: new.slug,
        body: new.body,
        position: new.position,
        in_menu: new.in_menu,
    };
    let created = app.store.create_page(&staff.actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(page_item(&app.config.base_url, created)),
    ))
}

/// Changes some fields of a static page: text, slug (the old address redirects), menu order
/// and visibility.
#[utoipa::path(
    patch,
    path = "/pages/{id}",
    tag = "pages",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The page's id", minimum = 1)),
    request_body = PagePatch,
    responses(
        (status = 200, description = "The page as stored", body = PageItem),
        (status = 400, description = "The id or the body can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 404, description = "No page has this id", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn update_page(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
    body: Bytes,
) -> Result<Json<PageItem>, ApiError> {
    staff.allowed(policy::can_manage_pages)?;
    let id = path_id(path)?;
    let patch: PagePatch = json_body(&body)?;
    let current = app.store.page(id).await?.ok_or_else(Error::not_found)?;
    let mut input = PageInput::from(&current);
    input.title = patch.title.unwrap_or(input.title);
    input.slug = patch.slug.or(input.slug);
    input.body = patch.body.unwrap_or(input.body);
    input.position = patch.position.unwrap_or(input.position);
    input.in_menu = patch.in_menu.unwrap_or(input.in_menu);
    let saved = app.store.update_page(&staff.actor, id, input).await?;
    Ok(Json(page_item(&app.config.base_url, saved)))
}

/// Deletes a static page.
#[utoipa::path(
    delete,
    path = "/pages/{id}",
    tag = "pages",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The page's id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only administrators may", body = ErrorBody),
        (status = 404, description = "No page has this id", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn delete_page(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
) -> Result<StatusCode, ApiError> {
    staff.allowed(policy::can_manage_pages)?;
    let id = path_id(path)?;
    app.store.delete_page(&staff.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_name_the_field_at_fault() {
        let site: SiteBody = json_body(br#"{"name":"A","visits_base":5}"#).expect("valid");
        assert_eq!((site.name.as_str(), site.visits_base), ("A", 5));
        let err = json_body::<SiteBody>(b"not json").expect_err("refused");
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidParameter, Some("body"))
        );
        let err = json_body::<SiteBody>(b"[1]").expect_err("refused");
        assert_eq!(err.code, ErrorCode::InvalidParameter);
        let err =
            json_body::<SiteBody>(br#"{"name":"A","visits_base":"many"}"#).expect_err("refused");
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some("visits_base"))
        );
        let err = json_body::<SiteBody>(br#"{"nmae":"A"}"#).expect_err("refused");
        assert_eq!(err.field.as_deref(), Some("nmae"));
        let patch: CategoryPatch = json_body(br#"{"parent_id":null}"#).expect("valid");
        assert_eq!(patch.parent_id, Some(None));
        let patch: CategoryPatch = json_body(br#"{"name":"B"}"#).expect("valid");
        assert_eq!(patch.parent_id, None);
    }
}
