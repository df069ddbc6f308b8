//! Which host and API version a call goes to: the product table (code → version, endpoint rule)
//! and the overrides from configuration (per service, or one sandbox URL for every service).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::client_error;
use oos_actions::CloudError;

/// How a product's public endpoint is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointRule {
    /// `<prefix>.<region>.aliyuncs.com`; `<prefix>.aliyuncs.com` when no region is known.
    Regional(&'static str),
    /// One host for every region (`ram.aliyuncs.com`).
    Central(&'static str),
}

/// One product: its code (lower case), OpenAPI version and endpoint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    pub code: &'static str,
    pub version: &'static str,
    pub rule: EndpointRule,
}

const fn regional(code: &'static str, version: &'static str, prefix: &'static str) -> Product {
    Product { code, version, rule: EndpointRule::Regional(prefix) }
}

const fn central(code: &'static str, version: &'static str, host: &'static str) -> Product {
    Product { code, version, rule: EndpointRule::Central(host) }
}

/// The products the corpus calls, with the versions of their current OpenAPI.
pub const PRODUCTS: &[Product] = &[
    regional("ecs", "2014-05-26", "ecs"),
    regional("vpc", "2016-04-28", "vpc"),
    regional("slb", "2014-05-15", "slb"),
    regional("rds", "2014-08-15", "rds"),
    regional("oos", "2019-06-01", "oos"),
    regional("ros", "2019-09-10", "ros"),
    central("ram", "2015-05-01", "ram.aliyuncs.com"),
    regional("sts", "2015-04-01", "sts"),
    regional("ess", "2014-08-28", "ess"),
    regional("r-kvstore", "2015-01-01", "r-kvstore"),
    regional("ecd", "2020-09-30", "ecd"),
    regional("tag", "2018-08-28", "tag"),
    central("sas", "2018-12-03", "tds.aliyuncs.com"),
    regional("hbr", "2017-09-08", "hbr"),
    regional("cs", "2015-12-15", "cs"),
    central("bssopenapi", "2017-12-14", "business.aliyuncs.com"),
    regional("eci", "2018-08-08", "eci"),
    regional("polardb", "2017-08-01", "polardb"),
    regional("adb", "2019-03-15", "adb"),
    regional("kms", "2016-01-20", "kms"),
    regional("cms", "2019-01-01", "metrics"),
    central("resourcemanager", "2020-03-31", "resourcemanager.aliyuncs.com"),
    regional("resourcesharing", "2020-01-10", "resourcesharing"),
    regional("resourcecenter", "2022-12-01", "resourcecenter"),
    regional("actiontrail", "2020-07-06", "actiontrail"),
    regional("dds", "2015-12-01", "mongodb"),
    regional("computenestsupplier", "2021-05-21", "computenestsupplier"),
    regional("cr", "2018-12-01", "cr"),
    regional("sae", "2019-05-06", "sae"),
    regional("clickhouse", "2019-11-11", "clickhouse"),
    regional("ens", "2017-11-10", "ens"),
    regional("ehpc", "2018-04-12", "ehpc"),
    regional("cloudapi", "2016-07-14", "apigateway"),
    regional("eventbridge", "2020-04-01", "eventbridge"),
];

/// Looks a product up by its code, case-insensitively (`ECS`, `Ecs`, `ecs`).
pub fn product(code: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|product| product.code.eq_ignore_ascii_case(code))
}

/// Endpoint overrides from configuration. Values are URLs (`http://127.0.0.1:8081`) or bare
/// hosts (`ecs.example.com`, HTTPS assumed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct EndpointConfig {
    /// Per product code (any case): where that product's calls go.
    pub services: BTreeMap<String, String>,
    /// One URL every product goes to (the emulator), unless a per-service entry says otherwise.
    pub sandbox: Option<String>,
    /// Extra products (or other versions) beyond the built-in table: code → version.
    pub versions: BTreeMap<String, String>,
}

/// Where one call goes: base URL (scheme + authority, no trailing slash), the `host` header
/// value that is signed, and the API version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub base_url: String,
    pub host: String,
    pub version: String,
}

