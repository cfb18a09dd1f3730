//! One page of a list: `$top` and `$skip` in, `{"@id", "operations", "items", "view"}` out
//! (the PayEx style that APIs C and D share).

use std::collections::HashMap;

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

    /// `{"@id", "items", "view"}` for one page of `total` items; `filters` repeat in links.
    pub fn list<T: serde::Serialize>(
        &self,
        path: &str,
        filters: &[(&str, String)],
        items: Vec<T>,
        total: i64,
    ) -> serde_json::Value {
        let items: Vec<serde_json::Value> = items
            .into_iter()
            .map(|item| serde_json::to_value(item).expect("resources serialize"))
            .collect();
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
        let mut view =
            serde_json::json!({ "@id": with(format!("$top={}&$skip={}", self.top, self.skip)) });
        if self.skip + self.top < total {
            view["next"] = with(format!("$top={}&$skip={}", self.top, self.skip + self.top)).into();
        }
        serde_json::json!({ "@id": id, "operations": null, "items": items, "view": view })
    }
}
