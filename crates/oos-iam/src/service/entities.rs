//! Users, groups (membership) and roles: create, read, list, delete with RAM's referential rules.

use super::{Iam, MAX_GROUPS_PER_USER, OOS_SERVICE_PRINCIPAL, validate_name};
use crate::error::{EntityKind, IamError};
use crate::identity::{AccessKeyRecord, Group, IdentityStore, KeyOwner, LoginProfile, Role, Table, User};
use crate::policy::TrustPolicy;

/// The trust policy of a role that OOS executions may assume.
pub fn oos_trust_policy() -> String {
    serde_json::json!({
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": [OOS_SERVICE_PRINCIPAL]}}]
    })
    .to_string()
}

fn conflict(kind: EntityKind, name: &str, reason: String) -> IamError {
    IamError::DeleteConflict {
        kind,
        name: name.to_string(),
        reason,
    }
}

impl<S: IdentityStore> Iam<S> {
    /// Creates a user (name: 1-64 letters, digits, `.`, `_`, `-`).
    pub async fn create_user(&self, name: &str, display_name: &str) -> Result<User, IamError> {
        validate_name(
            EntityKind::User,
            name,
            64,
            "._-",
            "1-64 letters, digits, '.', '_' or '-'",
        )?;
        let user = User {
            name: name.to_string(),
            display_name: display_name.to_string(),
            groups: Vec::new(),
            policies: Vec::new(),
            created: self.now(),
        };
        self.insert_new(user).await
    }

    pub async fn get_user(&self, name: &str) -> Result<User, IamError> {
        self.fetch(name).await
    }

    pub async fn list_users(&self) -> Result<Vec<User>, IamError> {
        Ok(Table::<User>::list(&self.store).await?)
    }

    /// Deletes a user that has no AccessKeys, no attached policies and no group memberships.
    pub async fn delete_user(&self, name: &str) -> Result<(), IamError> {
        let user: User = self.fetch(name).await?;
        let owner = KeyOwner::User(name.to_string());
        let keys = Table::<AccessKeyRecord>::list(&self.store)
            .await?
            .into_iter()
            .filter(|k| k.owner == owner)
            .count();
        if keys > 0 {
            return Err(conflict(
                EntityKind::User,
                name,
                format!("it still has {keys} AccessKey(s)"),
            ));
        }
        if !user.policies.is_empty() {
            return Err(conflict(
                EntityKind::User,
                name,
                "it still has attached policies".to_string(),
            ));
        }
        if !user.groups.is_empty() {
            return Err(conflict(
                EntityKind::User,
                name,
                format!("it is still a member of {}", user.groups.join(", ")),
            ));
        }
        if Table::<LoginProfile>::get(&self.store, name).await?.is_some() {
            return Err(conflict(EntityKind::User, name, "it still has a login profile".to_string()));
        }
        if self.user_mfa_device(name).await?.is_some() {
            return Err(conflict(EntityKind::User, name, "it still has an MFA device bound".to_string()));
        }
        self.remove::<User>(name).await
    }

    /// Creates a group (name: 1-64 letters, digits, `-`).
    pub async fn create_group(&self, name: &str, comments: &str) -> Result<Group, IamError> {
        validate_name(
            EntityKind::Group,
            name,
            64,
            "-",
            "1-64 letters, digits or '-'",
        )?;
        self.insert_new(Group {
            name: name.to_string(),
            comments: comments.to_string(),
            policies: Vec::new(),
            created: self.now(),
        })
        .await
    }

    pub async fn get_group(&self, name: &str) -> Result<Group, IamError> {
        self.fetch(name).await
    }

    pub async fn list_groups(&self) -> Result<Vec<Group>, IamError> {
        Ok(Table::<Group>::list(&self.store).await?)
    }

    /// The users that belong to `group`.
    pub async fn list_group_members(&self, group: &str) -> Result<Vec<User>, IamError> {
        self.fetch::<Group>(group).await?;
        Ok(self
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.groups.iter().any(|g| g == group))
            .collect())
    }

    /// Deletes a group that has no members and no attached policies.
    pub async fn delete_group(&self, name: &str) -> Result<(), IamError> {
        let group: Group = self.fetch(name).await?;
        let members = self.list_group_members(name).await?;
        if !members.is_empty() {
            return Err(conflict(
                EntityKind::Group,
                name,
                format!("it still has {} member(s)", members.len()),
            ));
        }
        if !group.policies.is_empty() {
            return Err(conflict(
                EntityKind::Group,
                name,
                "it still has attached policies".to_string(),
            ));
        }
        self.remove::<Group>(name).await
    }

    /// Adds `user` to `group` (no-op if already a member).
    pub async fn add_user_to_group(&self, user: &str, group: &str) -> Result<(), IamError> {
        self.fetch::<Group>(group).await?;
        let mut record: User = self.fetch(user).await?;
        if record.groups.iter().any(|g| g == group) {
            return Ok(());
        }
        if record.groups.len() >= MAX_GROUPS_PER_USER {
            return Err(IamError::LimitExceeded {
                what: "GroupsPerUser",
                limit: MAX_GROUPS_PER_USER,
            });
        }
        record.groups.push(group.to_string());
        self.save(record).await
    }

    /// Removes `user` from `group` (no-op if not a member).
    pub async fn remove_user_from_group(&self, user: &str, group: &str) -> Result<(), IamError> {
        let mut record: User = self.fetch(user).await?;
        record.groups.retain(|g| g != group);
        self.save(record).await
    }

    /// Creates a role (name: 1-64 letters, digits, `.`, `-`) with a validated trust policy.
    pub async fn create_role(
        &self,
        name: &str,
        trust_policy: &str,
        description: &str,
    ) -> Result<Role, IamError> {
        validate_name(
            EntityKind::Role,
            name,
            64,
            ".-",
            "1-64 letters, digits, '.' or '-'",
        )?;
        TrustPolicy::parse(trust_policy)?;
        let role = Role {
            name: name.to_string(),
            description: description.to_string(),
            trust_policy: trust_policy.to_string(),
            policies: Vec::new(),
            created: self.now(),
        };
        self.insert_new(role).await
    }

    pub async fn get_role(&self, name: &str) -> Result<Role, IamError> {
        self.fetch(name).await
    }

    pub async fn list_roles(&self) -> Result<Vec<Role>, IamError> {
        Ok(Table::<Role>::list(&self.store).await?)
    }

    /// Deletes a role that has no attached policies.
    pub async fn delete_role(&self, name: &str) -> Result<(), IamError> {
        let role: Role = self.fetch(name).await?;
        if !role.policies.is_empty() {
            return Err(conflict(
                EntityKind::Role,
                name,
                "it still has attached policies".to_string(),
            ));
        }
        self.remove::<Role>(name).await
    }
}
