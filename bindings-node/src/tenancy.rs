//! Tenants, users and permissions: `engine.tenants` (the host's cross-tenant
//! administration) and `session.tenant`, `session.users`, `session.permissions`.

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::error::{convert, convert_all, input, promise, uuid};

/// A user's role: owner ⊃ admin ⊃ recruiter ⊃ viewer.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Recruiter,
    Viewer,
}

/// A permission a role holds, or a user is granted or denied one by one.
#[napi(string_enum = "snake_case")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    JdRead,
    JdWrite,
    BatchRead,
    BatchWrite,
    CandidateRead,
    /// Contact details of candidates (viewers never have it by default).
    CandidatePiiRead,
    CandidateWrite,
    ReportRead,
    ReportWrite,
    ProfileRead,
    ProfileManage,
    UserRead,
    UserManage,
    AuditRead,
    RetentionManage,
    TenantManage,
    KeyManage,
}

/// Whether an override grants or denies its permission.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Grant,
    Deny,
}

/// A tenant. Timestamps are ISO 8601 strings (UTC).
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub name: String,
    pub slug: String,
    #[napi(ts_type = "Record<string, unknown>")]
    pub settings: serde_json::Value,
    pub active: bool,
    /// Days soft-deleted business rows are kept before garbage collection.
    pub retention_days: i32,
    pub audit_retention_days: i32,
    pub created_at: String,
    pub updated_at: String,
}

/// A new tenant.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct NewTenant {
    pub name: String,
    /// URL-safe and unique across tenants: lowercase letters, digits and dashes.
    pub slug: String,
    /// Free-form tenant settings (e.g. which fields count as personal data).
    #[napi(ts_type = "Record<string, unknown>")]
    pub settings: Option<serde_json::Value>,
    pub retention_days: Option<i32>,
}

/// Changes to a tenant; absent fields stay as they are.
#[napi(object)]
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TenantUpdate {
    pub name: Option<String>,
    #[napi(ts_type = "Record<string, unknown>")]
    pub settings: Option<serde_json::Value>,
    pub retention_days: Option<i32>,
    pub audit_retention_days: Option<i32>,
}

/// A user of a tenant.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub tenant_id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A new user of the session's tenant.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub role: Role,
    pub display_name: Option<String>,
}

/// Changes to a user; absent fields stay as they are.
#[napi(object)]
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UserUpdate {
    pub role: Option<Role>,
    pub display_name: Option<String>,
}

/// One per-user override of the role matrix.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct PermissionOverride {
    pub user_id: String,
    pub permission: Permission,
    pub effect: Effect,
}

/// Cross-tenant administration, for the host (never reachable from a session).
#[napi]
pub struct TenantAdmin {
    pub(crate) engine: resumeflow::Engine,
}

#[napi]
impl TenantAdmin {
    /// Creates a tenant.
    #[napi]
    pub fn create(&self, env: &Env, tenant: NewTenant) -> napi::Result<AsyncBlock<Tenant>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let t = engine.tenants().create(input(tenant)?).await?;
            convert(t)
        })
    }

    /// Adds an owner to a tenant: how the first user of a new tenant is made.
    #[napi]
    pub fn add_owner(
        &self,
        env: &Env,
        tenant_id: String,
        email: String,
        display_name: Option<String>,
    ) -> napi::Result<AsyncBlock<User>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let tenant = uuid("tenantId", &tenant_id)?;
            let u = engine
                .tenants()
                .add_owner(tenant, &email, display_name)
                .await?;
            convert(u)
        })
    }

    #[napi]
    pub fn get(&self, env: &Env, tenant_id: String) -> napi::Result<AsyncBlock<Tenant>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let t = engine.tenants().get(uuid("tenantId", &tenant_id)?).await?;
            convert(t)
        })
    }

    /// The tenant with this slug, or `null`.
    #[napi]
    pub fn find_by_slug(
        &self,
        env: &Env,
        slug: String,
    ) -> napi::Result<AsyncBlock<Option<Tenant>>> {
        let engine = self.engine.clone();
        promise(env, async move {
            match engine.tenants().find_by_slug(&slug).await? {
                Some(t) => Ok(Some(convert(t)?)),
                None => Ok(None),
            }
        })
    }

    /// A user of a tenant by email, or `null` (for hosts that map their own logins).
    #[napi]
    pub fn find_user(
        &self,
        env: &Env,
        tenant_id: String,
        email: String,
    ) -> napi::Result<AsyncBlock<Option<User>>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let tenant = uuid("tenantId", &tenant_id)?;
            match engine.tenants().find_user(tenant, &email).await? {
                Some(u) => Ok(Some(convert(u)?)),
                None => Ok(None),
            }
        })
    }

    /// Every tenant; deactivated ones too when `includeInactive`.
    #[napi]
    pub fn list(
        &self,
        env: &Env,
        include_inactive: Option<bool>,
    ) -> napi::Result<AsyncBlock<Vec<Tenant>>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let ts = engine
                .tenants()
                .list(include_inactive.unwrap_or(false))
                .await?;
            convert_all(ts)
        })
    }

    #[napi]
    pub fn update(
        &self,
        env: &Env,
        tenant_id: String,
        update: TenantUpdate,
    ) -> napi::Result<AsyncBlock<Tenant>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let tenant = uuid("tenantId", &tenant_id)?;
            let t = engine.tenants().update(tenant, input(update)?).await?;
            convert(t)
        })
    }

    /// Deactivates a tenant: its sessions can no longer be opened.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn deactivate(&self, env: &Env, tenant_id: String) -> napi::Result<AsyncBlock<()>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let tenant = uuid("tenantId", &tenant_id)?;
            Ok(engine.tenants().deactivate(tenant).await?)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn reactivate(&self, env: &Env, tenant_id: String) -> napi::Result<AsyncBlock<()>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let tenant = uuid("tenantId", &tenant_id)?;
            Ok(engine.tenants().reactivate(tenant).await?)
        })
    }
}

