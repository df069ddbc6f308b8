//! The agent's TLS client: verification always on, against the system's roots, or only against
//! one CA (`--ca-cert`, pinned).

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};

use crate::AgentError;

/// A TLS client configuration trusting `ca_cert` only, or the system's roots when `None`.
pub fn client_config(ca_cert: Option<&Path>) -> Result<Arc<ClientConfig>, AgentError> {
    let mut roots = RootCertStore::empty();
    match ca_cert {
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|error| AgentError::Tls(format!("{}: {error}", path.display())))?;
            if certificates.is_empty() {
                return Err(AgentError::Tls(format!("{}: no certificate", path.display())));
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|error| AgentError::Tls(format!("{}: {error}", path.display())))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(AgentError::Tls("no usable system root certificate; give --ca-cert".to_owned()));
            }
        }
    }
    let config = ClientConfig::builder_with_provider(Arc::new(crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| AgentError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
