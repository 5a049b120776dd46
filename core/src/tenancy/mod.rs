//! Tenants, users and their permissions.
//!
//! Tenant administration (create, list, deactivate) is the host's: it runs in system scope
//! through [`crate::Engine::tenants`]. Everything a user does inside a tenant goes through a
//! [`crate::Session`], which checks the permission, filters by tenant and sets the
//! row-level-security scope.

pub mod entity;
mod rbac;

pub use rbac::{Effect, Permission, Role, effective};

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{Aad, KeyCache, normalize_email};
use crate::db::{new_id, now};
use crate::error::{Error, Result};
use entity::{tenants, user_permissions, users};

/// A tenant: one customer organisation, whose rows nobody else can read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub tenant_id: Uuid,
    pub name: String,
    pub slug: String,
    pub settings: serde_json::Value,
    pub active: bool,
    pub retention_days: i32,
    pub audit_retention_days: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<tenants::Model> for Tenant {
    fn from(m: tenants::Model) -> Self {
        Tenant {
            tenant_id: m.tenant_id,
            name: m.name,
            slug: m.slug,
            settings: m.settings,
            active: m.active,
            retention_days: m.retention_days,
            audit_retention_days: m.audit_retention_days,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NewTenant {
    pub name: String,
    /// URL-safe, unique across tenants: lowercase letters, digits and dashes.
    pub slug: String,
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
    #[serde(default)]
    pub retention_days: Option<i32>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TenantUpdate {
    pub name: Option<String>,
    pub settings: Option<serde_json::Value>,
    pub retention_days: Option<i32>,
    pub audit_retention_days: Option<i32>,
}

/// A user of a tenant. `email` is decrypted for callers allowed to read users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserUpdate {
    pub role: Option<Role>,
    pub display_name: Option<String>,
}

/// One per-user override of the role matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionOverride {
    pub user_id: Uuid,
    pub permission: Permission,
    pub effect: Effect,
}

pub(crate) fn validate_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "slug {slug:?} must be 1-63 lowercase letters, digits or inner dashes"
        )))
    }
}

pub(crate) fn validate_email(email: &str) -> Result<String> {
    let e = normalize_email(email);
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(Error::invalid(format!(
            "{email:?} is not an e-mail address"
        )))
    }
}

fn validate_retention(days: Option<i32>) -> Result<()> {
    match days {
        Some(d) if d <= 0 => Err(Error::invalid("retention must be at least one day")),
        _ => Ok(()),
    }
}

// ----- tenants (system scope) -----

pub(crate) async fn create_tenant<C: ConnectionTrait>(conn: &C, new: NewTenant) -> Result<Tenant> {
    validate_slug(&new.slug)?;
    validate_retention(new.retention_days)?;
    if new.name.trim().is_empty() {
        return Err(Error::invalid("tenant name must not be empty"));
    }
    if let Some(s) = &new.settings
        && !s.is_object()
    {
        return Err(Error::invalid("tenant settings must be a JSON object"));
    }
    let t = now();
    let m = tenants::ActiveModel {
        tenant_id: Set(new_id()),
        name: Set(new.name.trim().to_owned()),
        slug: Set(new.slug),
        settings: Set(new.settings.unwrap_or_else(|| serde_json::json!({}))),
        active: Set(true),
        retention_days: Set(new.retention_days.unwrap_or(365)),
        audit_retention_days: Set(2555),
        created_at: Set(t),
        updated_at: Set(t),
        is_deleted: Set(false),
        deleted_at: Set(None),
    }
    .insert(conn)
    .await
    .map_err(|e| match Error::from(e) {
        Error::Conflict(_) => Error::Conflict("a tenant with this slug already exists".into()),
        other => other,
    })?;
    Ok(m.into())
}

pub(crate) async fn get_tenant<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Tenant> {
    tenants::Entity::find_by_id(id)
        .filter(tenants::Column::IsDeleted.eq(false))
        .one(conn)
        .await?
        .map(Tenant::from)
        .ok_or_else(|| Error::not_found("tenant", id))
}

