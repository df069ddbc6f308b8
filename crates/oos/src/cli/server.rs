//! `oos server`: the OOS-compatible API with the engine's worker in one process, on the embedded
//! store of a data directory; `--sandbox` adds the ECS emulator in-process and sends every cloud
//! call there.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use oos_actions::Executors;
use oos_cloud::{CloudClient, CloudConfig, Credentials};
use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator};
use oos_engine::runtime::{Library, RuntimeConfig, Worker};
use oos_engine::EngineConfig;
use oos_server::{Server, ServerConfig};
use oos_store::SqliteStore;

use super::run::{DataDirArgs, WorkerArgs, open_store, take_over, worker};

/// Options of `oos server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address of the API (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Run an ECS emulator in-process and send every cloud call to it.
    #[arg(long)]
    sandbox: bool,
    #[command(flatten)]
    data: DataDirArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

/// Runs `oos server` until interrupted.
pub fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let store = open_store(&args.data).await?;
        let _lock = take_over(&store).await?;
        let (worker, emulator) = if args.sandbox {
            let emulator = Emulator::builder().default_region(&args.worker.region).build()?;
            let handle = emulator.spawn("127.0.0.1:0".parse()?).await?;
            (sandbox_worker(&store, &args.worker, &handle.url())?, Some(handle))
        } else {
            (worker(&store, &args.worker), None)
        };
        let config = ServerConfig { listen: args.listen, region: args.worker.region.clone() };
        let server = Server::start(config, store.clone(), &args.data.data_dir, worker).await?;
        // The address line comes first: tools (and oos-testkit) read it from the first line.
        println!("OOS API listening on http://{} (SDK endpoint {}, protocol http)", server.addr(), server.addr());
        let credentials = server.root_credentials().display();
        if server.created_root_key() {
            println!("created the root AccessKey; its only copy is in {credentials} (mode 0600)");
        } else {
            println!("root AccessKey: {credentials}");
        }
        if let Some(handle) = &emulator {
            println!("sandbox: ECS emulator at {} (access key {DEFAULT_ACCESS_KEY_ID})", handle.endpoint());
        }
        let _ = tokio::signal::ctrl_c().await;
        server.stop();
        if let Some(handle) = emulator {
            handle.shutdown().await?;
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// A worker whose cloud is the in-process emulator at `url`.
fn sandbox_worker(store: &SqliteStore, args: &WorkerArgs, url: &str) -> anyhow::Result<Worker> {
    let config = CloudConfig { default_region: Some(args.region.clone()), ..CloudConfig::default() }.with_sandbox(url.to_string());
    let cloud = CloudClient::new(config, Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET))?;
    let library = Library::new(Some(Arc::new(store.clone())), &args.libraries);
    let engine = EngineConfig { max_loop_items: args.max_loop_items, region_id: args.region.clone(), ..EngineConfig::default() };
    Ok(Worker::new(Arc::new(store.clone()), Arc::new(Executors::new(Arc::new(cloud))), Arc::new(library), RuntimeConfig { engine, ..RuntimeConfig::default() }))
}
