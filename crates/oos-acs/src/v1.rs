//! Legacy RPC signature v1.0 (HMAC-SHA1 over the sorted parameters): signing and verification.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::credentials::{Credentials, SecretStore};
use crate::encode::{canonical_query, percent_encode};
use crate::error::{AcsError, ErrorCode};
use crate::request::IncomingRequest;

/// The `SignatureMethod` value.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The `SignatureVersion` value.
pub const SIGNATURE_VERSION: &str = "1.0";

/// `METHOD&` + percentEncode(path) + `&` + percentEncode(canonical query of every parameter
/// but `Signature`). RPC calls always use the path `/` (`%2F`).
pub fn string_to_sign(method: &str, path: &str, params: &[(String, String)]) -> String {
    let unsigned: Vec<(String, String)> = params
        .iter()
        .filter(|(key, _)| key != "Signature")
        .cloned()
        .collect();
    format!(
        "{method}&{}&{}",
        percent_encode(path),
        percent_encode(&canonical_query(&unsigned))
    )
}

fn mac(secret: &str, string_to_sign: &str) -> Hmac<Sha1> {
    let key = format!("{secret}&");
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac
}

/// Base64 HMAC-SHA1 of the string to sign, keyed by `secret + "&"`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Adds (for `POST /` or `GET /`) the protocol parameters (`AccessKeyId`, `SignatureMethod`, `SignatureVersion`,
/// `SignatureNonce`, `Timestamp`, `SecurityToken` for STS) and then `Signature` to `params`,
/// which should already hold `Action`, `Version`, `Format` and the API parameters.
pub fn sign(
    credentials: &Credentials,
    method: &str,
    params: &mut Vec<(String, String)>,
    timestamp: &str,
    nonce: &str,
) {
    sign_path(credentials, method, "/", params, timestamp, nonce);
}

/// [`sign`] for a request to `path` (the SDKs' calls go to `/`; an execution stream to `/stream`).
pub fn sign_path(
    credentials: &Credentials,
    method: &str,
    path: &str,
    params: &mut Vec<(String, String)>,
    timestamp: &str,
    nonce: &str,
) {
    let mut protocol = vec![
        ("AccessKeyId", credentials.access_key_id.as_str()),
        ("SignatureMethod", SIGNATURE_METHOD),
        ("SignatureVersion", SIGNATURE_VERSION),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
    ];
    if let Some(token) = &credentials.security_token {
        protocol.push(("SecurityToken", token));
    }
    params.extend(
        protocol
            .into_iter()
            .map(|(key, value)| (key.to_string(), value.to_string())),
    );
    let signature = signature(
        &credentials.access_key_secret,
        &string_to_sign(method, path, params),
    );
    params.push(("Signature".into(), signature));
}

/// What a successful v1 verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Verified {
    /// The AccessKeyId that signed.
    pub access_key_id: String,
    /// The `Timestamp` parameter.
    pub timestamp: String,
    /// The `SignatureNonce` parameter.
    pub nonce: String,
}

/// Verifies a v1 request over its query and form-body parameters.
pub fn verify(
    request: &IncomingRequest,
    secrets: &dyn SecretStore,
) -> Result<V1Verified, AcsError> {
    let params = request.all_params();
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| AcsError::missing_parameter(name))
    };
    let access_key_id = get("AccessKeyId")?;
    let method = get("SignatureMethod")?;
    let version = get("SignatureVersion")?;
    let nonce = get("SignatureNonce")?;
    let timestamp = get("Timestamp")?;
    let claimed = get("Signature")?;
    if method != SIGNATURE_METHOD {
        return Err(AcsError::invalid_parameter(
            "SignatureMethod",
            format!("only {SIGNATURE_METHOD} is supported"),
        ));
    }
    if version != SIGNATURE_VERSION {
        return Err(AcsError::invalid_parameter(
            "SignatureVersion",
            format!("only {SIGNATURE_VERSION} is supported"),
        ));
    }
    let secret = secrets
        .secret(&access_key_id)
        .ok_or_else(crate::acs3::unknown_access_key)?;
    let to_sign = string_to_sign(&request.method, &request.path, &params);
    let claimed = BASE64.decode(claimed.trim()).unwrap_or_default();
    if mac(&secret, &to_sign).verify_slice(&claimed).is_err() {
        return Err(crate::acs3::signature_mismatch(&to_sign));
    }
    Ok(V1Verified {
        access_key_id,
        timestamp,
        nonce,
    })
}

/// `AcsError` for a request that carries no signature at all.
pub(crate) fn unsigned() -> AcsError {
    AcsError::new(
        ErrorCode::INCOMPLETE_SIGNATURE,
        "The request is not signed: send an ACS3-HMAC-SHA256 Authorization header or the v1.0 Signature parameters.",
    )
}
