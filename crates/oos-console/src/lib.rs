//! The web console's assets (`assets/`: plain ES modules and CSS, embedded in the binary in every
//! build) and the router that serves them under [`BASE_PATH`], with their content types, a
//! revalidating cache and the security headers every page of the console carries.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use axum::response::Redirect;
use axum::routing::get;
use rust_embed::RustEmbed;

/// Where the console lives on the server's one listener.
pub const BASE_PATH: &str = "/console";

/// The policy every console response carries: only our own scripts, styles and connections, no
/// inline script, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// The console's routes: `/console` (to `/console/`), `/console/` (the shell) and its assets.
/// More specific routes under `/console/` (the session API) are kept by whoever adds them.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(BASE_PATH, get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(|headers: HeaderMap| async move { asset("index.html", &headers) }))
        .route("/console/{*path}", get(|Path(path): Path<String>, headers: HeaderMap| async move { asset(&path, &headers) }))
}

/// One embedded file, or 404; `304` when the browser's copy is current.
fn asset(path: &str, headers: &HeaderMap) -> Response<Body> {
    let Some(file) = Assets::get(path) else {
        return secured(StatusCode::NOT_FOUND, "text/plain;charset=utf-8", None, Body::from("Not found.\n"));
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let current = headers.get(header::IF_NONE_MATCH).is_some_and(|given| given.as_bytes() == etag.as_bytes());
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") { format!("{mime};charset=utf-8") } else { mime.to_owned() };
    if current {
        return secured(StatusCode::NOT_MODIFIED, &content_type, Some(&etag), Body::empty());
    }
    secured(StatusCode::OK, &content_type, Some(&etag), Body::from(file.data.into_owned()))
}

fn secured(status: StatusCode, content_type: &str, etag: Option<&str>, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, content_type);
    // The assets carry no version in their names: the browser keeps them but asks each time.
    set(header::CACHE_CONTROL, "no-cache");
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if let Some(etag) = etag {
        set(header::ETAG, etag);
    }
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests;
