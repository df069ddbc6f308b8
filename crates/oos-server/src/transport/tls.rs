//! TLS for the listener (rustls): a certificate chain and key from PEM files, or a self-signed pair
//! made once for trying it out (kept beside the data, reused on the next start).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the listener's certificate and key come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files: the certificate chain (leaf first) and its private key.
    Files { cert: PathBuf, key: PathBuf },
    /// A self-signed pair for `localhost` and 127.0.0.1 in this directory (`tls-cert.pem`,
    /// `tls-key.pem`), made on the first start.
    SelfSigned { dir: PathBuf },
}

/// Why TLS could not be set up (code `Tls.Setup`).
#[derive(Debug, thiserror::Error)]
#[error("Tls.Setup: {0}")]
pub struct TlsError(String);

/// The files a self-signed pair lives in.
pub fn self_signed_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("tls-cert.pem"), dir.join("tls-key.pem"))
}

impl TlsSource {
    /// The certificate and key files, making the self-signed pair if it is not there yet.
    pub fn files(&self) -> Result<(PathBuf, PathBuf), TlsError> {
        match self {
            Self::Files { cert, key } => Ok((cert.clone(), key.clone())),
            Self::SelfSigned { dir } => {
                let (cert, key) = self_signed_paths(dir);
                if !cert.exists() || !key.exists() {
                    write_self_signed(&cert, &key)?;
                }
                Ok((cert, key))
            }
        }
    }

    /// The acceptor for the listener (HTTP/1.1 offered by ALPN).
    pub fn acceptor(&self) -> Result<TlsAcceptor, TlsError> {
        let (cert_path, key_path) = self.files()?;
        let read = |path: &Path| std::fs::read(path).map_err(|error| TlsError(format!("cannot read {}: {error}", path.display())));
        let certs = CertificateDer::pem_slice_iter(&read(&cert_path)?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError(format!("{} holds no usable PEM certificate: {error}", cert_path.display())))?;
        if certs.is_empty() {
            return Err(TlsError(format!("{} holds no certificate", cert_path.display())));
        }
        let key = PrivateKeyDer::from_pem_slice(&read(&key_path)?).map_err(|error| TlsError(format!("{} holds no usable PEM private key: {error}", key_path.display())))?;
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|error| TlsError(format!("{} and {} do not make a usable pair: {error}", cert_path.display(), key_path.display())))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

fn write_self_signed(cert_path: &Path, key_path: &Path) -> Result<(), TlsError> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let pair = rcgen::generate_simple_self_signed(names).map_err(|error| TlsError(format!("cannot make a self-signed certificate: {error}")))?;
    let write = |path: &Path, text: &str, mode: u32| -> Result<(), TlsError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)
            .map_err(|error| TlsError(format!("cannot write {}: {error}", path.display())))?;
        file.write_all(text.as_bytes()).map_err(|error| TlsError(format!("cannot write {}: {error}", path.display())))
    };
    write(key_path, &pair.signing_key.serialize_pem(), 0o600)?;
    write(cert_path, &pair.cert.pem(), 0o644)?;
    tracing::info!(cert = %cert_path.display(), "made a self-signed TLS certificate for localhost and 127.0.0.1");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup_error(source: &TlsSource) -> String {
        source.acceptor().err().map(|error| error.to_string()).unwrap_or_default()
    }

    #[test]
    fn a_self_signed_pair_is_made_once_and_bad_files_are_refused_with_their_place() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = TlsSource::SelfSigned { dir: one.path().to_path_buf() };
        assert!(first.acceptor().is_ok());
        let (cert, key) = self_signed_paths(one.path());
        let made = std::fs::read(&cert).unwrap();
        assert!(first.acceptor().is_ok());
        assert_eq!(std::fs::read(&cert).unwrap(), made, "a second start reuses the pair");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);

        TlsSource::SelfSigned { dir: two.path().to_path_buf() }.files().unwrap();
        let (_, other_key) = self_signed_paths(two.path());
        let crossed = setup_error(&TlsSource::Files { cert: cert.clone(), key: other_key });
        assert!(crossed.starts_with("Tls.Setup:") && crossed.contains("do not make a usable pair"), "{crossed}");
        let missing = setup_error(&TlsSource::Files { cert: one.path().join("nope.pem"), key: key.clone() });
        assert!(missing.starts_with("Tls.Setup:") && missing.contains("nope.pem"), "{missing}");
        let not_pem = one.path().join("text.pem");
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let refused = setup_error(&TlsSource::Files { cert: not_pem, key });
        assert!(refused.starts_with("Tls.Setup:") && refused.contains("text.pem"), "{refused}");
    }
}
