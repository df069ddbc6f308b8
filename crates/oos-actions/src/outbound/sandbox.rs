//! The sandbox mode of the one door: a request to a host that is not on the sandbox's allow-list
//! is not sent but captured as a [`Letter`] in an [`Inbox`] (credential header values, the
//! execution's secrets and credential-like URL query values redacted; URL and body cut at a bound
//! with a marker), and the task gets a plausible `200` so the execution goes on.

use std::sync::Arc;

use oos_engine::secrets::{MASK, mask_text};

use super::redact_url;

/// Largest body kept in a letter; the rest is replaced by [`TRUNCATED`] and the size.
pub const MAX_LETTER_BODY: usize = 64 * 1024;
/// Largest URL kept in a letter.
pub const MAX_LETTER_URL: usize = 8 * 1024;
/// Marks where a captured body or URL was cut.
pub const TRUNCATED: &str = "…[truncated by the sandbox inbox]";
/// The inbox could not store a captured request (the task fails with it).
pub const CAPTURE_FAILED: &str = "Sandbox.CaptureFailed";

/// Words that make a header a credential when its lowercased name contains one.
const CREDENTIAL_HEADER_WORDS: &[&str] = &[
    "authorization",
    "auth",
    "token",
    "signature",
    "sign",
    "secret",
    "key",
    "password",
    "cookie",
    "credential",
    "session",
];

/// What a captured request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// The webhook of an `ACS::Notify` task.
    Notify,
    /// The webhook of an `ACS::Approve` task (the execution then waits for approval).
    Approve,
    /// An `ACS::ExecuteHttpRequest`.
    HttpRequest,
}

impl LetterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notify => "Notify",
            Self::Approve => "Approve",
            Self::HttpRequest => "HttpRequest",
        }
    }
}

/// A request as the inbox keeps it: already redacted and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub kind: LetterKind,
    pub execution_id: String,
    pub task_name: String,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Size of the body as the task sent it.
    pub body_bytes: usize,
}

/// The request as the task rendered it, before redaction.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub kind: LetterKind,
    pub execution_id: &'a str,
    pub task_name: &'a str,
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

impl Letter {
    /// The letter of `request`: header values that are credentials replaced by `******`, every
    /// text in `secrets` masked, credential-like query values masked, URL and body bounded.
    pub fn of(request: Outgoing<'_>, secrets: &[String]) -> Self {
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if is_credential_header(name) {
                    MASK.to_owned()
                } else {
                    mask_text(value, secrets)
                };
                (mask_text(name, secrets), value)
            })
            .collect();
        Self {
            kind: request.kind,
            execution_id: request.execution_id.to_owned(),
            task_name: request.task_name.to_owned(),
            method: request.method.to_ascii_uppercase(),
            url: bounded(mask_text(&redact_url(request.url), secrets), MAX_LETTER_URL),
            headers,
            body: bounded(mask_text(request.body, secrets), MAX_LETTER_BODY),
            body_bytes: request.body.len(),
        }
    }
}

/// Whether a header's value is a credential (`Authorization`, `X-Acs-Signature`, `X-Api-Key`,
/// `Cookie`, `X-Auth-Token`, …).
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_HEADER_WORDS
        .iter()
        .any(|word| name.contains(word))
}

/// `text` cut to at most `max` bytes (at a character boundary) followed by [`TRUNCATED`] and the
/// full size, or whole when it fits.
fn bounded(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED} ({} bytes in all)", &text[..end], text.len())
}

/// Where captured requests go.
#[async_trait::async_trait]
pub trait Inbox: Send + Sync {
    /// Stores `letter`; its id.
    async fn capture(&self, letter: Letter) -> Result<String, String>;
}

/// The sandbox's door: which hosts are still really sent to, and the inbox of the others.
#[derive(Clone)]
pub struct SandboxDoor {
    inbox: Arc<dyn Inbox>,
    allow: Vec<String>,
}

