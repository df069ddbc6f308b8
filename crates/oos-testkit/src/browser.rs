//! A real browser for the console's tests and benches: Debian's Chromium, driven by Playwright
//! (`playwright-core`, pinned, installed once with npm under the target directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::target_dir;

/// The Playwright version installed.
pub const PLAYWRIGHT_CORE: &str = "1.57.0";
/// The browser driven (`apt-get install chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Where playwright-core lives, installed once per target directory; `None` (after a loud
/// message) when Chromium is absent outside CI.
pub fn playwright() -> Option<PathBuf> {
    static INSTALL: Mutex<()> = Mutex::new(());
    if !Path::new(CHROMIUM).exists() {
        assert!(std::env::var_os("CI").is_none(), "{CHROMIUM} is missing: CI installs Debian's chromium (.ci/run)");
        eprintln!("\n*** SKIPPED: the console's browser tests need {CHROMIUM} (apt-get install chromium) ***\n");
        return None;
    }
    let dir = target_dir().join(format!("console-playwright-{PLAYWRIGHT_CORE}"));
    let _once = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !dir.join("node_modules/playwright-core/package.json").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("package.json"), r#"{"private": true}"#).unwrap();
        let package = format!("playwright-core@{PLAYWRIGHT_CORE}");
        let status = Command::new("npm").args(["install", "--no-audit", "--no-fund", "--silent", &package]).current_dir(&dir).status().expect("npm runs");
        assert!(status.success(), "npm install {package} failed");
    }
    Some(dir)
}
