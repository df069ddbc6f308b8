//! Results come back to the execution that asked: when the last target of an invocation an
//! execution made is final, that execution is poked (`oos_engine::Event::Poke` in its inbox), so a
//! WaitFor polling DescribeInvocations looks now instead of after its back-off.

use oos_store::{InvocationQuery, NewInboxEvent};

use crate::Assistant;

impl Assistant {
    pub(crate) async fn poke_creator(&self, invoke_id: &str) {
        let query = InvocationQuery { invoke_id: Some(invoke_id.to_string()), ..Default::default() };
        let found = match self.store().invocations(&query).await {
            Ok((found, _)) => found,
            Err(error) => {
                tracing::warn!(invoke_id, %error, "reading an invocation to wake its execution");
                return;
            }
        };
        let Some((invocation, targets)) = found.into_iter().next() else { return };
        if !invocation.creator.starts_with("exec-") || !targets.iter().all(|target| target.is_final()) {
            return;
        }
        let payload = serde_json::to_string(&oos_engine::Event::Poke).unwrap_or_default();
        let event = NewInboxEvent { execution_id: invocation.creator.clone(), payload, created_ms: self.now_ms() };
        if let Err(error) = self.store().push(event).await {
            tracing::warn!(invoke_id, execution = %invocation.creator, %error, "waking the execution of a finished invocation");
        }
    }
}
