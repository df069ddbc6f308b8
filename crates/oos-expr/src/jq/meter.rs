//! Running a compiled jq program under budgets. jaq looks up its term table once for every term it
//! evaluates; our data type hands out that table and counts each lookup as a step, so every step of
//! a program (calls, recursion, `reduce`, `until`, …) is counted, `range` counts each output and a
//! regex each compilation and search.
//! A step beyond the budget, past the deadline, or with too little stack left unwinds the run, which
//! ends with the budget's error instead of a spinning worker or an overflowed stack.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::Once;
use std::time::Instant;

use jaq_core::data::{DataT, HasLut};
use jaq_core::{Ctx, Vars};
use jaq_json::Val;

use crate::limits::{Exceeded, MAX_OUTPUT_BYTES, MAX_STEPS, MAX_TIME, STACK_RED_ZONE, STACK_SIZE};

/// Programs compiled for metered runs.
pub(crate) type Filter = jaq_core::Filter<Metered>;
type Lut = jaq_core::Lut<Metered>;

/// jq over JSON values, with a [`Meter`] as the data every filter can see.
pub(crate) struct Metered;

impl DataT for Metered {
    type V<'a> = Val;
    type Data<'a> = &'a Meter<'a>;
}

/// The budget of one run.
pub(crate) struct Meter<'a> {
    lut: &'a Lut,
    steps: Cell<u64>,
    started: Instant,
    /// Regexes compiled during the run.
    pub(super) regexes: super::regex::Compiled,
}

impl<'a> HasLut<'a, Metered> for &'a Meter<'a> {
    fn lut(&self) -> &'a Lut {
        self.tick();
        self.lut
    }
}

/// The payload a run unwinds with when it exceeds a budget.
struct Stop(Exceeded);

impl Meter<'_> {
    /// Counts one step; unwinds the run when a budget is exceeded.
    pub(crate) fn tick(&self) {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MAX_STEPS {
            stop(Exceeded::Steps);
        }
        if stacker::remaining_stack().is_some_and(|left| left < STACK_RED_ZONE) {
            stop(Exceeded::Recursion);
        }
        if steps % 1024 == 0 && self.started.elapsed() > MAX_TIME {
            stop(Exceeded::Time);
        }
    }

    /// Counts one step that may have taken long by itself (a regex search), checking the deadline.
    pub(crate) fn tick_timed(&self) {
        self.tick();
        if self.started.elapsed() > MAX_TIME {
            stop(Exceeded::Time);
        }
    }
}

fn stop(exceeded: Exceeded) -> ! {
    silence_stops();
    std::panic::panic_any(Stop(exceeded))
}

/// Keeps the panic hook quiet about budget stops (they are caught and reported as errors); every
/// other panic still reaches the hook that was installed before.
fn silence_stops() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<Stop>().is_none() {
                previous(info);
            }
        }));
    });
}

/// Runs `filter` on `input` and collects at most `max_outputs` outputs converted to JSON, within the
/// step, time, stack and output budgets, on a stack of its own ([`STACK_SIZE`]: room for the deepest
/// value the step budget can build, which jaq drops and prints recursively). `Err(Ok(message))` is a jq runtime error, `Err(Err(kind))`
/// an exceeded budget.
pub(crate) fn run(filter: &Filter, input: Val, max_outputs: usize) -> Result<Vec<serde_json::Value>, Result<String, Exceeded>> {
    stacker::grow(STACK_SIZE, || {
        let meter = Meter { lut: &filter.lut, steps: Cell::new(0), started: Instant::now(), regexes: Default::default() };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| collect(filter, &meter, input, max_outputs)));
        match outcome {
            Ok(result) => result,
            Err(payload) => match payload.downcast::<Stop>() {
                Ok(stop) => Err(Err(stop.0)),
                Err(other) => std::panic::resume_unwind(other),
            },
        }
    })
}

fn collect(filter: &Filter, meter: &Meter<'_>, input: Val, max_outputs: usize) -> Result<Vec<serde_json::Value>, Result<String, Exceeded>> {
    let ctx = Ctx::<Metered>::new(meter, Vars::new([]));
    let mut outputs = Vec::new();
    let mut budget = MAX_OUTPUT_BYTES;
    for output in filter.id.run((ctx, input)) {
        let val = jaq_core::unwrap_valr(output).map_err(|error| Ok(error.to_string()))?;
        if outputs.len() == max_outputs {
            return Err(Ok(format!("produced more than {max_outputs} values")));
        }
        outputs.push(super::convert::from_val(&val, &mut budget).ok_or(Err(Exceeded::Output))?);
    }
    Ok(outputs)
}
