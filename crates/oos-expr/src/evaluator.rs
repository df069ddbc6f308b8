//! The [`Evaluator`]: walks value trees, renders strings and applies `Fn::` functions, holding the
//! state worth building once (the jq program cache and the minijinja environment).

use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};

use crate::condition::truthy;
use crate::context::Context;
use crate::error::{ExprError, PathSegment};
use crate::functions;
use crate::jinja::Jinja;
use crate::jq::{self, Program};
use crate::limits::Scope;
use crate::render::to_text;
use crate::scanner::has_expression;
use crate::value_type::ValueType;

/// Evaluates expressions. Cheap to share (`Send + Sync`); build one per process (or use
/// [`Evaluator::shared`]) so compiled jq programs are reused.
#[derive(Debug)]
pub struct Evaluator {
    jq: jq::Cache,
    jinja: Jinja,
}

impl Default for Evaluator {
    fn default() -> Self {
        Self::new()
    }
}

static SHARED: LazyLock<Evaluator> = LazyLock::new(Evaluator::new);

impl Evaluator {
    /// A new evaluator with an empty jq cache.
    pub fn new() -> Self {
        Self {
            jq: jq::Cache::default(),
            jinja: Jinja::new(),
        }
    }

    /// The process-wide evaluator used by the crate's free functions.
    pub fn shared() -> &'static Evaluator {
        &SHARED
    }

    pub(crate) fn jinja(&self) -> &Jinja {
        &self.jinja
    }

    /// The compiled jq program for `src`, from the cache.
    pub fn jq_program(&self, src: &str) -> Result<Arc<Program>, ExprError> {
        self.jq.get(src)
    }

    /// Like [`jq::select`], with the program taken from the cache.
    pub fn select(&self, program: &str, input: &Value, ty: ValueType) -> Result<Value, ExprError> {
        self.jq_program(program)?.select(input, ty)
    }

    /// See [`crate::evaluate`].
    pub fn evaluate(&self, value: &Value, ctx: &dyn Context) -> Result<Option<Value>, ExprError> {
        let _scope = Scope::enter();
        match value {
            Value::String(text) => self.render(text, ctx).map(Some),
            Value::Array(items) => {
                let mut evaluated = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    if let Some(item) = self
                        .evaluate(item, ctx)
                        .map_err(|e| e.within(PathSegment::Index(index)))?
                    {
                        evaluated.push(item);
                    }
                }
                Ok(Some(Value::Array(evaluated)))
            }
            Value::Object(map) => match functions::single_function(map) {
                Some((name, argument)) => functions::call(self, name, argument, ctx)
                    .map_err(|e| e.within(PathSegment::Key(format!("Fn::{name}")))),
                None => self.evaluate_map(map, ctx).map(Some),
            },
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(Some(value.clone())),
        }
    }

    /// Evaluates a value that must not vanish (a function argument): a removed value is `null`.
    pub(crate) fn evaluate_present(
        &self,
        value: &Value,
        ctx: &dyn Context,
    ) -> Result<Value, ExprError> {
        Ok(self.evaluate(value, ctx)?.unwrap_or(Value::Null))
    }

    fn evaluate_map(
        &self,
        map: &Map<String, Value>,
        ctx: &dyn Context,
    ) -> Result<Value, ExprError> {
        let mut evaluated = Map::with_capacity(map.len());
        for (key, item) in map {
            let within = |e: ExprError| e.within(PathSegment::Key(key.clone()));
            let key = if has_expression(key) {
                to_text(&self.render(key, ctx).map_err(within)?)
            } else {
                key.clone()
            };
            if let Some(item) = self.evaluate(item, ctx).map_err(within)? {
                evaluated.insert(key, item);
            }
        }
        Ok(Value::Object(evaluated))
    }

    /// See [`crate::evaluate_condition`].
    pub fn evaluate_condition(&self, value: &Value, ctx: &dyn Context) -> Result<bool, ExprError> {
        truthy(&self.evaluate_present(value, ctx)?)
    }
}
