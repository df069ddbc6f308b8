//! ACS3-HMAC-SHA256, the default signature of the current SDKs: signing and verification.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::credentials::{Credentials, SecretStore};
use crate::encode::canonical_query;
use crate::error::{AcsError, ErrorCode};
use crate::request::IncomingRequest;

/// The algorithm name at the start of the `Authorization` header and the string to sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Lower-case hex SHA-256 of `body` (the `x-acs-content-sha256` value).
pub fn hashed_payload(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The canonical request: method, path, canonical query, one `name:value` line per signed
/// header (in the given order, values trimmed), an empty line, the signed-header list, the
/// hashed payload.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    signed_headers: &[(String, String)],
    hashed_payload: &str,
) -> String {
    let header_lines: String = signed_headers
        .iter()
        .map(|(name, value)| format!("{name}:{}\n", value.trim()))
        .collect();
    let names = signed_headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    format!(
        "{method}\n{path}\n{}\n{header_lines}\n{names}\n{hashed_payload}",
        canonical_query(query)
    )
}

/// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn mac(secret: &str, string_to_sign: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac
}

/// Lower-case hex HMAC-SHA256 of the string to sign, keyed by the secret as is (no `&`).
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    hex::encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// The parts of an `Authorization: ACS3-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// `Credential=`: the AccessKeyId.
    pub access_key_id: String,
    /// `SignedHeaders=`: lower-case names, in the client's order.
    pub signed_headers: Vec<String>,
    /// `Signature=`: hex.
    pub signature: String,
}

impl Authorization {
    /// Parses the header value (tolerant of spaces after commas).
    pub fn parse(value: &str) -> Result<Self, AcsError> {
        let incomplete = |why: &str| {
            AcsError::new(
                ErrorCode::INCOMPLETE_SIGNATURE,
                format!("The Authorization header is malformed: {why}."),
            )
        };
        let (algorithm, rest) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| incomplete("no algorithm"))?;
        if algorithm != ALGORITHM {
            return Err(incomplete(&format!(
                "unsupported algorithm {algorithm:?}, expected {ALGORITHM}"
            )));
        }
        let mut parts = [None, None, None];
        for item in rest.split(',') {
            let (key, field) = item
                .trim()
                .split_once('=')
                .ok_or_else(|| incomplete("a field without '='"))?;
            let slot = match key {
                "Credential" => 0,
                "SignedHeaders" => 1,
                "Signature" => 2,
                _ => continue,
            };
            parts[slot] = Some(field.trim().to_string());
        }
        let [Some(access_key_id), Some(signed), Some(signature)] = parts else {
            return Err(incomplete(
                "Credential, SignedHeaders and Signature are required",
            ));
        };
        let signed_headers = signed
            .split(';')
            .filter(|name| !name.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        Ok(Self {
            access_key_id,
            signed_headers,
            signature,
        })
    }

