//! The parent side: a few child evaluators, each used by one job at a time, started on first use
//! and again after one dies.

use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use oos_expr::ExprError;
use oos_expr::isolation::{Isolation, Job, WireError, evaluator_died};
use oos_expr::limits::Exceeded;
use serde_json::Value;

use crate::child::TIME_EXIT_CODE;
use crate::frame;

/// Child evaluators of one program.
#[derive(Debug)]
pub struct Pool {
    program: PathBuf,
    args: Vec<String>,
    slots: Vec<Mutex<Option<Evaluator>>>,
    next: AtomicUsize,
    started: AtomicUsize,
}

/// One running child.
#[derive(Debug)]
struct Evaluator {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Pool {
    /// A pool of `size` children, each `program args…` (the program must call [`crate::serve`]).
    pub fn new(program: PathBuf, args: Vec<String>, size: usize) -> Self {
        Self { program, args, slots: (0..size.max(1)).map(|_| Mutex::new(None)).collect(), next: AtomicUsize::new(0), started: AtomicUsize::new(0) }
    }

    /// A pool of children of the running executable (`oos __isolate`), one per available core.
    pub fn of_current_exe() -> std::io::Result<Self> {
        let size = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self::new(std::env::current_exe()?, vec![crate::ARGUMENT.to_owned()], size))
    }

    /// How many children were started so far (a child that died is replaced by a new one).
    pub fn children_started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }

    /// The first free slot (so one child serves jobs that come one at a time), else the next one
    /// in turn (waiting for it).
    fn slot(&self) -> MutexGuard<'_, Option<Evaluator>> {
        for slot in &self.slots {
            if let Ok(slot) = slot.try_lock() {
                return slot;
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        self.slots[turn % self.slots.len()].lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn spawn(&self) -> std::io::Result<Evaluator> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        self.started.fetch_add(1, Ordering::Relaxed);
        let input = child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
        let output = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
        Ok(Evaluator { child, input: BufWriter::new(input), output: BufReader::new(output) })
    }
}

impl Evaluator {
    fn exchange(&mut self, job: &Job) -> std::io::Result<Option<Result<Value, WireError>>> {
        frame::write(&mut self.input, job)?;
        frame::read(&mut self.output)
    }

    /// Ends the child and tells which budget it died of.
    fn bury(mut self) -> Exceeded {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) if status.code() == Some(TIME_EXIT_CODE) => Exceeded::Time,
            _ => Exceeded::Memory,
        }
    }
}

impl Isolation for Pool {
    fn evaluate(&self, job: &Job) -> Result<Value, ExprError> {
        let mut slot = self.slot();
        if slot.is_none() {
            let evaluator = self.spawn().map_err(|error| {
                tracing::error!(%error, program = %self.program.display(), "cannot start an isolated evaluator");
                evaluator_died(job, Exceeded::Memory)
            })?;
            *slot = Some(evaluator);
        }
        let answer = slot.as_mut().map(|evaluator| evaluator.exchange(job));
        match answer {
            Some(Ok(Some(answer))) => answer.map_err(WireError::into_error),
            _ => {
                let exceeded = slot.take().map_or(Exceeded::Memory, Evaluator::bury);
                tracing::warn!(budget = exceeded.code(), "an isolated evaluator ended during a job; the next job starts a new one");
                Err(evaluator_died(job, exceeded))
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let Some(evaluator) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
                evaluator.bury();
            }
        }
    }
}
