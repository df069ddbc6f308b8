//! The console's router: assets with their types and headers, revalidation, and no way out of
//! the embedded folder.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn get(path: &str, etag: Option<&str>) -> axum::http::Response<Body> {
    let mut request = Request::get(path);
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    super::router::<()>().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
}

fn header(response: &axum::http::Response<Body>, name: header::HeaderName) -> &str {
    response.headers().get(name).map_or("", |value| value.to_str().unwrap())
}

#[tokio::test]
async fn the_shell_is_served_with_its_security_headers() {
    let response = get("/console/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, header::CONTENT_TYPE), "text/html;charset=utf-8");
    assert_eq!(header(&response, header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(header(&response, header::REFERRER_POLICY), "no-referrer");
    assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header(&response, header::CACHE_CONTROL), "no-cache");
    let policy = header(&response, header::CONTENT_SECURITY_POLICY);
    assert!(policy.starts_with("default-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(html.contains(r#"<script type="module" src="app.js">"#), "{html}");
    assert!(!html.contains("<script>"), "no inline script: {html}");
}

#[tokio::test]
async fn modules_and_styles_have_their_types_and_revalidate() {
    let script = get("/console/app.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(header(&script, header::CONTENT_TYPE), "text/javascript;charset=utf-8");
    let etag = header(&script, header::ETAG).to_owned();
    assert!(etag.len() > 2, "an ETag");
    assert_eq!(get("/console/app.js", Some(&etag)).await.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(get("/console/app.js", Some("\"other\"")).await.status(), StatusCode::OK);
    assert_eq!(header(&get("/console/style.css", None).await, header::CONTENT_TYPE), "text/css;charset=utf-8");
}

#[tokio::test]
async fn the_bare_path_redirects_and_unknown_or_escaping_paths_are_not_found() {
    let bare = get("/console", None).await;
    assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&bare, header::LOCATION), "/console/");
    for path in ["/console/nope.js", "/console/../Cargo.toml", "/console/%2e%2e/Cargo.toml", "/console/pages/../../src/lib.rs"] {
        let response = get(path, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }
}
