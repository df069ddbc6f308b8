//! The cloud client's metrics, recorded through the `metrics` facade: every HTTP request a caller
//! asks for (one per page) once it ends, by service, API and outcome, and every retry by its reason.
//! The labels are the product code (upper case) and API name a template gave, and fixed words.

use oos_actions::ApiCall;

use crate::retry::RetryReason;

/// Cloud requests ended (one per page; retries are not requests), by service, API and outcome (counter).
pub const CLOUD_CALLS: &str = "oos_cloud_calls_total";
/// Cloud request attempts retried, by service, API and reason (counter).
pub const CLOUD_RETRIES: &str = "oos_cloud_retries_total";

/// The outcome of an answered request.
pub(crate) const SUCCESS: &str = "success";

/// Describes the cloud client's metrics to the installed recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(CLOUD_CALLS, "Cloud API requests ended (one per page, after retries), by service, API and outcome (success, error, throttled, server_error, transport)");
    metrics::describe_counter!(CLOUD_RETRIES, "Cloud API attempts retried, by service, API and reason (throttled, server_error, transport)");
}

/// The outcome of a request that ended in an error: the reason it was being retried for when
/// retries ran out, else `error` (the cloud refused it).
pub(crate) fn failed(retry: Option<RetryReason>) -> &'static str {
    retry.map_or("error", reason)
}

fn reason(reason: RetryReason) -> &'static str {
    match reason {
        RetryReason::Throttled => "throttled",
        RetryReason::ServerError => "server_error",
        RetryReason::Transport => "transport",
    }
}

/// Counts a request of `call` that ended with `outcome`.
pub(crate) fn call_ended(call: &ApiCall, outcome: &'static str) {
    metrics::counter!(CLOUD_CALLS, "service" => call.service.to_ascii_uppercase(), "api" => call.api.clone(), "outcome" => outcome).increment(1);
}

/// Counts a retry of a request of `call`.
pub(crate) fn retried(call: &ApiCall, why: RetryReason) {
    metrics::counter!(CLOUD_RETRIES, "service" => call.service.to_ascii_uppercase(), "api" => call.api.clone(), "reason" => reason(why)).increment(1);
}
