//! `Fn::Eval`: a safe arithmetic evaluator (numbers, `+ - * / % **`, unary signs, parentheses). It
//! executes nothing and has a nesting limit, so any input yields a number or an error.

use serde_json::Value;

use super::args::shape_error;
use crate::error::{ExprError, codes};
use crate::value_type::number_from_f64;

/// Deepest allowed nesting of parentheses and signs.
const MAX_DEPTH: usize = 64;

/// `Fn::Eval: expression` (or `[expression]`), e.g. `-7*24` → `-168`. `/` is true division; integral
/// results are integers.
pub(super) fn eval(argument: Value) -> Result<Value, ExprError> {
    let source = match argument {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        other => other,
    };
    let text = match &source {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => {
            return Err(shape_error(
                "Eval",
                "an arithmetic expression string",
                other,
            ));
        }
    };
    let mut parser = Parser {
        chars: text.chars().filter(|ch| !ch.is_whitespace()).collect(),
        pos: 0,
        depth: 0,
    };
    let result = parser.sum()?;
    if parser.pos != parser.chars.len() {
        return Err(parser.error("unexpected character"));
    }
    number_from_f64(result).ok_or_else(|| error(&text, "the result is not a finite number"))
}

fn error(text: &str, what: &str) -> ExprError {
    ExprError::new(codes::EVAL, format!("Fn::Eval {text:?}: {what}"))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn error(&self, what: &str) -> ExprError {
        let text: String = self.chars.iter().collect();
        error(&text, &format!("{what} at position {}", self.pos))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, expected: &str) -> bool {
        let matches = expected
            .chars()
            .enumerate()
            .all(|(offset, ch)| self.chars.get(self.pos + offset) == Some(&ch));
        if matches {
            self.pos += expected.chars().count();
        }
        matches
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self) -> Result<f64, ExprError> {
        let mut value = self.product()?;
        loop {
            if self.eat("+") {
                value += self.product()?;
            } else if self.eat("-") {
                value -= self.product()?;
            } else {
                return Ok(value);
            }
        }
    }

    /// product := unary (('*' | '/' | '%') unary)*
    fn product(&mut self) -> Result<f64, ExprError> {
        let mut value = self.unary()?;
        loop {
            if self.peek() == Some('*') && self.chars.get(self.pos + 1) != Some(&'*') {
                self.pos += 1;
                value *= self.unary()?;
            } else if self.eat("/") || self.eat("%") {
                let divide = self.chars[self.pos - 1] == '/';
                let divisor = self.unary()?;
                if divisor == 0.0 {
                    return Err(self.error("division by zero"));
                }
                value = if divide {
                    value / divisor
                } else {
                    value.rem_euclid(divisor)
                };
            } else {
                return Ok(value);
            }
        }
    }

    /// unary := ('-' | '+') unary | power
    fn unary(&mut self) -> Result<f64, ExprError> {
        self.nested(|parser| {
            if parser.eat("-") {
                Ok(-parser.unary()?)
            } else if parser.eat("+") {
                parser.unary()
            } else {
                parser.power()
            }
        })
    }

    /// power := atom ('**' unary)?
    fn power(&mut self) -> Result<f64, ExprError> {
        let base = self.atom()?;
        if self.eat("**") {
            Ok(base.powf(self.unary()?))
        } else {
            Ok(base)
        }
    }

    /// atom := number | '(' sum ')'
    fn atom(&mut self) -> Result<f64, ExprError> {
        if self.eat("(") {
            let value = self.nested(Self::sum)?;
            if !self.eat(")") {
                return Err(self.error("missing closing parenthesis"));
            }
            return Ok(value);
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|ch| ch.is_ascii_digit() || ch == '.')
        {
            self.pos += 1;
        }
        let literal: String = self.chars[start..self.pos].iter().collect();
        literal.parse().map_err(|_| self.error("expected a number"))
    }

    fn nested(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<f64, ExprError>,
    ) -> Result<f64, ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("expression nested too deeply"));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }
}
