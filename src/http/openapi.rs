//! The API reference: one OpenAPI 3.1 document generated from the wire types and handlers
//! (`GET /openapi.json`), and a browsable reference (`GET /docs`) whose assets are inside the
//! binary, so it works where there is no internet.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::security::{
    ClientCredentials, Flow, Http, HttpAuthScheme, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{InfoBuilder, OpenApi as Document};
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;

/// Each API's part of the document.
fn parts() -> [Document; 5] {
    [
        super::myq_external::ApiDoc::openapi(),
        super::myq_v3::ApiDoc::openapi(),
        super::credit_account::ApiDoc::openapi(),
        super::account_transaction::ApiDoc::openapi(),
        super::admin::ApiDoc::openapi(),
    ]
}

/// The whole document, with the seeds' request examples on their operations.
pub fn document() -> Document {
    let mut doc = document_without_examples();
    let unplaced = super::examples::attach(&mut doc);
    debug_assert!(
        unplaced.is_empty(),
        "examples of no operation: {unplaced:?}"
    );
    doc
}

/// Each API's part, with the security schemes they name.
pub fn document_without_examples() -> Document {
    let [mut doc, rest @ ..] = parts();
    for part in rest {
        doc.merge(part);
    }
    doc.info = InfoBuilder::new()
        .title("saldo")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A credit-account ledger speaking the MyQ External Account API, the MyQ X REST \
             API v3, and PayEx-style Credit Account and Account Transaction APIs. Amounts are \
             JSON numbers in the ledger's currency; errors are in each API's own format.",
        ))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = |what: &str| {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some(what.into());
        SecurityScheme::Http(http)
    };
    components.add_security_scheme(
        "ledgerBearer",
        bearer("A ledger's bearer token (`saldo admin credential-create --kind ledger-bearer`)"),
    );
    components.add_security_scheme("adminBearer", bearer("The admin token (SALDO_ADMIN_TOKEN)"));
    let mut basic = Http::new(HttpAuthScheme::Basic);
    basic.description = Some("A MyQ External Account API login (kind myq-basic)".into());
    components.add_security_scheme("myqBasic", SecurityScheme::Http(basic));
    let flow = Flow::ClientCredentials(ClientCredentials::new(
        "/api/auth/token",
        Scopes::from_iter([
            ("credit", "Read and recharge credit"),
            ("users", "Look users up"),
        ]),
    ));
    components.add_security_scheme("myqOAuth", SecurityScheme::OAuth2(OAuth2::new([flow])));
    doc
}

/// `GET /openapi.json` and `GET /docs`.
pub fn router() -> Router<AppState> {
    SwaggerUi::new("/docs")
        .url("/openapi.json", document())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two APIs naming different schemas alike would silently lose one in the merge.
    #[test]
    fn no_two_apis_give_one_schema_name_two_meanings() {
        let mut seen = std::collections::BTreeMap::new();
        for part in parts() {
            let part = serde_json::to_value(part).unwrap();
            let schemas = part["components"]["schemas"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (name, schema) in schemas {
                if let Some(before) = seen.insert(name.clone(), schema.clone()) {
                    assert_eq!(before, schema, "two meanings of the schema {name}");
                }
            }
        }
        let merged = serde_json::to_value(document()).unwrap();
        assert_eq!(
            merged["components"]["schemas"].as_object().unwrap().len(),
            seen.len()
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_security_scheme() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        for name in ["ledgerBearer", "adminBearer", "myqBasic", "myqOAuth"] {
            assert!(schemes.contains_key(name), "{name}");
        }
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key(
            "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures/{captureId}"
        ));
    }
}
