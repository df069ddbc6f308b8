//! The journal (opt-in): every mutating call the emulator acted on, with its parameters and
//! ClientToken, so a test can count how often one logical call reached the cloud and under which
//! tokens (a call answered from an earlier ClientToken's answer did not act and is not recorded);
//! and every authenticated HTTP request with the identity it acted as and its outcome.

use std::sync::{Mutex, PoisonError};

use oos_acs::RpcRequest;

use crate::sts::Caller;

/// One mutating call that acted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mutation {
    pub action: String,
    /// The request's parameters without `ClientToken`, sorted, as `k=v&…`.
    pub parameters: String,
    pub client_token: Option<String>,
}

/// One authenticated request over HTTP: which action, as whom, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallRecord {
    pub action: String,
    pub version: String,
    pub caller: Caller,
    /// The error code answered, `None` on success.
    pub error_code: Option<String>,
}

/// The journal's storage.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Mutex<Vec<Mutation>>,
    calls: Mutex<Vec<CallRecord>>,
}

impl Journal {
    pub(crate) fn record(&self, request: &RpcRequest) {
        let mutation = Mutation {
            action: request.action.clone(),
            parameters: fingerprint(request),
            client_token: request.get("ClientToken").filter(|token| !token.is_empty()).map(str::to_owned),
        };
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).push(mutation);
    }

    pub(crate) fn entries(&self) -> Vec<Mutation> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn record_call(&self, call: CallRecord) {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).push(call);
    }

    pub(crate) fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A request's parameters without `ClientToken`, sorted, as `k=v&…`: what makes two calls the same call.
pub(crate) fn fingerprint(request: &RpcRequest) -> String {
    let mut parameters: Vec<String> =
        request.params().iter().filter(|(key, _)| key != "ClientToken").map(|(key, value)| format!("{key}={value}")).collect();
    parameters.sort();
    parameters.join("&")
}
