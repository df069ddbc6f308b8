//! Registration against a real HTTP endpoint (identity stored 0600, reused on the next start,
//! refusals shown with their code) and TLS pinned to one CA on the hub's WebSocket.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::routing::post;
use common::patiently;
use oos_agent::connection::connect;
use oos_agent::state::StateDir;
use oos_agent::{Activation, Agent, AgentConfig, AgentError};
use oos_agent_proto::{Registered, Registration};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto};

async fn serve(router: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

fn config(state_dir: &Path, server: &str, activation: Option<Activation>) -> AgentConfig {
    AgentConfig {
        servers: vec![server.to_owned()],
        state_dir: state_dir.to_owned(),
        ca_cert: None,
        activation,
        sandbox_instance: Some("i-sandbox1".to_owned()),
    }
}

fn activation() -> Option<Activation> {
    Some(Activation { id: "act-1".to_owned(), code: "code-1".to_owned() })
}

#[tokio::test]
async fn registration_stores_a_private_identity_that_later_starts_reuse() {
    let register = |Json(registration): Json<Registration>| async move {
        assert_eq!((registration.activation_id.as_str(), registration.activation_code.as_str()), ("act-1", "code-1"));
        assert_eq!(registration.sandbox_instance.as_deref(), Some("i-sandbox1"));
        assert_eq!(registration.inventory.os_type, "Linux");
        Json(Registered { instance_id: "mi-0123".to_owned(), secret: "ab".repeat(32) })
    };
    let server = serve(axum::Router::new().route("/agent/v1/register", post(register))).await;
    let directory = tempfile::tempdir().unwrap();
    let state_dir = directory.path().join("state");

    let (agent, registered) = Agent::start(config(&state_dir, &server, activation())).await.unwrap();
    assert!(registered);
    assert_eq!(agent.instance_id(), "mi-0123");
    assert!(!format!("{agent:?}").contains(&"ab".repeat(32)), "the secret is never in a debug print");
    let identity = StateDir::open(&state_dir).unwrap().identity_path();
    assert_eq!(std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&state_dir).unwrap().permissions().mode() & 0o777, 0o700);

    let (again, registered) = Agent::start(config(&state_dir, &server, None)).await.unwrap();
    assert!(!registered);
    assert_eq!(again.instance_id(), "mi-0123");
}

#[tokio::test]
async fn a_refused_registration_shows_its_code_and_an_unregistered_host_needs_an_activation() {
    let refuse = || async {
        let body = serde_json::json!({"Code": "InvalidActivation.Expired", "Message": "the activation expired"});
        (StatusCode::BAD_REQUEST, Json(body))
    };
    let server = serve(axum::Router::new().route("/agent/v1/register", post(refuse))).await;
    let directory = tempfile::tempdir().unwrap();
    let refused = Agent::start(config(directory.path(), &server, activation())).await.unwrap_err();
    assert!(matches!(refused, AgentError::RegistrationRefused { ref code, .. } if code == "InvalidActivation.Expired"));
    assert!(refused.to_string().contains("InvalidActivation.Expired: the activation expired"));
    assert!(StateDir::open(directory.path()).unwrap().identity().unwrap().is_none());

    let missing = Agent::start(config(directory.path(), &server, None)).await.unwrap_err();
    assert!(matches!(missing, AgentError::ActivationRequired));
}

/// A CA written to `directory/name.pem`, and the issuer to sign with.
fn certificate_authority(directory: &Path, name: &str) -> (CertifiedIssuer<'static, KeyPair>, std::path::PathBuf) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let path = directory.join(format!("{name}.pem"));
    std::fs::write(&path, issuer.pem()).unwrap();
    (issuer, path)
}

/// A WebSocket server with a `localhost` certificate of `issuer`; true for each handshake that
/// completed.
async fn tls_hub(issuer: &CertifiedIssuer<'static, KeyPair>) -> (String, tokio::sync::mpsc::UnboundedReceiver<bool>) {
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, issuer).unwrap();
    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let (sender, handshakes) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let completed = match acceptor.accept(stream).await {
                Ok(tls) => tokio_tungstenite::accept_async(tls).await.is_ok(),
                Err(_) => false,
            };
            let _ = sender.send(completed);
        }
    });
    (url, handshakes)
}

#[tokio::test]
async fn a_pinned_ca_accepts_its_own_certificates_only() {
    let directory = tempfile::tempdir().unwrap();
    let (ours, our_pem) = certificate_authority(directory.path(), "ours");
    let (_theirs, their_pem) = certificate_authority(directory.path(), "theirs");
    let (url, mut handshakes) = tls_hub(&ours).await;
    let identity = common::identity(&url);

    let pinned_elsewhere = oos_agent::tls::client_config(Some(&their_pem)).unwrap();
    let refused = connect(&url, &identity, &pinned_elsewhere).await.unwrap_err();
    assert!(refused.to_string().contains("certificate"), "{refused}");
    assert!(!patiently("the refused handshake", handshakes.recv()).await.unwrap());

    let pinned = oos_agent::tls::client_config(Some(&our_pem)).unwrap();
    connect(&url, &identity, &pinned).await.unwrap();
    assert!(patiently("the handshake", handshakes.recv()).await.unwrap());

    let system_roots = oos_agent::tls::client_config(None);
    if let Ok(system_roots) = system_roots {
        assert!(connect(&url, &identity, &system_roots).await.is_err(), "a private CA is not a system root");
    }
}