pub(crate) async fn list_tenants<C: ConnectionTrait>(
    conn: &C,
    include_inactive: bool,
) -> Result<Vec<Tenant>> {
    let mut q = tenants::Entity::find().filter(tenants::Column::IsDeleted.eq(false));
    if !include_inactive {
        q = q.filter(tenants::Column::Active.eq(true));
    }
    Ok(q.order_by_asc(tenants::Column::Slug)
        .all(conn)
        .await?
        .into_iter()
        .map(Tenant::from)
        .collect())
}

pub(crate) async fn update_tenant<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    u: TenantUpdate,
) -> Result<Tenant> {
    validate_retention(u.retention_days)?;
    validate_retention(u.audit_retention_days)?;
    let mut q = tenants::Entity::update_many()
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now()))
        .filter(tenants::Column::TenantId.eq(id))
        .filter(tenants::Column::IsDeleted.eq(false));
    if let Some(name) = u.name {
        if name.trim().is_empty() {
            return Err(Error::invalid("tenant name must not be empty"));
        }
        q = q.col_expr(tenants::Column::Name, Expr::value(name.trim().to_owned()));
    }
    if let Some(settings) = u.settings {
        if !settings.is_object() {
            return Err(Error::invalid("tenant settings must be a JSON object"));
        }
        q = q.col_expr(tenants::Column::Settings, Expr::value(settings));
    }
    if let Some(d) = u.retention_days {
        q = q.col_expr(tenants::Column::RetentionDays, Expr::value(d));
    }
    if let Some(d) = u.audit_retention_days {
        q = q.col_expr(tenants::Column::AuditRetentionDays, Expr::value(d));
    }
    if q.exec(conn).await?.rows_affected == 0 {
        return Err(Error::not_found("tenant", id));
    }
    get_tenant(conn, id).await
}

pub(crate) async fn set_tenant_active<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    active: bool,
) -> Result<()> {
    let r = tenants::Entity::update_many()
        .col_expr(tenants::Column::Active, Expr::value(active))
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now()))
        .filter(tenants::Column::TenantId.eq(id))
        .filter(tenants::Column::IsDeleted.eq(false))
        .exec(conn)
        .await?;
    if r.rows_affected == 0 {
        return Err(Error::not_found("tenant", id));
    }
    Ok(())
}

// ----- users (tenant scope) -----

pub(crate) async fn user_model<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    id: Uuid,
) -> Result<users::Model> {
    users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant))
        .filter(users::Column::UserId.eq(id))
        .filter(users::Column::IsDeleted.eq(false))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("user", id))
}

fn email_aad(tenant: Uuid, user: Uuid) -> Aad<'static> {
    Aad {
        tenant,
        table: "users",
        column: "email",
        row: user,
    }
}

pub(crate) async fn to_user(keys: &KeyCache, m: users::Model) -> Result<User> {
    let email = keys
        .open(email_aad(m.tenant_id, m.user_id), &m.email_ciphertext)
        .await?;
    Ok(User {
        user_id: m.user_id,
        tenant_id: m.tenant_id,
        email: String::from_utf8(email).map_err(|_| Error::Crypto("e-mail is not UTF-8".into()))?,
        display_name: m.display_name,
        role: m.role.parse()?,
        active: m.active,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) async fn create_user<C: ConnectionTrait>(
    conn: &C,
    keys: &KeyCache,
    tenant: Uuid,
    new: NewUser,
) -> Result<User> {
    let email = validate_email(&new.email)?;
    let id = new_id();
    let t = now();
    let ciphertext = keys.seal(email_aad(tenant, id), email.as_bytes()).await?;
    let index = keys.blind_index(tenant, "email", &email).await?;
    let m = users::ActiveModel {
        user_id: Set(id),
        tenant_id: Set(tenant),
        email_ciphertext: Set(ciphertext),
        email_index: Set(index),
        display_name: Set(new.display_name),
        role: Set(new.role.as_str().to_owned()),
        active: Set(true),
        created_at: Set(t),
        updated_at: Set(t),
        is_deleted: Set(false),
        deleted_at: Set(None),
    }
    .insert(conn)
    .await
    .map_err(|e| match Error::from(e) {
        Error::Conflict(_) => {
            Error::Conflict("a user with this e-mail already exists in the tenant".into())
        }
        other => other,
    })?;
    to_user(keys, m).await
}

pub(crate) async fn find_user_by_email<C: ConnectionTrait>(
    conn: &C,
    keys: &KeyCache,
    tenant: Uuid,
    email: &str,
) -> Result<Option<users::Model>> {
    let index = keys
        .blind_index(tenant, "email", &normalize_email(email))
        .await?;
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant))
        .filter(users::Column::EmailIndex.eq(index))
        .filter(users::Column::IsDeleted.eq(false))
        .one(conn)
        .await?)
}

