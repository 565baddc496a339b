//! What the JSON API takes and answers: its own types, apart from the templates' values, so the
//! API's shape changes only on purpose. The OpenAPI document is made from them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, ErrorCode};

/// A category as an article names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

/// An article in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleItem {
    pub id: i64,
    pub title: String,
    /// The article's public address.
    pub url: String,
    pub summary: String,
    pub category: Option<CategoryRef>,
    /// RFC 3339, in UTC.
    #[schema(format = DateTime)]
    pub published_at: String,
    /// Every view counted so far, on every node.
    pub views: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticlePage {
    pub items: Vec<ArticleItem>,
    /// Articles in the whole list.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Source {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cover {
    pub url: String,
    pub caption: String,
}

/// One article whole: the list fields and the rest.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub item: ArticleItem,
    /// Sanitised HTML.
    pub body: String,
    pub byline: String,
    pub author: String,
    pub tags: Vec<TagRef>,
    pub source: Source,
    pub cover: Cover,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryItem {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub position: i32,
    pub in_menu: bool,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryItem>,
}

/// Visit figures, as the "Thống kê truy cập" block shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Visitors of the last 5 minutes, over all nodes.
    pub online: i64,
    /// Visits today (Vietnam's calendar day).
    pub today: i64,
    /// Visits since Monday.
    pub week: i64,
    /// Every visit, with the site's starting total.
    pub total: i64,
}

/// The query of the article list, for the document. The handler reads the query by hand so that
/// a bad value is refused naming its parameter; numbers are plain digits.
#[derive(Debug, Deserialize, IntoParams)]
#[expect(dead_code, reason = "describes the query in the OpenAPI document")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// From 1; default 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// From 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// A category's id or slug; its subcategories' articles are included.
    pub category: Option<String>,
}

/// Every error: a stable code, words for people, and the parameter or field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl From<&Error> for ErrorBody {
    fn from(err: &Error) -> Self {
        Self {
            error: ErrorDetail {
                code: err.code,
                message: err.message.clone(),
                field: err.field.clone(),
            },
        }
    }
}