    /// The header value.
    pub fn to_header_value(&self) -> String {
        format!(
            "{ALGORITHM} Credential={},SignedHeaders={},Signature={}",
            self.access_key_id,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

/// Headers an RPC call carries before signing: `host`, `x-acs-action`, `x-acs-version`,
/// `x-acs-date` (`YYYY-MM-DDThh:mm:ssZ`), `x-acs-signature-nonce`, `x-acs-content-sha256`,
/// `accept`, plus `x-acs-security-token` for STS credentials.
pub fn rpc_headers(
    host: &str,
    action: &str,
    version: &str,
    date: &str,
    nonce: &str,
    body: &[u8],
    credentials: &Credentials,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = [
        ("host", host),
        ("x-acs-action", action),
        ("x-acs-version", version),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce),
        ("accept", "application/json"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    headers.push(("x-acs-content-sha256".into(), hashed_payload(body)));
    if let Some(token) = &credentials.security_token {
        headers.push(("x-acs-security-token".into(), token.clone()));
    }
    headers
}

/// Signs a request whose headers are final: every given header is signed (names lower-cased,
/// sorted). Returns the `Authorization` header value.
pub fn sign(
    credentials: &Credentials,
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("authorization"))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    signed.sort_by(|left, right| left.0.cmp(&right.0));
    let canonical = canonical_request(method, path, query, &signed, &hashed_payload(body));
    Authorization {
        access_key_id: credentials.access_key_id.clone(),
        signed_headers: signed.into_iter().map(|(name, _)| name).collect(),
        signature: signature(&credentials.access_key_secret, &string_to_sign(&canonical)),
    }
    .to_header_value()
}

/// What a successful ACS3 verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Verified {
    /// The AccessKeyId that signed.
    pub access_key_id: String,
    /// `x-acs-date`, if sent.
    pub date: Option<String>,
    /// `x-acs-signature-nonce`, if sent.
    pub nonce: Option<String>,
}

/// Verifies an ACS3 request from the bytes received: the canonical headers are rebuilt from
/// the client's `SignedHeaders` list, which must cover `host` and every `x-acs-*` header sent.
pub fn verify(
    request: &IncomingRequest,
    authorization: &str,
    secrets: &dyn SecretStore,
) -> Result<Acs3Verified, AcsError> {
    let authorization = Authorization::parse(authorization)?;
    let secret = secrets
        .secret(&authorization.access_key_id)
        .ok_or_else(unknown_access_key)?;
    let unsigned_required = request
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .chain(std::iter::once("host".to_string()))
        .find(|name| {
            (name == "host" || name.starts_with("x-acs-"))
                && !authorization.signed_headers.contains(name)
        });
    if let Some(name) = unsigned_required {
        return Err(AcsError::new(
            ErrorCode::INCOMPLETE_SIGNATURE,
            format!("The header {name:?} must be signed (listed in SignedHeaders)."),
        ));
    }
    let signed = authorization
        .signed_headers
        .iter()
        .map(|name| {
            let value = request.header(name).ok_or_else(|| {
                AcsError::new(
                    ErrorCode::INCOMPLETE_SIGNATURE,
                    format!("The signed header {name:?} is missing from the request."),
                )
            })?;
            Ok((name.clone(), value.to_string()))
        })
        .collect::<Result<Vec<_>, AcsError>>()?;
    let payload = hashed_payload(&request.body);
    if let Some(claimed) = request.header("x-acs-content-sha256")
        && !claimed.trim().eq_ignore_ascii_case(&payload)
    {
        return Err(AcsError::new(
            ErrorCode::SIGNATURE_DOES_NOT_MATCH,
            format!("The x-acs-content-sha256 header does not match the body: expected {payload}."),
        ));
    }
    let canonical = canonical_request(
        &request.method,
        &request.path,
        &request.query_params(),
        &signed,
        &payload,
    );
    let to_sign = string_to_sign(&canonical);
    let claimed = hex::decode(authorization.signature.trim()).unwrap_or_default();
    if mac(&secret, &to_sign).verify_slice(&claimed).is_err() {
        return Err(signature_mismatch(&to_sign));
    }
    Ok(Acs3Verified {
        access_key_id: authorization.access_key_id,
        date: request.header("x-acs-date").map(str::to_string),
        nonce: request.header("x-acs-signature-nonce").map(str::to_string),
    })
}

/// `InvalidAccessKeyId.NotFound` with Alibaba's message.
pub(crate) fn unknown_access_key() -> AcsError {
    AcsError::new(
        ErrorCode::INVALID_ACCESS_KEY_ID_NOT_FOUND,
        "Specified access key is not found.",
    )
}

/// `SignatureDoesNotMatch` echoing the server's string to sign after the first `:`.
pub(crate) fn signature_mismatch(string_to_sign: &str) -> AcsError {
    AcsError::new(
        ErrorCode::SIGNATURE_DOES_NOT_MATCH,
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
        ),
    )
}
