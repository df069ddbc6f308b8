//! The engine hook: a `TemplateSource` that asks another source first (the store, `--library`
//! directories) and falls back to the embedded product actions.

use oos_runtime::{FoundTemplate, TemplateSource};

use crate::find_builtin;

/// `inner` first; when it has no template of that name, the embedded one. A user template of the
/// same name therefore always wins. Embedded templates have no versions: a request for a
/// specific version is answered by `inner` only.
pub struct WithBuiltins<S> {
    inner: S,
}

impl<S: TemplateSource> WithBuiltins<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

#[async_trait::async_trait]
impl<S: TemplateSource> TemplateSource for WithBuiltins<S> {
    async fn find(&self, name: &str, version: Option<&str>) -> Result<Option<FoundTemplate>, String> {
        if let Some(found) = self.inner.find(name, version).await? {
            return Ok(Some(found));
        }
        if version.is_some() {
            return Ok(None);
        }
        Ok(find_builtin(name).map(|builtin| FoundTemplate { version: None, content: builtin.content.to_owned() }))
    }
}
