//! The typed wire layer: request bodies parsed into each endpoint's own type, with every
//! rejection naming the field's path and the rule it broke, in the API's own error format.
//!
//! A handler takes `Wire<T, E>` where `E` is its API's error: the extractor reads the body as
//! JSON (an empty body reads as `{}`), then into `T` through `serde_path_to_error`, so a missing
//! field, a wrong type or a value outside an enumeration becomes `Invalid { field, rule }`.

use std::marker::PhantomData;

use axum::extract::{FromRequest, Request};
use axum::response::IntoResponse;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use super::body::{BodyError, Invalid, JsonBody};
use crate::money::Amount;

/// A request body of type `T`, rejected as the API's error `E`. `raw` is the body as sent,
/// for what keeps or hashes the request itself.
pub struct Wire<T, E> {
    pub body: T,
    pub raw: Value,
    api: PhantomData<fn() -> E>,
}

impl<S, T, E> FromRequest<S> for Wire<T, E>
where
    S: Send + Sync,
    T: DeserializeOwned,
    E: From<BodyError> + From<Invalid> + IntoResponse,
{
    type Rejection = E;

    async fn from_request(req: Request, state: &S) -> Result<Self, E> {
        let JsonBody(raw) = JsonBody::from_request(req, state).await?;
        let body = parse(&raw)?;
        Ok(Wire {
            body,
            raw,
            api: PhantomData,
        })
    }
}

/// `value` as a `T`; the first field that breaks a rule is named with its path.
pub fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, Invalid> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        invalid(path, &e.into_inner().to_string())
    })
}

/// serde's message as a field and a rule a client can act on.
fn invalid(path: String, message: &str) -> Invalid {
    let within = |field: &str| match path.as_str() {
        "" => field.to_string(),
        parent => format!("{parent}.{field}"),
    };
    if let Some(field) = between(message, "missing field `", "`") {
        return Invalid::new(within(field), "is required");
    }
    if let Some(field) = between(message, "unknown field `", "`") {
        let allowed = message.split_once("expected ").map_or("", |(_, e)| e);
        let allowed = allowed.replace('`', "").replace(" or ", ", ");
        let allowed = allowed.trim_start_matches("one of ");
        // The path already ends with the unknown key.
        let field = if path.is_empty() {
            field.to_string()
        } else {
            path.clone()
        };
        return Invalid::new(
            field,
            format!("cannot be set here; the fields are {allowed}"),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let allowed = rest.split_once("expected ").map_or("", |(_, e)| e);
        let allowed = allowed.replace('`', "").replace(" or ", ", ");
        let allowed = allowed.trim_start_matches("one of ");
        return Invalid::new(path, format!("must be one of {allowed}"));
    }
    // An array where an object belongs (serde reads structs from arrays too).
    if message.starts_with("invalid length") && message.contains("expected struct") {
        return Invalid::new(path, "must be an object");
    }
    // serde_json's words for an integer field given a negative, fractional or huge number.
    if message == "invalid number" {
        return Invalid::new(path, "must be a whole number in range");
    }
    // A required field sent as null was not given.
    if message.starts_with("invalid type: null") {
        return Invalid::new(path, "is required");
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        let expected = message.rsplit_once("expected ").map_or("", |(_, e)| e);
        return Invalid::new(path, expectation(expected));
    }
    Invalid::new(path, message)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(start)?;
    rest.split_once(end).map(|(inside, _)| inside)
}

/// The rule behind serde's "expected …" phrase.
fn expectation(expected: &str) -> String {
    match expected {
        e if e.starts_with("struct ") || e == "a map" => "must be an object".into(),
        "a sequence" => "must be an array".into(),
        "a boolean" => "must be true or false".into(),
        "u8" | "u16" | "u32" | "u64" | "i32" | "i64" => "must be a whole number".into(),
        e if e.starts_with("must ") => e.into(),
        e => format!("must be {e}"),
    }
}

/// A string of at most `MAX` characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(pub String);

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.chars().count() > MAX {
            return Err(de::Error::custom(format!(
                "must be at most {MAX} characters"
            )));
        }
        Ok(Text(s))
    }
}

impl<const MAX: usize> Text<MAX> {
    /// The text, with an empty one as absent.
    pub fn given(&self) -> Option<&str> {
        Some(self.0.as_str()).filter(|s| !s.is_empty())
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(MAX))
            .into()
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    /// One component per length limit: `Text64` is a string of at most 64 characters.
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Text{MAX}").into()
    }
}

/// The texts given in a list field of at most 100; nulls and empty texts are skipped.
pub fn texts<const MAX: usize>(
    field: &str,
    list: Option<Vec<Option<Text<MAX>>>>,
) -> Result<Vec<String>, Invalid> {
    let list = list.unwrap_or_default();
    if list.len() > 100 {
        return Err(Invalid::new(field, "must have at most 100 items"));
    }
    Ok(list
        .into_iter()
        .flatten()
        .filter_map(|t| t.given().map(str::to_string))
        .collect())
}

/// An amount as written in the request: a JSON number with the ledger's decimals at most,
/// checked against the ledger's scale when the handler knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(String);

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => Ok(Decimal(n.to_string())),
            // A required amount sent as null was not given.
            Value::Null => Err(de::Error::custom("is required")),
            _ => Err(de::Error::custom("must be a number")),
        }
    }
}

impl Decimal {
    /// The amount in the ledger's `scale`, or the rule it breaks, named for `field`.
    pub fn at(&self, scale: u32, field: &str) -> Result<Amount, Invalid> {
        Amount::parse(&self.0, scale).map_err(|e| Invalid::new(field, e.to_string()))
    }
}

