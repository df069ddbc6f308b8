//! `oos api SERVICE API [Key=Value …]`: one signed OpenAPI call through the cloud client
//! (credentials from the environment or the aliyun CLI config), printed as JSON.

use std::process::ExitCode;

use anyhow::Context;
use oos_actions::CloudApi;
use oos_cloud::{CloudClient, CloudConfig, CredentialChain, SignatureScheme, simple_call};

/// Call one Alibaba Cloud OpenAPI (or the emulator with --endpoint).
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// Product code, any case: ECS, VPC, OOS, RDS, …
    service: String,
    /// API name: DescribeInstances, StopInstance, …
    api: String,
    /// Parameters as Key=Value; values starting with `[` or `{` are JSON (lists, objects).
    parameters: Vec<String>,
    /// Region that selects the endpoint (a `RegionId` parameter wins); default: the profile's region.
    #[arg(long)]
    region: Option<String>,
    /// Send every product to this URL (e.g. the emulator: http://127.0.0.1:8081).
    #[arg(long, env = "OOS_CLOUD_ENDPOINT")]
    endpoint: Option<String>,
    /// Profile of ~/.aliyun/config.json to use.
    #[arg(long)]
    profile: Option<String>,
    /// Sign with HMAC-SHA1 v1.0 instead of ACS3-HMAC-SHA256.
    #[arg(long)]
    signature_v1: bool,
    /// Return only the first page.
    #[arg(long)]
    no_paging: bool,
}

/// Runs the call and prints the response (or the error with its code) as JSON.
pub fn run(args: ApiArgs) -> anyhow::Result<ExitCode> {
    let parameters = super::run::parse_parameters(&args.parameters)?;
    let mut config = CloudConfig { default_region: args.region.clone(), ..CloudConfig::default() };
    if let Some(endpoint) = &args.endpoint {
        config = config.with_sandbox(endpoint.clone());
    }
    if args.signature_v1 {
        config.signature = SignatureScheme::V1;
    }
    let mut chain = CredentialChain::from_process(None);
    chain.profile = args.profile.clone();
    let client = CloudClient::from_chain(config, &chain).map_err(|error| anyhow::anyhow!("{error}"))?;
    let mut call = simple_call(&args.service, &args.api, parameters);
    call.region_id = args.region.clone();
    call.auto_paging = !args.no_paging;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    match runtime.block_on(client.call(&call)) {
        Ok(response) => {
            println!("{}", serde_json::to_string_pretty(&response)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let body = serde_json::json!({
                "Code": error.code, "Message": error.message, "HttpStatus": error.http_status, "RequestId": error.request_id,
            });
            eprintln!("{}", serde_json::to_string_pretty(&body)?);
            Ok(ExitCode::FAILURE)
        }
    }
}
