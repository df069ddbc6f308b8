//! The child side: limit the address space, start the watchdog, then answer jobs from stdin on
//! stdout until the parent closes the pipe.

use std::io::{BufReader, BufWriter};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oos_expr::isolation::{Job, WireError};
use oos_expr::limits::MAX_TIME;
use serde_json::Value;

use crate::frame;

/// The first command-line argument that makes the `oos` binary serve as an isolated evaluator.
pub const ARGUMENT: &str = "__isolate";
/// Address space a child may use: the evaluation stack (reserved, 256 MiB), the allocator's arenas,
/// and about a gigabyte for the values a job builds.
pub const MEMORY_LIMIT_BYTES: u64 = 1536 * 1024 * 1024;
/// Exit code of a child whose job ran past its time (the in-process budget missed it).
pub const TIME_EXIT_CODE: i32 = 124;
/// Time a job may run beyond [`MAX_TIME`] before the watchdog ends the child.
const GRACE: Duration = Duration::from_secs(1);

/// Serves jobs until stdin closes. Returns an error only when the pipes fail.
pub fn serve() -> std::io::Result<()> {
    rlimit::setrlimit(rlimit::Resource::AS, MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES)?;
    let started = Instant::now();
    // Milliseconds since `started` at which the running job began, plus one; 0 while idle.
    let busy_since = Arc::new(AtomicU64::new(0));
    let watched = Arc::clone(&busy_since);
    std::thread::Builder::new().name("watchdog".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let since = watched.load(Ordering::Acquire);
            if since > 0 && started.elapsed().saturating_sub(Duration::from_millis(since - 1)) > MAX_TIME + GRACE {
                std::process::exit(TIME_EXIT_CODE);
            }
        }
    })?;
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    while let Some(job) = frame::read::<Job>(&mut input)? {
        let now = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        busy_since.store(now + 1, Ordering::Release);
        let answer: Result<Value, WireError> = job.run_here().map_err(|error| WireError::from(&error));
        busy_since.store(0, Ordering::Release);
        frame::write(&mut output, &answer)?;
    }
    Ok(())
}
