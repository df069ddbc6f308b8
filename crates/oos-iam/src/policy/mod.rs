//! RAM policy documents: the parsed model (`Policy`, `Statement`) and its entry point [`Policy::parse`].

pub mod condition;
pub mod glob;
mod parse;

use serde::Serialize;

pub use condition::{Condition, ConditionValues, Operator, OperatorFamily};
pub use parse::{MAX_POLICY_DOCUMENT_CHARS, PolicyError};

/// Whether a policy is shipped with OpenOOS (read-only) or written by the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum PolicyType {
    System,
    Custom,
}

/// A parsed, validated policy document with the name it is attached under.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub policy_type: PolicyType,
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of wildcard patterns that either names what a statement covers (`Action`, `Resource`)
/// or what it excludes (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternSet {
    Include(Vec<String>),
    Exclude(Vec<String>),
}

/// Who a trust-policy statement names (`Principal: {RAM: [...], Service: [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `acs:ram::<account>:root`, `acs:ram::<account>:user/<name>`, `acs:ram::<account>:role/<name>` or `*`.
    pub ram: Vec<String>,
    /// Service principals such as `oos.aliyuncs.com`.
    pub service: Vec<String>,
}

/// One statement of a policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub effect: Effect,
    /// Action patterns, lower-cased at parse time (action matching ignores case).
    pub actions: PatternSet,
    /// Resource patterns, kept as written (resource matching is case-sensitive).
    /// Trust policies may omit it, which is stored as `Include(["*"])`.
    pub resources: PatternSet,
    /// Conditions, all of which must hold (AND).
    pub conditions: Vec<Condition>,
    /// Only in trust policies.
    pub principals: Option<Principals>,
}

impl PatternSet {
    /// The same set with every pattern transformed.
    pub fn map(self, f: impl Fn(&str) -> String) -> PatternSet {
        match self {
            PatternSet::Include(p) => PatternSet::Include(p.iter().map(|x| f(x)).collect()),
            PatternSet::Exclude(p) => PatternSet::Exclude(p.iter().map(|x| f(x)).collect()),
        }
    }

    /// Whether `candidate` is covered: matched by a pattern of `Include`, matched by none of `Exclude`.
    pub fn covers(&self, candidate: &str, matcher: fn(&str, &str) -> bool) -> bool {
        match self {
            PatternSet::Include(patterns) => patterns.iter().any(|p| matcher(p, candidate)),
            PatternSet::Exclude(patterns) => !patterns.iter().any(|p| matcher(p, candidate)),
        }
    }
}

impl Statement {
    /// Whether the statement's Action/NotAction covers `action` (e.g. `oos:StartExecution`), ignoring case.
    pub fn covers_action(&self, action: &str) -> bool {
        self.covers_lowercase_action(&action.to_lowercase())
    }

    /// [`Statement::covers_action`] for an action already lower-cased (saves the conversion per statement).
    pub fn covers_lowercase_action(&self, action: &str) -> bool {
        self.actions.covers(action, glob::matches)
    }

    /// Whether the statement's Resource/NotResource covers `resource` (an ARN or `*`).
    pub fn covers_resource(&self, resource: &str) -> bool {
        self.resources.covers(resource, glob::matches)
    }
}

impl Policy {
    /// Parses an identity policy document (no `Principal` element allowed).
    pub fn parse(
        name: &str,
        policy_type: PolicyType,
        document: &str,
    ) -> Result<Policy, PolicyError> {
        let statements = parse::parse_document(document, parse::DocumentKind::Identity)?;
        Ok(Policy {
            name: name.to_string(),
            policy_type,
            statements,
        })
    }
}

/// A role's trust policy: who may assume the role (`sts:AssumeRole`), by `Principal`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy {
    pub statements: Vec<Statement>,
}

impl TrustPolicy {
    /// Parses a trust policy document (every statement needs `Principal`; `Resource` is optional).
    pub fn parse(document: &str) -> Result<TrustPolicy, PolicyError> {
        let statements = parse::parse_document(document, parse::DocumentKind::Trust)?;
        Ok(TrustPolicy { statements })
    }

    /// Whether the trust policy lets `principal_arn` (a RAM ARN) or the service `service` assume the role:
    /// an `Allow` statement covering `sts:AssumeRole` names it, and no `Deny` statement does.
    /// Conditions in trust policies are not evaluated here; a statement with conditions never grants.
    pub fn trusts(&self, principal: &TrustedPrincipal<'_>) -> bool {
        let names_principal = |s: &Statement| {
            let Some(principals) = &s.principals else {
                return false;
            };
            match principal {
                TrustedPrincipal::Ram(arn) => principals.ram.iter().any(|p| glob::matches(p, arn)),
                TrustedPrincipal::Service(service) => principals
                    .service
                    .iter()
                    .any(|p| glob::matches_ignore_case(p, service)),
            }
        };
        let applies = |s: &&Statement| s.covers_action("sts:AssumeRole") && names_principal(s);
        let denied = self
            .statements
            .iter()
            .filter(applies)
            .any(|s| s.effect == Effect::Deny);
        let allowed = self
            .statements
            .iter()
            .filter(applies)
            .any(|s| s.effect == Effect::Allow && s.conditions.is_empty());
        allowed && !denied
    }
}

/// A principal that a trust policy may name.
#[derive(Debug, Clone, Copy)]
pub enum TrustedPrincipal<'a> {
    /// A RAM ARN (`acs:ram::<account>:root`, `...:user/<name>`).
    Ram(&'a str),
    /// A service such as `oos.aliyuncs.com`.
    Service(&'a str),
}
