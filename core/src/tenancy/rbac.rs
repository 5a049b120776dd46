//! Roles and permissions: owner ⊃ admin ⊃ recruiter ⊃ viewer, plus per-user grants and
//! denies. Pure logic: the matrix below is the documented one (docs/security.md), and the
//! tests print it from here.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Recruiter,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Recruiter, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Recruiter => "recruiter",
            Role::Viewer => "viewer",
        }
    }

    /// The permissions a role holds before per-user overrides.
    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission::*;
        let viewer = [JdRead, BatchRead, CandidateRead, ReportRead, ProfileRead];
        let recruiter = [
            JdWrite,
            BatchWrite,
            CandidatePiiRead,
            CandidateWrite,
            ReportWrite,
        ];
        let admin = [
            UserRead,
            UserManage,
            ProfileManage,
            AuditRead,
            RetentionManage,
        ];
        let owner = [TenantManage, KeyManage];
        let mut set: BTreeSet<Permission> = viewer.into_iter().collect();
        if self >= Role::Recruiter {
            set.extend(recruiter);
        }
        if self >= Role::Admin {
            set.extend(admin);
        }
        if self >= Role::Owner {
            set.extend(owner);
        }
        set
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown role {s:?} (owner, admin, recruiter, viewer)"
                ))
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read job descriptions and their versions.
    JdRead,
    /// Create, edit and restore job descriptions.
    JdWrite,
    /// See batches, their files and progress.
    BatchRead,
    /// Create batches, add files, submit, cancel, replay.
    BatchWrite,
    /// See candidates, scores and results without contact details.
    CandidateRead,
    /// See candidates' contact details (name, e-mail, phone, links).
    CandidatePiiRead,
    /// Edit or delete candidates, merge employers.
    CandidateWrite,
    /// Read and download reports.
    ReportRead,
    /// Generate reports.
    ReportWrite,
    /// Read weightage profiles.
    ProfileRead,
    /// Create and edit weightage profiles.
    ProfileManage,
    /// List users and their permissions.
    UserRead,
    /// Invite, edit, deactivate users; grant and deny permissions.
    UserManage,
    /// Read the audit and error logs.
    AuditRead,
    /// Soft-delete, erase and set retention.
    RetentionManage,
    /// Edit the tenant's name and settings.
    TenantManage,
    /// Rotate or destroy the tenant's keys.
    KeyManage,
}

impl Permission {
    pub const ALL: [Permission; 17] = [
        Permission::JdRead,
        Permission::JdWrite,
        Permission::BatchRead,
        Permission::BatchWrite,
        Permission::CandidateRead,
        Permission::CandidatePiiRead,
        Permission::CandidateWrite,
        Permission::ReportRead,
        Permission::ReportWrite,
        Permission::ProfileRead,
        Permission::ProfileManage,
        Permission::UserRead,
        Permission::UserManage,
        Permission::AuditRead,
        Permission::RetentionManage,
        Permission::TenantManage,
        Permission::KeyManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::JdRead => "jd_read",
            Permission::JdWrite => "jd_write",
            Permission::BatchRead => "batch_read",
            Permission::BatchWrite => "batch_write",
            Permission::CandidateRead => "candidate_read",
            Permission::CandidatePiiRead => "candidate_pii_read",
            Permission::CandidateWrite => "candidate_write",
            Permission::ReportRead => "report_read",
            Permission::ReportWrite => "report_write",
            Permission::ProfileRead => "profile_read",
            Permission::ProfileManage => "profile_manage",
            Permission::UserRead => "user_read",
            Permission::UserManage => "user_manage",
            Permission::AuditRead => "audit_read",
            Permission::RetentionManage => "retention_manage",
            Permission::TenantManage => "tenant_manage",
            Permission::KeyManage => "key_manage",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("unknown permission {s:?}")))
    }
}

/// A per-user override of the role's matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Grant,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Grant => "grant",
            Effect::Deny => "deny",
        }
    }
}

impl FromStr for Effect {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "grant" => Ok(Effect::Grant),
            "deny" => Ok(Effect::Deny),
            _ => Err(Error::invalid(format!(
                "unknown effect {s:?} (grant, deny)"
            ))),
        }
    }
}

/// The role's permissions, plus grants, minus denies. A deny always wins over the role
/// and over a grant of the same permission (there is only one override per permission).
pub fn effective(role: Role, overrides: &[(Permission, Effect)]) -> BTreeSet<Permission> {
    let mut set = role.permissions();
    for (p, e) in overrides {
        match e {
            Effect::Grant => {
                set.insert(*p);
            }
            Effect::Deny => {
                set.remove(p);
            }
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        for pair in Role::ALL.windows(2) {
            let (higher, lower) = (pair[0].permissions(), pair[1].permissions());
            assert!(lower.is_subset(&higher), "{} ⊄ {}", pair[1], pair[0]);
            assert!(lower.len() < higher.len());
        }
    }

    #[test]
    fn viewers_never_hold_pii_by_role() {
        assert!(
            !Role::Viewer
                .permissions()
                .contains(&Permission::CandidatePiiRead)
        );
        assert!(
            Role::Recruiter
                .permissions()
                .contains(&Permission::CandidatePiiRead)
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn overrides_apply() {
        let e = effective(
            Role::Viewer,
            &[
                (Permission::CandidatePiiRead, Effect::Grant),
                (Permission::ReportRead, Effect::Deny),
            ],
        );
        assert!(e.contains(&Permission::CandidatePiiRead));
        assert!(!e.contains(&Permission::ReportRead));
        assert!(e.contains(&Permission::JdRead));
    }
}
