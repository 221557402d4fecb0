//! The committed OpenAPI document (docs/openapi.json) is what the code
//! generates: integrations can trust it. `REDRESS_UPDATE_OPENAPI=1` rewrites it.

use std::path::PathBuf;

#[test]
fn openapi_document_matches_the_code() {
    let generated = redress_web::openapi_json().unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("REDRESS_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `REDRESS_UPDATE_OPENAPI=1 cargo test -p redress-web --test openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/api/v1/cases", "/api/v1/cases/{id}/close", "/api/v1/users/{id}/tokens", "/api/v1/notifications"] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
}
