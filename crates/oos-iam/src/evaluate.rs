//! Policy evaluation: explicit `Deny` wins, then `Allow`, otherwise the request is implicitly denied.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::policy::{Effect, Policy, Statement};

/// Well-known context keys.
pub mod keys {
    pub const SOURCE_IP: &str = "acs:SourceIp";
    pub const CURRENT_TIME: &str = "acs:CurrentTime";
    pub const SECURE_TRANSPORT: &str = "acs:SecureTransport";
    pub const MFA_PRESENT: &str = "acs:MFAPresent";
    pub const SERVICE: &str = "acs:Service";
    pub const TEMPLATE_NAME: &str = "oos:TemplateName";
    pub const TEMPLATE_VERSION: &str = "oos:TemplateVersion";
    pub const TAG_KEYS: &str = "oos:TagKeys";
    /// Prefix of `oos:ResourceTag/<key>`; see [`super::Context::with_resource_tag`].
    pub const RESOURCE_TAG_PREFIX: &str = "oos:ResourceTag/";
    /// Prefix of `acs:ResourceTag/<key>`, the tags of a cloud resource (a managed instance).
    pub const ACS_RESOURCE_TAG_PREFIX: &str = "acs:ResourceTag/";
    /// Prefix of `oos:RequestTag/<key>` (tags given in the request itself).
    pub const REQUEST_TAG_PREFIX: &str = "oos:RequestTag/";
}

/// The request context: condition keys (case-insensitive) to one or more string values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to one value, replacing earlier values.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.values.insert(key.to_lowercase(), vec![value.into()]);
        self
    }

    /// Sets `key` to several values (a multi-valued key such as `oos:TagKeys`).
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.values.insert(
            key.to_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// The usual request keys: source IP, current time (RFC 3339), TLS and MFA.
    pub fn for_request(
        source_ip: std::net::IpAddr,
        now: jiff::Timestamp,
        secure_transport: bool,
        mfa_present: bool,
    ) -> Context {
        Context::new()
            .with(keys::SOURCE_IP, source_ip.to_string())
            .with(keys::CURRENT_TIME, now.to_string())
            .with(keys::SECURE_TRANSPORT, secure_transport.to_string())
            .with(keys::MFA_PRESENT, mfa_present.to_string())
    }

    /// Adds `oos:ResourceTag/<key>` = `value`.
    pub fn with_resource_tag(self, key: &str, value: impl Into<String>) -> Context {
        self.with(&format!("{}{key}", keys::RESOURCE_TAG_PREFIX), value)
    }

    /// Adds `acs:ResourceTag/<key>` = `value`.
    pub fn with_acs_resource_tag(self, key: &str, value: impl Into<String>) -> Context {
        self.with(&format!("{}{key}", keys::ACS_RESOURCE_TAG_PREFIX), value)
    }

    /// The values of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(&key.to_lowercase()).map(Vec::as_slice)
    }
}

/// One authorization question: may the caller perform `action` on every resource in `resources`?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthzRequest {
    /// `<service>:<Action>`, e.g. `oos:StartExecution`.
    pub action: String,
    /// ARNs, or `*` when the action is not resource-scoped. Empty is always denied.
    pub resources: Vec<String>,
    pub context: Context,
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecisionReason {
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// An `Allow` statement matched every resource and no `Deny` did.
    Allow,
    /// No statement allowed (some resource of) the request.
    ImplicitDeny,
    /// The account's root identity, which holds every permission without policies.
    AccountRoot,
    /// A user changing their own password, which needs no `Allow` (RAM's
    /// `AllowUserToChangePassword`, on by default); no `Deny` matched.
    OwnPasswordChange,
}

/// The statement that decided: for the audit trail and `oos iam policy simulate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    pub policy: String,
    pub statement: usize,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reason: DecisionReason,
    pub matched: Option<MatchedStatement>,
    /// The resource that decided a denial (the first one denied); for an allow, the first resource.
    pub resource: Option<String>,
}

impl Decision {
    /// The decision for the account root.
    pub fn account_root() -> Decision {
        Decision {
            allowed: true,
            reason: DecisionReason::AccountRoot,
            matched: None,
            resource: None,
        }
    }
}

/// Whether `statement` applies to (`action`, already lower-cased, and `resource`) in `context`.
fn statement_applies(
    statement: &Statement,
    lowercase_action: &str,
    resource: &str,
    context: &Context,
) -> bool {
    statement.covers_lowercase_action(lowercase_action)
        && statement.covers_resource(resource)
        && statement
            .conditions
            .iter()
            .all(|c| c.holds(context.get(&c.key)))
}

/// Evaluates `request` against all `policies` of a principal.
///
/// Per resource: any applying `Deny` denies; otherwise an applying `Allow` allows; otherwise implicit deny.
/// The request is allowed only if every resource is. An explicit deny on any resource wins over an
/// implicit deny on another. `matched` names the first applying statement in policy/statement order.
pub fn evaluate(policies: &[&Policy], request: &AuthzRequest) -> Decision {
    let action = request.action.to_lowercase();
    let find = |effect: Effect, resource: &str| {
        policies.iter().find_map(|policy| {
            policy
                .statements
                .iter()
                .enumerate()
                .find_map(|(index, statement)| {
                    (statement.effect == effect
                        && statement_applies(statement, &action, resource, &request.context))
                    .then(|| MatchedStatement {
                        policy: policy.name.clone(),
                        statement: index,
                    })
                })
        })
    };
    let decision = |allowed, reason, matched, resource: &str| Decision {
        allowed,
        reason,
        matched,
        resource: Some(resource.to_string()),
    };
    let mut first_implicit_deny = None;
    let mut first_allow = None;
    for resource in &request.resources {
        if let Some(deny) = find(Effect::Deny, resource) {
            return decision(false, DecisionReason::ExplicitDeny, Some(deny), resource);
        }
        match find(Effect::Allow, resource) {
            Some(allow) => {
                first_allow.get_or_insert_with(|| {
                    decision(true, DecisionReason::Allow, Some(allow), resource)
                });
            }
            None => {
                first_implicit_deny.get_or_insert_with(|| {
                    decision(false, DecisionReason::ImplicitDeny, None, resource)
                });
            }
        }
    }
    first_implicit_deny.or(first_allow).unwrap_or(Decision {
        allowed: false,
        reason: DecisionReason::ImplicitDeny,
        matched: None,
        resource: None,
    })
}
