//! One parse per request: the template text a request names is parsed once while the request is
//! served (the audit record's NoEcho redaction and StartExecution share it), however many parts of
//! the request read it.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use oos_template::{Template, TemplateError};

tokio::task_local! {
    static PARSED: RefCell<Option<(String, Arc<Template>)>>;
}

/// Runs `request` with its own memory of the last template parsed.
pub async fn scope<F: Future>(request: F) -> F::Output {
    PARSED.scope(RefCell::new(None), request).await
}

/// `content` parsed, from this request's memory when it was parsed before.
pub fn template(content: &str) -> Result<Arc<Template>, TemplateError> {
    let known = PARSED.try_with(|parsed| parsed.borrow().as_ref().filter(|(text, _)| text == content).map(|(_, template)| template.clone()));
    if let Ok(Some(template)) = known {
        return Ok(template);
    }
    let template = Arc::new(oos_template::parse(content)?);
    let _ = PARSED.try_with(|parsed| *parsed.borrow_mut() = Some((content.to_owned(), template.clone())));
    Ok(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: t, Action: ACS::Sleep, Properties: {Duration: PT1S}}\n";

    #[tokio::test]
    async fn a_request_parses_a_text_once() {
        scope(async {
            let first = template(TEXT).unwrap();
            assert!(Arc::ptr_eq(&first, &template(TEXT).unwrap()), "the second read is the first parse");
            let other = template(&TEXT.replace("PT1S", "PT2S")).unwrap();
            assert!(!Arc::ptr_eq(&first, &other));
        })
        .await;
        let outside = template(TEXT).unwrap();
        assert!(!Arc::ptr_eq(&outside, &template(TEXT).unwrap()), "no memory outside a request");
    }
}