impl EndpointConfig {
    /// Resolves the base URL and version of `service` in `region` (None: the global endpoint).
    pub fn resolve(&self, service: &str, region: Option<&str>) -> Result<Target, CloudError> {
        let known = product(service);
        let configured_version = self
            .versions
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(service))
            .map(|(_, version)| version.clone());
        let version = configured_version.or_else(|| known.map(|product| product.version.to_owned())).ok_or_else(|| {
            client_error(
                "InvalidService.NotSupported",
                format!(
                    "service `{service}` is not in the product table; add its API version under endpoints.versions (known: {})",
                    PRODUCTS.iter().map(|product| product.code).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        let overridden =
            self.services.iter().find(|(code, _)| code.eq_ignore_ascii_case(service)).map(|(_, url)| url.as_str());
        let url = match overridden.or(self.sandbox.as_deref()) {
            Some(url) => url.to_owned(),
            None => public_host(service, known, region),
        };
        let (base_url, host) = split_url(&url);
        Ok(Target { base_url, host, version })
    }
}

fn public_host(service: &str, known: Option<&Product>, region: Option<&str>) -> String {
    let rule = known.map_or(EndpointRule::Regional(""), |product| product.rule);
    let prefix = match rule {
        EndpointRule::Central(host) => return host.to_owned(),
        EndpointRule::Regional("") => service.to_ascii_lowercase(),
        EndpointRule::Regional(prefix) => prefix.to_owned(),
    };
    match region.filter(|region| !region.is_empty()) {
        Some(region) => format!("{prefix}.{region}.aliyuncs.com"),
        None => format!("{prefix}.aliyuncs.com"),
    }
}

/// Splits `http://host:port/` or a bare `host[:port]` into a base URL and the host header.
fn split_url(url: &str) -> (String, String) {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_owned(), url),
    };
    let host = rest.split('/').next().unwrap_or(rest).to_owned();
    (format!("{scheme}://{host}"), host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(config: &EndpointConfig, service: &str, region: Option<&str>) -> Target {
        config.resolve(service, region).unwrap()
    }

    #[test]
    fn regional_and_central_products() {
        let config = EndpointConfig::default();
        let ecs = resolve(&config, "ECS", Some("cn-hangzhou"));
        assert_eq!(ecs.base_url, "https://ecs.cn-hangzhou.aliyuncs.com");
        assert_eq!(ecs.host, "ecs.cn-hangzhou.aliyuncs.com");
        assert_eq!(ecs.version, "2014-05-26");
        assert_eq!(resolve(&config, "ecs", None).host, "ecs.aliyuncs.com");
        assert_eq!(resolve(&config, "Vpc", Some("cn-beijing")).version, "2016-04-28");
        assert_eq!(resolve(&config, "RAM", Some("cn-beijing")).host, "ram.aliyuncs.com");
        assert_eq!(resolve(&config, "r-kvstore", Some("cn-beijing")).host, "r-kvstore.cn-beijing.aliyuncs.com");
        assert_eq!(resolve(&config, "SLB", Some("eu-central-1")).version, "2014-05-15");
        assert_eq!(resolve(&config, "OOS", Some("cn-hangzhou")).version, "2019-06-01");
    }

    #[test]
    fn unknown_product_needs_a_configured_version() {
        let mut config = EndpointConfig::default();
        let error = config.resolve("NewProduct", Some("cn-hangzhou")).unwrap_err();
        assert_eq!(error.code, "InvalidService.NotSupported");
        assert!(error.message.contains("NewProduct"));
        config.versions.insert("newproduct".into(), "2024-01-01".into());
        let target = resolve(&config, "NewProduct", Some("cn-hangzhou"));
        assert_eq!(
            (target.host.as_str(), target.version.as_str()),
            ("newproduct.cn-hangzhou.aliyuncs.com", "2024-01-01")
        );
    }

    #[test]
    fn per_service_override_beats_sandbox() {
        let mut config = EndpointConfig { sandbox: Some("http://127.0.0.1:8081".into()), ..Default::default() };
        config.services.insert("OOS".into(), "http://127.0.0.1:8080/".into());
        let ecs = resolve(&config, "ecs", Some("cn-hangzhou"));
        assert_eq!((ecs.base_url.as_str(), ecs.host.as_str()), ("http://127.0.0.1:8081", "127.0.0.1:8081"));
        assert_eq!(resolve(&config, "vpc", None).base_url, "http://127.0.0.1:8081");
        assert_eq!(resolve(&config, "oos", Some("cn-hangzhou")).base_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn bare_host_override_defaults_to_https() {
        let mut config = EndpointConfig::default();
        config.services.insert("ecs".into(), "ecs-cn-hangzhou.example.com".into());
        assert_eq!(resolve(&config, "ECS", Some("cn-hangzhou")).base_url, "https://ecs-cn-hangzhou.example.com");
    }
}
