//! What the CLI tests share: running `oos` with a private profile file and nothing from the test's own
//! environment (no endpoint, key, profile or data directory).

use std::path::Path;
use std::process::{Command, Output};

/// `oos` with a private profile file and no endpoint or key from the test's own environment.
pub fn oos(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(args)
        .env("HOME", home)
        .env("OOS_CONFIG", home.join("config.json"))
        .env_remove("OOS_ENDPOINT")
        .env_remove("OOS_ACCESS_KEY_ID")
        .env_remove("OOS_ACCESS_KEY_SECRET")
        .env_remove("OOS_PROFILE")
        .env_remove("OOS_DATA_DIR")
        .output()
        .expect("oos runs")
}
