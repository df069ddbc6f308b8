//! Splits a string into literal text and `{{ … }}` expressions.

/// One piece of a scanned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    /// Literal text, copied as is.
    Text(&'a str),
    /// The trimmed inside of a `{{ … }}`.
    Expr(&'a str),
}

/// Splits `text` into literal and expression segments. Every `{{` is paired with the next `}}`; a `{{`
/// with no closing `}}` is literal text. Whitespace inside the braces (including newlines from YAML
/// folding) is trimmed.
pub(crate) fn scan(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        if open > 0 {
            segments.push(Segment::Text(&rest[..open]));
        }
        segments.push(Segment::Expr(rest[open + 2..open + 2 + close].trim()));
        rest = &rest[open + 2 + close + 2..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest));
    }
    segments
}

/// The trimmed inside of `text` when `text` is exactly one `{{ … }}` with nothing around it (such a
/// string keeps the referenced value's JSON type).
pub(crate) fn whole_expression(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("}}")).then(|| inner.trim())
}

/// Whether `text` contains at least one complete `{{ … }}`.
pub(crate) fn has_expression(text: &str) -> bool {
    text.find("{{")
        .is_some_and(|open| text[open + 2..].contains("}}"))
}
