//! Custom policies, attachments, and the effective policies of a principal.

use std::sync::Arc;

use serde::Serialize;

use super::{Iam, validate_name};
use crate::error::{EntityKind, IamError};
use crate::identity::{
    CustomPolicy, Group, IdentityStore, PolicyHolder, PolicyRef, Principal, Role, Table, User,
};
use crate::policy::{Policy, PolicyType};
use crate::system_policies::{SYSTEM_POLICIES, system_policy};

/// What a policy can be attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachTarget {
    User(String),
    Group(String),
    Role(String),
}

/// One line of `list_policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySummary {
    pub policy: PolicyRef,
    pub description: String,
    pub document: String,
}

impl<S: IdentityStore> Iam<S> {
    /// Creates a custom policy (name: 1-128 letters, digits, `-`; not a system policy's name) after
    /// validating its document.
    pub async fn create_policy(
        &self,
        name: &str,
        document: &str,
        description: &str,
    ) -> Result<CustomPolicy, IamError> {
        validate_name(
            EntityKind::Policy,
            name,
            128,
            "-",
            "1-128 letters, digits or '-'",
        )?;
        if system_policy(name).is_some() {
            return Err(IamError::AlreadyExists {
                kind: EntityKind::Policy,
                name: name.to_string(),
            });
        }
        Policy::parse(name, PolicyType::Custom, document)?;
        let policy = CustomPolicy {
            name: name.to_string(),
            description: description.to_string(),
            document: document.to_string(),
            created: self.now(),
        };
        self.insert_new(policy).await
    }

    /// Replaces a custom policy's document (validated first); takes effect for every principal it is attached to.
    pub async fn update_policy_document(&self, name: &str, document: &str) -> Result<(), IamError> {
        if system_policy(name).is_some() {
            return Err(IamError::SystemPolicyReadOnly(name.to_string()));
        }
        let mut record: CustomPolicy = self.fetch(name).await?;
        Policy::parse(name, PolicyType::Custom, document)?;
        record.document = document.to_string();
        self.save(record).await
    }

    /// The parsed policy `policy` refers to. Custom documents are read from the store every time (so an
    /// update takes effect at once) and parsed only when their text changed.
    pub async fn get_policy(&self, policy: &PolicyRef) -> Result<Arc<Policy>, IamError> {
        match policy.policy_type {
            PolicyType::System => system_policy(&policy.name).ok_or_else(|| IamError::NotFound {
                kind: EntityKind::Policy,
                name: policy.name.clone(),
            }),
            PolicyType::Custom => {
                let record: CustomPolicy = self.fetch(&policy.name).await?;
                let mut cache = self.parsed_custom.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((document, parsed)) = cache.get(&record.name)
                    && *document == record.document
                {
                    return Ok(Arc::clone(parsed));
                }
                let parsed = Arc::new(Policy::parse(
                    &record.name,
                    PolicyType::Custom,
                    &record.document,
                )?);
                cache.insert(record.name, (record.document, Arc::clone(&parsed)));
                Ok(parsed)
            }
        }
    }

    /// System policies first, then custom ones by name.
    pub async fn list_policies(&self) -> Result<Vec<PolicySummary>, IamError> {
        let system = SYSTEM_POLICIES
            .iter()
            .map(|(name, description, document)| PolicySummary {
                policy: PolicyRef::system(name),
                description: description.to_string(),
                document: document.to_string(),
            });
        let custom = Table::<CustomPolicy>::list(&self.store)
            .await?
            .into_iter()
            .map(|p| PolicySummary {
                policy: PolicyRef::custom(&p.name),
                description: p.description,
                document: p.document,
            });
        Ok(system.chain(custom).collect())
    }

    /// Deletes a custom policy that is attached to nothing.
    pub async fn delete_policy(&self, name: &str) -> Result<(), IamError> {
        if system_policy(name).is_some() {
            return Err(IamError::SystemPolicyReadOnly(name.to_string()));
        }
        self.fetch::<CustomPolicy>(name).await?;
        let reference = PolicyRef::custom(name);
        let mut holders = self.holders_of::<User>(&reference).await?;
        holders.extend(self.holders_of::<Group>(&reference).await?);
        holders.extend(self.holders_of::<Role>(&reference).await?);
        if !holders.is_empty() {
            let reason = format!("it is attached to {}", holders.join(", "));
            return Err(IamError::DeleteConflict {
                kind: EntityKind::Policy,
                name: name.to_string(),
                reason,
            });
        }
        self.remove::<CustomPolicy>(name).await
    }

