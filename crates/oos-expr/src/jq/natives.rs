//! Native filters replaced for bounded runs: `range` counts each output as a step, and `fromjson`
//! parses with serde_json's nesting limit (jaq's own parser recurses as deep as the text nests).

use jaq_core::{Cv, Error, Exn, ValXs};
use jaq_json::Val;

use super::convert::to_val;
use super::meter::{Meter, Metered};

/// `range($from; $upto; $by)` as jaq's own, with every output counted as a step.
pub(super) fn range<'a>(mut cv: Cv<'a, Metered>) -> ValXs<'a, Val> {
    let by = cv.0.pop_var();
    let to = cv.0.pop_var();
    let from = cv.0.pop_var();
    let meter: &'a Meter<'a> = *cv.0.data();
    let ascending = by > Val::from(0isize);
    let descending = by < Val::from(0isize);
    let mut next = Some(from);
    Box::new(std::iter::from_fn(move || {
        let current = next.take()?;
        let go_on = if ascending {
            current < to
        } else if descending {
            current > to
        } else {
            current != to
        };
        if !go_on {
            return None;
        }
        meter.tick();
        match current.clone() + by.clone() {
            Ok(following) => next = Some(following),
            Err(error) => return Some(Err(error.into())),
        }
        Some(Ok(current))
    }))
}

/// `fromjson`: every JSON value in the input text, or an error (nesting deeper than 128 included).
pub(super) fn fromjson<'a>(cv: Cv<'a, Metered>) -> ValXs<'a, Val> {
    let (Val::TStr(bytes) | Val::BStr(bytes)) = &cv.1 else {
        return Box::new(std::iter::once(Err(Exn::from(Error::str(format_args!("cannot parse {} as JSON", cv.1))))));
    };
    let values: Vec<Result<serde_json::Value, serde_json::Error>> = serde_json::Deserializer::from_slice(bytes).into_iter().collect();
    Box::new(values.into_iter().map(|parsed| parsed.map(|value| to_val(&value)).map_err(|error| Exn::from(Error::str(format_args!("cannot parse as JSON: {error}"))))))
}