impl PartialSchema for Decimal {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some(
                "An amount in the ledger's currency, at most the currency's decimals (SEK: 2)",
            ))
            .into()
    }
}

impl ToSchema for Decimal {}

/// A whole number of at most `MAX`; `21.0` is the whole number 21, as JSON Schema counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<const MAX: u32>(pub u32);

impl<'de, const MAX: u32> Deserialize<'de> for Whole<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let rule = || de::Error::custom(format!("must be a whole number from 0 to {MAX}"));
        let Value::Number(n) = Value::deserialize(d)? else {
            return Err(rule());
        };
        let text = n.to_string();
        let whole = match text.split_once('.') {
            Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
            Some(_) => return Err(rule()),
            None => text.as_str(),
        };
        match whole.parse::<u32>() {
            Ok(n) if n <= MAX => Ok(Whole(n)),
            _ => Err(rule()),
        }
    }
}

impl<const MAX: u32> PartialSchema for Whole<MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(MAX))
            .into()
    }
}

impl<const MAX: u32> ToSchema for Whole<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Whole{MAX}").into()
    }
}

/// An id: a whole number greater than 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositiveId(pub i64);

impl<'de> Deserialize<'de> for PositiveId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => match n.to_string().parse::<i64>() {
                Ok(id) if id > 0 => Ok(PositiveId(id)),
                _ => Err(de::Error::custom("must be a positive integer")),
            },
            _ => Err(de::Error::custom("must be a positive integer")),
        }
    }
}

impl PartialSchema for PositiveId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .into()
    }
}

impl ToSchema for PositiveId {}

/// An amount in a response: a JSON number written with the currency's decimals (`20.00`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Money(Value);

impl Money {
    pub fn of(amount: Amount, scale: u32) -> Money {
        Money(amount.fixed_json(scale))
    }
}

/// As written on the wire (`20.00`), for CSV.
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some("An amount written with the currency's decimals"))
            .into()
    }
}

impl ToSchema for Money {}

/// A link to what can be done next with a resource.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Operation {
    pub rel: &'static str,
    pub method: &'static str,
    pub href: String,
}

impl Operation {
    pub fn post(rel: &'static str, href: String) -> Operation {
        Operation {
            rel,
            method: "POST",
            href,
        }
    }
}

/// A date and time as RFC 3339 text, for the schema of timestamp fields.
pub fn date_time() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Inner {
        value: Text<5>,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        kind: Kind,
        items: Vec<Text<2>>,
        amount: Decimal,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: Option<u32>,
        b: Option<u32>,
    }

    #[test]
    fn unknown_fields_are_named_with_the_fields_allowed() {
        let e = parse::<Strict>(&json!({"a": 1, "c": 2})).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("c", "cannot be set here; the fields are a, b")
        );
    }

    #[derive(Debug, Deserialize)]
    enum Kind {
        One,
        Two,
    }

    fn rejection(body: Value) -> (String, String) {
        let e = parse::<Outer>(&body).unwrap_err();
        (e.field, e.rule)
    }

    fn good() -> Value {
        json!({"inner": {"value": "abc", "count": 1}, "kind": "One", "items": ["a"], "amount": 1.5})
    }

    #[test]
    fn rejections_name_the_field_path_and_the_rule() {
        assert!(parse::<Outer>(&good()).is_ok());
        let with = |pointer: &str, v: Value| {
            let mut body = good();
            *body.pointer_mut(pointer).unwrap() = v;
            rejection(body)
        };
        let pair = |f: &str, r: &str| (f.to_string(), r.to_string());
        assert_eq!(
            rejection(json!({"kind": "One"})),
            pair("inner", "is required")
        );
        assert_eq!(
            rejection(json!({"inner": {"value": "a"}})),
            pair("inner.count", "is required")
        );
        assert_eq!(
            with("/inner/value", json!("abcdef")),
            pair("inner.value", "must be at most 5 characters")
        );
        assert_eq!(
            with("/inner/count", json!("x")),
            pair("inner.count", "must be a whole number")
        );
        assert_eq!(
            with("/inner/count", json!(-1)),
            pair("inner.count", "must be a whole number in range")
        );
        assert_eq!(
            with("/kind", json!("Three")),
            pair("kind", "must be one of One, Two")
        );
        assert_eq!(
            with("/items", json!(["a", 5])),
            pair("items[1]", "must be a string")
        );
        assert_eq!(
            with("/inner", json!([])),
            pair("inner", "must be an object")
        );
        assert_eq!(with("/inner", json!(null)), pair("inner", "is required"));
        assert_eq!(
            with("/amount", json!("1")),
            pair("amount", "must be a number")
        );
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        let whole = |v: Value| parse::<Whole<120>>(&v).map(|w| w.0).map_err(|e| e.rule);
        assert_eq!(whole(json!(21.0)), Ok(21));
        assert_eq!(whole(json!(120)), Ok(120));
        let rule = Err("must be a whole number from 0 to 120".to_string());
        for bad in [json!(121), json!(2.5), json!(-1), json!("3"), json!(1e300)] {
            assert_eq!(whole(bad.clone()), rule, "{bad}");
        }
    }

    #[test]
    fn amounts_keep_their_written_decimals() {
        let body: Outer = parse(&good()).unwrap();
        assert_eq!(body.amount.at(2, "amount").unwrap().minor(), 150);
        let precise: Decimal = parse(&json!(1.005)).unwrap();
        let e = precise.at(2, "amount").unwrap_err();
        assert_eq!(e.field, "amount");
    }
}