/// The session's own tenant.
#[napi]
pub struct TenantApi {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl TenantApi {
    #[napi]
    pub fn get(&self, env: &Env) -> napi::Result<AsyncBlock<Tenant>> {
        let s = self.session.clone();
        promise(env, async move { convert(s.tenant().get().await?) })
    }

    /// Needs `tenant_manage`. Audited.
    #[napi]
    pub fn update(&self, env: &Env, update: TenantUpdate) -> napi::Result<AsyncBlock<Tenant>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.tenant().update(input(update)?).await?)
        })
    }
}

/// The users of the session's tenant.
#[napi]
pub struct Users {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Users {
    #[napi]
    pub fn list(&self, env: &Env) -> napi::Result<AsyncBlock<Vec<User>>> {
        let s = self.session.clone();
        promise(env, async move { convert_all(s.users().list().await?) })
    }

    #[napi]
    pub fn get(&self, env: &Env, user_id: String) -> napi::Result<AsyncBlock<User>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.users().get(uuid("userId", &user_id)?).await?)
        })
    }

    /// The user with this email, or `null`.
    #[napi]
    pub fn find_by_email(
        &self,
        env: &Env,
        email: String,
    ) -> napi::Result<AsyncBlock<Option<User>>> {
        let s = self.session.clone();
        promise(env, async move {
            match s.users().find_by_email(&email).await? {
                Some(u) => Ok(Some(convert(u)?)),
                None => Ok(None),
            }
        })
    }

    /// Needs `user_manage`; nobody creates a user of a higher role than their own.
    #[napi]
    pub fn create(&self, env: &Env, user: NewUser) -> napi::Result<AsyncBlock<User>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.users().create(input(user)?).await?)
        })
    }

    #[napi]
    pub fn update(
        &self,
        env: &Env,
        user_id: String,
        update: UserUpdate,
    ) -> napi::Result<AsyncBlock<User>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("userId", &user_id)?;
            convert(s.users().update(id, input(update)?).await?)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn deactivate(&self, env: &Env, user_id: String) -> napi::Result<AsyncBlock<()>> {
        let s = self.session.clone();
        promise(env, async move {
            Ok(s.users().deactivate(uuid("userId", &user_id)?).await?)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn reactivate(&self, env: &Env, user_id: String) -> napi::Result<AsyncBlock<()>> {
        let s = self.session.clone();
        promise(env, async move {
            Ok(s.users().reactivate(uuid("userId", &user_id)?).await?)
        })
    }

    /// Soft-deletes a user.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete(&self, env: &Env, user_id: String) -> napi::Result<AsyncBlock<()>> {
        let s = self.session.clone();
        promise(env, async move {
            Ok(s.users().delete(uuid("userId", &user_id)?).await?)
        })
    }
}

/// Per-user grants and denies on top of the role matrix (`user_manage`).
#[napi]
pub struct Permissions {
    pub(crate) session: resumeflow::Session,
}

fn permission(p: Permission) -> crate::error::BindResult<resumeflow::Permission> {
    input(p)
}

#[napi]
impl Permissions {
    /// The user's overrides.
    #[napi]
    pub fn list(
        &self,
        env: &Env,
        user_id: String,
    ) -> napi::Result<AsyncBlock<Vec<PermissionOverride>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.permissions().list(uuid("userId", &user_id)?).await?)
        })
    }

    /// What the user may do: the role's permissions with the overrides applied.
    #[napi]
    pub fn effective(
        &self,
        env: &Env,
        user_id: String,
    ) -> napi::Result<AsyncBlock<Vec<Permission>>> {
        let s = self.session.clone();
        promise(env, async move {
            let set = s.permissions().effective(uuid("userId", &user_id)?).await?;
            convert_all(set.into_iter().collect())
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn grant(
        &self,
        env: &Env,
        user_id: String,
        permission: Permission,
    ) -> napi::Result<AsyncBlock<()>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("userId", &user_id)?;
            Ok(s.permissions()
                .grant(id, self::permission(permission)?)
                .await?)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn deny(
        &self,
        env: &Env,
        user_id: String,
        permission: Permission,
    ) -> napi::Result<AsyncBlock<()>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("userId", &user_id)?;
            Ok(s.permissions()
                .deny(id, self::permission(permission)?)
                .await?)
        })
    }

    /// Removes an override; `true` if there was one.
    #[napi]
    pub fn revoke(
        &self,
        env: &Env,
        user_id: String,
        permission: Permission,
    ) -> napi::Result<AsyncBlock<bool>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("userId", &user_id)?;
            Ok(s.permissions()
                .revoke(id, self::permission(permission)?)
                .await?)
        })
    }
}