pub(crate) async fn list_users<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
) -> Result<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant))
        .filter(users::Column::IsDeleted.eq(false))
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::UserId)
        .all(conn)
        .await?)
}

/// Applies `set` to the user `id` of `tenant`; zero rows means not found (or another
/// tenant's, which is the same thing to the caller).
pub(crate) async fn update_user_cols<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    id: Uuid,
    set: Vec<(users::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<()> {
    let mut q = users::Entity::update_many()
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::TenantId.eq(tenant))
        .filter(users::Column::UserId.eq(id))
        .filter(users::Column::IsDeleted.eq(false));
    for (c, v) in set {
        q = q.col_expr(c, v);
    }
    if q.exec(conn).await?.rows_affected == 0 {
        return Err(Error::not_found("user", id));
    }
    Ok(())
}

pub(crate) async fn overrides_of<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    user: Uuid,
) -> Result<Vec<PermissionOverride>> {
    user_permissions::Entity::find()
        .filter(user_permissions::Column::TenantId.eq(tenant))
        .filter(user_permissions::Column::UserId.eq(user))
        .order_by_asc(user_permissions::Column::Permission)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            Ok(PermissionOverride {
                user_id: m.user_id,
                permission: m.permission.parse()?,
                effect: m.effect.parse()?,
            })
        })
        .collect()
}

pub(crate) async fn set_override<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    user: Uuid,
    permission: Permission,
    effect: Effect,
) -> Result<()> {
    // Delete-then-insert keeps one override per permission on both backends.
    user_permissions::Entity::delete_many()
        .filter(user_permissions::Column::TenantId.eq(tenant))
        .filter(user_permissions::Column::UserId.eq(user))
        .filter(user_permissions::Column::Permission.eq(permission.as_str()))
        .exec(conn)
        .await?;
    let t = now();
    user_permissions::ActiveModel {
        user_permission_id: Set(new_id()),
        tenant_id: Set(tenant),
        user_id: Set(user),
        permission: Set(permission.as_str().to_owned()),
        effect: Set(effect.as_str().to_owned()),
        created_at: Set(t),
        updated_at: Set(t),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub(crate) async fn remove_override<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    user: Uuid,
    permission: Permission,
) -> Result<bool> {
    let r = user_permissions::Entity::delete_many()
        .filter(user_permissions::Column::TenantId.eq(tenant))
        .filter(user_permissions::Column::UserId.eq(user))
        .filter(user_permissions::Column::Permission.eq(permission.as_str()))
        .exec(conn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// The effective permissions of a user, from their role and overrides.
pub(crate) fn effective_of(role: Role, overrides: &[PermissionOverride]) -> BTreeSet<Permission> {
    let pairs: Vec<(Permission, Effect)> =
        overrides.iter().map(|o| (o.permission, o.effect)).collect();
    effective(role, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_emails_are_checked() {
        assert!(validate_slug("acme-corp-2").is_ok());
        for bad in ["", "Acme", "-acme", "acme-", "ac me", "acmé"] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "ada",
            "ada@",
            "@x.com",
            "ada@localhost",
            "a da@x.com",
            "ada@x.",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }
}
