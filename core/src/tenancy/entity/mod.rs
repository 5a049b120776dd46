//! sea-orm entities of this module's tables: data only.

pub mod roles;
pub mod tenants;
pub mod user_permissions;
pub mod users;