impl std::fmt::Debug for SandboxDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxDoor")
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

impl SandboxDoor {
    /// A door capturing into `inbox` every request whose host is not in `allow` (entries are a
    /// host, `example.com`, or a host and port, `127.0.0.1:8081`; case does not matter).
    pub fn new(inbox: Arc<dyn Inbox>, allow: Vec<String>) -> Self {
        Self {
            inbox,
            allow: allow
                .into_iter()
                .map(|entry| entry.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a request to `url` is really sent (its host, or host and port, is allowed). A URL
    /// that does not parse is not: the capture records it as written.
    pub fn sends(&self, url: &str) -> bool {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return false;
        };
        let Some(host) = parsed.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let authority = parsed
            .port_or_known_default()
            .map(|port| format!("{host}:{port}"));
        self.allow
            .iter()
            .any(|entry| *entry == host || Some(entry) == authority.as_ref())
    }

    /// Captures `request`; the id of its letter.
    pub async fn capture(
        &self,
        request: Outgoing<'_>,
        secrets: &[String],
    ) -> Result<String, String> {
        self.inbox.capture(Letter::of(request, secrets)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing<'a>(url: &'a str, headers: &'a [(String, String)], body: &'a str) -> Outgoing<'a> {
        Outgoing {
            kind: LetterKind::Notify,
            execution_id: "exec-1",
            task_name: "notify",
            method: "post",
            url,
            headers,
            body,
        }
    }

    #[test]
    fn credential_headers_secrets_and_query_credentials_are_redacted() {
        let headers = vec![
            ("Authorization".to_owned(), "Bearer abc".to_owned()),
            ("X-Acs-Signature".to_owned(), "sig".to_owned()),
            ("x-api-key".to_owned(), "k".to_owned()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-Note".to_owned(), "pw hunter2".to_owned()),
        ];
        let letter = Letter::of(
            outgoing(
                "https://u:p@hooks.example.com/x?access_token=t0k&room=ops",
                &headers,
                r#"{"pw":"hunter2"}"#,
            ),
            &["hunter2".to_owned()],
        );
        let values: Vec<&str> = letter
            .headers
            .iter()
            .map(|(_, value)| value.as_str())
            .collect();
        assert_eq!(
            values,
            [
                "******",
                "******",
                "******",
                "application/json",
                "pw ******"
            ]
        );
        assert_eq!(
            letter.url,
            "https://hooks.example.com/x?access_token=******&room=ops"
        );
        assert_eq!(letter.body, r#"{"pw":"******"}"#);
        assert_eq!(letter.method, "POST");
    }

    #[test]
    fn a_huge_body_is_cut_with_a_marker_and_its_size() {
        let body = "é".repeat(MAX_LETTER_BODY);
        let letter = Letter::of(outgoing("http://h/", &[], &body), &[]);
        assert!(letter.body.len() < MAX_LETTER_BODY + 100);
        assert!(
            letter
                .body
                .ends_with(&format!("{TRUNCATED} ({} bytes in all)", body.len())),
            "{}",
            &letter.body[letter.body.len() - 80..]
        );
        assert_eq!(letter.body_bytes, body.len());
    }

    struct Nowhere;

    #[async_trait::async_trait]
    impl Inbox for Nowhere {
        async fn capture(&self, _: Letter) -> Result<String, String> {
            Err("nowhere".into())
        }
    }

    #[test]
    fn hosts_and_host_ports_on_the_list_are_sent() {
        let door = SandboxDoor::new(
            Arc::new(Nowhere),
            vec!["Hooks.Example.com".into(), "127.0.0.1:8081".into()],
        );
        assert!(door.sends("https://hooks.example.com/a"));
        assert!(door.sends("http://127.0.0.1:8081/"));
        assert!(!door.sends("http://127.0.0.1:8082/"));
        assert!(!door.sends("https://example.com/"));
        assert!(!door.sends("not a url"));
    }
}
