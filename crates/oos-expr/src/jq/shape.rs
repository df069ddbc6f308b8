//! Which jq programs are plain paths (`.Instances.Instance[].InstanceId`, `.a | .[0]?`): programs
//! whose work and output are bounded by the size of their input, so they may run in-process. Every
//! other program (arithmetic, construction, definitions, loops, …) runs where an evaluator can be
//! stopped from outside, when one is installed (see [`crate::isolation`]).

use jaq_core::load::lex::StrPart;
use jaq_core::load::parse::{BinaryOp, Term};
use jaq_core::path::Part;

/// Most path segments of a plain path (each `|` and each `.key`, `[n]`, `[]` is one).
const MAX_SEGMENTS: usize = 256;

/// Whether `code` (which compiled) is a plain path.
pub(super) fn is_plain_path(code: &str) -> bool {
    let Some(term) = jaq_core::load::parse(code, |parser| parser.term()) else { return false };
    let mut segments = 0;
    plain(&term, &mut segments) && segments <= MAX_SEGMENTS
}

fn plain(term: &Term<&str>, segments: &mut usize) -> bool {
    *segments += 1;
    match term {
        Term::Id => true,
        Term::BinOp(left, BinaryOp::Pipe(None), right) => plain(left, segments) && plain(right, segments),
        Term::Path(base, path) => {
            plain(base, segments)
                && path.0.iter().all(|(part, _optional)| {
                    *segments += 1;
                    match part {
                        Part::Index(index) => literal(index),
                        Part::Range(from, upto) => from.as_ref().is_none_or(literal) && upto.as_ref().is_none_or(literal),
                    }
                })
        }
        _ => false,
    }
}

/// A number (negative ones too), or a string without interpolation or format.
fn literal(term: &Term<&str>) -> bool {
    match term {
        Term::Num(_) => true,
        Term::Neg(number) => matches!(**number, Term::Num(_)),
        Term::Str(None, parts) => parts.iter().all(|part| matches!(part, StrPart::Str(_))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_plain_path;

    #[test]
    fn selectors_of_the_corpus_are_told_apart() {
        for plain in [".", ".Instances.Instance[].InstanceId", ".a | .[0]?", ".[\"x y\"][1:3]", ".SpotPrices.SpotPriceType[-1].SpotPrice", ".a[]?.b"] {
            assert!(is_plain_path(plain), "{plain}");
        }
        for general in [
            ".a + .b",
            "map(.x)",
            "[.[] | .a]",
            ".[] | select(.a == 1)",
            "def f: f; f",
            "reduce .[] as $x (0; . + $x)",
            ".a as $x | .b",
            ".[\"\\(.a)\"]",
            ".[.a]",
            "..",
            "\"x\" * 100",
        ] {
            assert!(!is_plain_path(general), "{general}");
        }
        assert!(!is_plain_path(&[".a"; 300].join(" | ")));
    }
}
