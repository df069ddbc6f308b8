//! ClientToken idempotency as ECS has it: a mutating call repeated with the same `ClientToken`
//! returns the first call's answer instead of acting again; the same token with other parameters
//! is refused with `IdempotentParameterMismatch`.

use std::collections::HashMap;

use oos_acs::{AcsError, RpcRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::IDEMPOTENT_PARAMETER_MISMATCH;

/// Answers already given, by `Action/ClientToken`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    by_token: HashMap<String, Answer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Answer {
    /// The request's parameters without `ClientToken`, sorted, as `k=v&…`.
    parameters: String,
    body: Value,
}

/// The key and parameter fingerprint of a request that carries a ClientToken.
pub struct Tokened {
    key: String,
    parameters: String,
}

impl Tokened {
    /// `None` when the request has no (or an empty) `ClientToken`.
    pub fn of(request: &RpcRequest) -> Option<Self> {
        let token = request
            .get("ClientToken")
            .filter(|token| !token.is_empty())?;
        Some(Self {
            key: format!("{}/{token}", request.action),
            parameters: crate::journal::fingerprint(request),
        })
    }
}

impl Answered {
    /// The first answer to the same call, or a mismatch error; `Ok(None)` for a new token.
    pub fn replay(&self, call: &Tokened) -> Result<Option<Value>, AcsError> {
        match self.by_token.get(&call.key) {
            None => Ok(None),
            Some(answer) if answer.parameters == call.parameters => Ok(Some(answer.body.clone())),
            Some(_) => Err(AcsError::new(
                IDEMPOTENT_PARAMETER_MISMATCH,
                "The ClientToken was already used with different parameters.",
            )),
        }
    }

    /// Remembers a successful answer.
    pub fn record(&mut self, call: Tokened, body: &Value) {
        self.by_token.insert(
            call.key,
            Answer {
                parameters: call.parameters,
                body: body.clone(),
            },
        );
    }
}