    /// Attaches an existing policy to a user, group or role (no-op if already attached).
    pub async fn attach_policy(
        &self,
        target: &AttachTarget,
        policy: &PolicyRef,
    ) -> Result<(), IamError> {
        self.get_policy(policy).await?;
        self.edit_attachments(target, |policies| {
            if !policies.contains(policy) {
                policies.push(policy.clone());
            }
            true
        })
        .await
    }

    /// Detaches a policy; `EntityNotExist.Policy` if it was not attached there.
    pub async fn detach_policy(
        &self,
        target: &AttachTarget,
        policy: &PolicyRef,
    ) -> Result<(), IamError> {
        let found = self
            .edit_attachments(target, |policies| {
                let before = policies.len();
                policies.retain(|p| p != policy);
                policies.len() != before
            })
            .await;
        match found {
            Err(IamError::NotFound {
                kind: EntityKind::Policy,
                ..
            }) => Err(IamError::NotFound {
                kind: EntityKind::Policy,
                name: policy.name.clone(),
            }),
            other => other,
        }
    }

    /// Applies `edit` to the target's policy list and saves; `edit` returning false means "not attached".
    async fn edit_attachments(
        &self,
        target: &AttachTarget,
        edit: impl FnOnce(&mut Vec<PolicyRef>) -> bool,
    ) -> Result<(), IamError> {
        match target {
            AttachTarget::User(name) => self.edit_policies::<User>(name, edit).await,
            AttachTarget::Group(name) => self.edit_policies::<Group>(name, edit).await,
            AttachTarget::Role(name) => self.edit_policies::<Role>(name, edit).await,
        }
    }

    async fn edit_policies<T: PolicyHolder>(
        &self,
        name: &str,
        edit: impl FnOnce(&mut Vec<PolicyRef>) -> bool,
    ) -> Result<(), IamError>
    where
        S: Table<T>,
    {
        let mut record: T = self.fetch(name).await?;
        if !edit(record.policies_mut()) {
            let kind = EntityKind::Policy;
            return Err(IamError::NotFound {
                kind,
                name: String::new(),
            });
        }
        self.save(record).await
    }

    /// `"<kind> <name>"` of every record of type `T` that `reference` is attached to.
    async fn holders_of<T: PolicyHolder>(
        &self,
        reference: &PolicyRef,
    ) -> Result<Vec<String>, IamError>
    where
        S: Table<T>,
    {
        let records = Table::<T>::list(&self.store).await?;
        let holders = records.iter().filter(|r| r.policies().contains(reference));
        Ok(holders
            .map(|r| format!("{} {}", T::KIND.to_string().to_lowercase(), r.key()))
            .collect())
    }

    /// The policies that govern `principal`: a user's own plus its groups'; a role's own; none for root
    /// (root is never evaluated against policies). Each policy appears once.
    pub async fn effective_policies(
        &self,
        principal: &Principal,
    ) -> Result<Vec<Arc<Policy>>, IamError> {
        let mut references: Vec<PolicyRef> = Vec::new();
        match principal {
            Principal::Root => {}
            Principal::User(name) => {
                let user: User = self.fetch(name).await?;
                references.extend(user.policies);
                for group in &user.groups {
                    let group: Group = self.fetch(group).await?;
                    references.extend(group.policies);
                }
            }
            Principal::Role(name) => {
                let role: Role = self.fetch(name).await?;
                references.extend(role.policies);
            }
        }
        let mut unique: Vec<PolicyRef> = Vec::new();
        for reference in references {
            if !unique.contains(&reference) {
                unique.push(reference);
            }
        }
        let mut policies = Vec::with_capacity(unique.len());
        for reference in &unique {
            policies.push(self.get_policy(reference).await?);
        }
        Ok(policies)
    }
}
