//! One page of a list: `$top` and `$skip` in, `{"@id", "operations", "items", "view"}` out
//! (the PayEx style that APIs C and D share).

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::body::Invalid;

/// `$top` (default 50, at most 1000) and `$skip` of a list.
pub struct Page {
    pub top: i64,
    pub skip: i64,
}

impl Page {
    pub fn from_query(query: &HashMap<String, String>) -> Result<Page, Invalid> {
        let number = |name: &str, default: i64, min: i64, max: i64| match query.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    Invalid::new(name, format!("must be an integer from {min} to {max}"))
                }),
        };
        Ok(Page {
            top: number("$top", 50, 1, 1000)?,
            skip: number("$skip", 0, 0, i64::MAX)?,
        })
    }

    /// `{"@id", "operations", "items", "view"}` for one page of `total` items; `filters`
    /// repeat in links.
    pub fn list<T>(
        &self,
        path: &str,
        filters: &[(&str, String)],
        items: Vec<T>,
        total: i64,
    ) -> List<T> {
        let query: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let with = |extra: String| {
            let mut all = query.clone();
            all.push(extra);
            format!("{path}?{}", all.join("&"))
        };
        let id = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        List {
            id,
            operations: None,
            items,
            view: View {
                id: with(format!("$top={}&$skip={}", self.top, self.skip)),
                // `$skip` may be as large as i64 allows: past the end, there is no next page.
                next: (self.skip.saturating_add(self.top) < total)
                    .then(|| with(format!("$top={}&$skip={}", self.top, self.skip + self.top))),
            },
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    #[serde(rename = "@id")]
    pub id: String,
    /// Always null: lists offer no operations.
    #[schema(value_type = Option<Vec<Object>>)]
    pub operations: Option<()>,
    pub items: Vec<T>,
    pub view: View,
}

/// Where this page is, and the next one if there is more.
#[derive(Debug, Serialize, ToSchema)]
pub struct View {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
