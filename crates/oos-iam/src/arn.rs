//! Builders for the resource names (ARNs) that policies match against.

/// The region and account that OOS and cloud resources live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnScope {
    pub region: String,
    pub account: String,
}

impl ArnScope {
    pub fn new(region: impl Into<String>, account: impl Into<String>) -> ArnScope {
        ArnScope {
            region: region.into(),
            account: account.into(),
        }
    }

    /// `acs:<service>:<region>:<account>:<resource_type>/<id>`.
    pub fn resource(&self, service: &str, resource_type: &str, id: &str) -> String {
        format!(
            "acs:{service}:{}:{}:{resource_type}/{id}",
            self.region, self.account
        )
    }

    /// An OOS resource; parameter names lose a leading `/` so that `/prod/db` becomes `parameter/prod/db`.
    pub fn oos(&self, resource_type: &str, id: &str) -> String {
        self.resource("oos", resource_type, id.strip_prefix('/').unwrap_or(id))
    }

    /// `acs:oos:<region>:<account>:template/<name>`.
    pub fn template(&self, name: &str) -> String {
        self.oos("template", name)
    }

    /// `acs:oos:<region>:<account>:execution/<id>`.
    pub fn execution(&self, id: &str) -> String {
        self.oos("execution", id)
    }

    /// `acs:oos:<region>:<account>:parameter/<name>`.
    pub fn parameter(&self, name: &str) -> String {
        self.oos("parameter", name)
    }

    /// `acs:oos:<region>:<account>:secretparameter/<name>`.
    pub fn secret_parameter(&self, name: &str) -> String {
        self.oos("secretparameter", name)
    }

    /// `acs:ecs:<region>:<account>:instance/<id>`.
    pub fn ecs_instance(&self, id: &str) -> String {
        self.resource("ecs", "instance", id)
    }
}

/// RAM's own resources have no region: `acs:ram::<account>:<type>/<name>`.
pub fn ram(account: &str, resource_type: &str, name: &str) -> String {
    format!("acs:ram::{account}:{resource_type}/{name}")
}

/// The ARN of the account itself (`acs:ram::<account>:root`), as trust policies name it.
pub fn ram_root(account: &str) -> String {
    format!("acs:ram::{account}:root")
}
