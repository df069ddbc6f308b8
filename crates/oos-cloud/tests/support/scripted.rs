//! A scripted HTTP server for client tests: verifies every request's signature with `oos-acs`,
//! records it, and answers what the test's script says (status, headers, JSON body).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::http::{Request, Response};
use oos_acs::{IncomingRequest, Verifier};
use serde_json::{Value, json};

pub const ACCESS_KEY_ID: &str = "test-ak";
pub const ACCESS_KEY_SECRET: &str = "test-secret";

/// One request as the server saw it, after signature verification.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub action: String,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// What the script answers: status, extra headers, JSON body.
pub type Reply = (u16, Vec<(&'static str, String)>, Value);
type Script = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

pub struct ScriptedServer {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedServer {
    /// Starts a server on a free port; `script(request, index)` answers verified requests.
    pub async fn start(script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        let secrets: HashMap<String, String> =
            HashMap::from([(ACCESS_KEY_ID.to_owned(), ACCESS_KEY_SECRET.to_owned())]);
        let verifier = Arc::new(Verifier::new(secrets));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let recorded = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let (verifier, recorded, script) = (verifier.clone(), recorded.clone(), script.clone());
            async move { answer(request, &verifier, &recorded, script.as_ref()).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    request: Request<Body>,
    verifier: &Verifier<HashMap<String, String>>,
    recorded: &Mutex<Vec<Seen>>,
    script: &Script,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap().to_vec();
    let headers: Vec<(String, String)> =
        parts.headers.iter().map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned())).collect();
    let target = parts.uri.path_and_query().map_or("/", |target| target.as_str());
    let incoming = IncomingRequest::from_target(parts.method.as_str(), target, headers.clone(), body.clone());
    if let Err(error) = verifier.verify(&incoming) {
        let body = json!({"RequestId": "SIG", "Code": error.code, "Message": error.message});
        return reply((error.status, Vec::new(), body));
    }
    let action = incoming
        .header("x-acs-action")
        .map(str::to_owned)
        .or_else(|| incoming.query_params().into_iter().find(|(key, _)| key == "Action").map(|(_, value)| value))
        .unwrap_or_default();
    let seen = Seen {
        method: incoming.method.clone(),
        path: incoming.path.clone(),
        action,
        params: incoming.all_params(),
        headers,
        body,
    };
    let index = {
        let mut all = recorded.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    reply(script(&seen, index))
}

fn reply((status, headers, body): Reply) -> Response<Body> {
    let mut builder = Response::builder().status(status).header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// `200 {"RequestId": "R-<index>"}`.
pub fn ok(index: usize) -> Reply {
    (200, Vec::new(), json!({"RequestId": format!("R-{index}")}))
}

/// An Alibaba error body.
pub fn error(status: u16, code: &str) -> Reply {
    (
        status,
        Vec::new(),
        json!({"RequestId": "E-1", "HostId": "test", "Code": code, "Message": format!("{code}: scripted")}),
    )
}
