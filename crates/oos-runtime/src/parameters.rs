//! Where `{{ oos:Name }}` and `{{ oos-secret:Name[:Version] }}` values come from: a
//! [`ParameterSource`] the worker reads once per new execution (top-level or child), as the
//! execution's [`Reader`], so the deterministic core only ever sees the stored snapshot and a
//! template can use only the parameters its starter (and the role it acts as) may read.

use std::collections::BTreeMap;

use oos_expr::Reference;
use oos_template::Template;
use serde_json::Value;

use oos_engine::CreateError;

/// One parameter-store reference of a template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoreReference {
    /// The parameter's name.
    pub name: String,
    /// The version asked for (`oos-secret:Name:2`); None: the latest.
    pub version: Option<i64>,
    /// `oos-secret:`: a secret parameter, opened with the master key.
    pub secret: bool,
}

impl StoreReference {
    /// The reference as the template writes it after `oos:` / `oos-secret:` (the snapshot's key).
    pub fn key(&self) -> String {
        match self.version {
            Some(version) => format!("{}:{version}", self.name),
            None => self.name.clone(),
        }
    }

    fn parse(key: &str, secret: bool) -> Self {
        match key.rsplit_once(':').and_then(|(name, version)| Some((name, version.parse().ok()?))) {
            Some((name, version)) => Self { name: name.to_owned(), version: Some(version), secret },
            None => Self { name: key.to_owned(), version: None, secret },
        }
    }
}

/// Who reads the parameters of an execution: its starter (an ARN; None: the local user of `oos
/// run`, who may read everything) and the RAM role it acts as, when there is one. Both must be
/// allowed to read each parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reader {
    pub executed_by: Option<String>,
    pub ram_role: Option<String>,
}

/// The parameter store as the engine needs it.
#[async_trait::async_trait]
pub trait ParameterSource: Send + Sync {
    /// The value of `reference` for `reader`: `Ok(None)` when there is no such parameter (or
    /// version). A reader that may not read it gets the same `Forbidden.RAM` error whether it
    /// exists or not.
    async fn read(&self, reference: &StoreReference, reader: &Reader) -> Result<Option<Value>, CreateError>;

    /// Refuses with `Forbidden.RAM` unless `reader` may read `reference` (whether it exists or not):
    /// the check of the role an execution acts as, whose values its starter has read already. By
    /// default a read whose value is dropped.
    async fn authorize(&self, reference: &StoreReference, reader: &Reader) -> Result<(), CreateError> {
        self.read(reference, reader).await.map(drop)
    }
}

/// The parameter-store values an execution's template uses, by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// `{{ oos:Name }}` values by name.
    pub common: BTreeMap<String, Value>,
    /// `{{ oos-secret:Name[:Version] }}` values by key (see [`StoreReference::key`]).
    pub secret: BTreeMap<String, Value>,
}

/// Every parameter-store reference of `template`, each once.
pub fn store_references(template: &Template) -> Vec<StoreReference> {
    let mut references: Vec<StoreReference> = oos_expr::references(&template.document)
        .into_iter()
        .filter_map(|located| match located.value {
            Reference::StoreParameter { name, secret } => Some(StoreReference::parse(&name, secret)),
            _ => None,
        })
        .collect();
    references.sort();
    references.dedup();
    references
}

/// The values of every parameter-store reference of `template`, read as `reader`. A missing one (or
/// a template that references any while the worker has no source) is `EntityNotExists.Parameter`
/// (`EntityNotExists.SecretParameter`) naming it; one the reader may not read is `Forbidden.RAM`.
pub async fn snapshot(source: Option<&dyn ParameterSource>, template: &Template, reader: &Reader) -> Result<Snapshot, CreateError> {
    let mut values = Snapshot::default();
    for reference in store_references(template) {
        let found = match source {
            Some(source) => source.read(&reference, reader).await?,
            None => None,
        };
        let (kind, code) = if reference.secret { ("oos-secret", "EntityNotExists.SecretParameter") } else { ("oos", "EntityNotExists.Parameter") };
        let value = found.ok_or_else(|| CreateError {
            code,
            message: format!("the template references {{{{ {kind}:{} }}}} but the parameter store has no such parameter", reference.key()),
        })?;
        if reference.secret {
            values.secret.insert(reference.key(), value);
        } else {
            values.common.insert(reference.name, value);
        }
    }
    Ok(values)
}

/// Refuses unless `reader` may read every parameter-store reference of `template` (see
/// [`ParameterSource::authorize`]); with no source there is nothing to read.
pub async fn authorize(source: Option<&dyn ParameterSource>, template: &Template, reader: &Reader) -> Result<(), CreateError> {
    let Some(source) = source else { return Ok(()) };
    for reference in store_references(template) {
        source.authorize(&reference, reader).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_once_with_their_versions() {
        let template = oos_template::parse(
            "FormatVersion: OOS-2019-06-01\nParameters: {p: {Type: String, Default: '{{ oos:app/name }}'}}\nTasks:\n- {Name: t, Action: ACS::Sleep, Properties: {Duration: '{{ oos-secret:db/pw:2 }}', Other: '{{ oos-secret:db/pw }}{{ oos:app/name }}'}}\n",
        )
        .unwrap();
        let found = store_references(&template);
        assert_eq!(
            found,
            vec![
                StoreReference { name: "app/name".into(), version: None, secret: false },
                StoreReference { name: "db/pw".into(), version: None, secret: true },
                StoreReference { name: "db/pw".into(), version: Some(2), secret: true },
            ]
        );
        assert_eq!(found[2].key(), "db/pw:2");
    }
}
