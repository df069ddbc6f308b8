//! oos-isolate: template expressions evaluated in child processes. The parent side ([`Pool`]) is
//! an [`oos_expr::isolation::Isolation`]: it keeps a few children of the current executable, sends
//! each a [`Job`](oos_expr::isolation::Job) as a length-prefixed JSON frame and reads back the
//! answer. The child side ([`serve`]) limits its own address space and runs a watchdog, so a job
//! that allocates without bound or runs past its time ends that child only; the parent reports the
//! budget, starts a new child on the next job, and the server goes on.

mod child;
mod frame;
mod pool;

pub use child::{ARGUMENT, MEMORY_LIMIT_BYTES, TIME_EXIT_CODE, serve};
pub use pool::Pool;
