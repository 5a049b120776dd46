//! A small table description rendered to PostgreSQL or SQLite DDL.
//!
//! Why not sea-query's builder: the schema needs things the builder cannot say on both
//! backends (partitioned tables whose primary key contains the partition key, table-level
//! CHECK constraints written once, composite tenant foreign keys), and one description that
//! renders both dialects keeps the two schemas from drifting apart. Every statement is
//! idempotent (`IF NOT EXISTS`), so a half-applied migration can simply be run again.
//!
//! SQLite type names follow sea-query's conventions (`uuid_text`, `jsonb_text`,
//! `timestamp_with_timezone_text`) so that sqlx decodes them as sea-orm expects.

use sea_orm_migration::sea_orm::DbBackend;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Uuid,
    Text,
    Bool,
    Int,
    BigInt,
    Float,
    Json,
    Ts,
    Bytes,
}

impl Ty {
    fn sql(self, backend: DbBackend) -> &'static str {
        let pg = backend == DbBackend::Postgres;
        match self {
            Ty::Uuid => {
                if pg {
                    "uuid"
                } else {
                    "uuid_text"
                }
            }
            Ty::Text => "text",
            Ty::Bool => "boolean",
            Ty::Int => "integer",
            Ty::BigInt => "bigint",
            Ty::Float => {
                if pg {
                    "double precision"
                } else {
                    "double"
                }
            }
            Ty::Json => {
                if pg {
                    "jsonb"
                } else {
                    "jsonb_text"
                }
            }
            Ty::Ts => {
                if pg {
                    "timestamptz"
                } else {
                    "timestamp_with_timezone_text"
                }
            }
            Ty::Bytes => {
                if pg {
                    "bytea"
                } else {
                    "blob"
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: Ty,
    pub nullable: bool,
    pub default: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct ForeignKey {
    pub columns: Vec<&'static str>,
    pub table: &'static str,
    pub ref_columns: Vec<&'static str>,
    pub on_delete: &'static str,
}

/// One table. `tenant` tables get row-level security on PostgreSQL; `partitioned` tables
/// are range-partitioned by month on `created_at` there (and plain tables on SQLite).
#[derive(Clone, Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub primary_key: Vec<&'static str>,
    pub uniques: Vec<Vec<&'static str>>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<String>,
    pub indexes: Vec<Vec<&'static str>>,
    pub gin: Vec<&'static str>,
    pub tenant: bool,
    pub partitioned: bool,
}

impl Table {
    /// A table whose primary key is the single uuid column `id`.
    pub fn new(name: &'static str, id: &'static str) -> Self {
        let mut t = Self::bare(name);
        t.columns.push(Column {
            name: id,
            ty: Ty::Uuid,
            nullable: false,
            default: None,
        });
        t.primary_key = vec![id];
        t
    }

    /// A table with no columns yet; the caller sets the primary key.
    pub fn bare(name: &'static str) -> Self {
        Self {
            name,
            columns: Vec::new(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            gin: Vec::new(),
            tenant: false,
            partitioned: false,
        }
    }

    /// Adds `tenant_id NOT NULL` referencing tenants, and marks the table for RLS. Parents
    /// also get `UNIQUE (tenant_id, id)` so that children can reference them by
    /// `(tenant_id, id)`: a row can then never point at another tenant's parent.
    pub fn tenant(mut self) -> Self {
        self.columns.push(Column {
            name: "tenant_id",
            ty: Ty::Uuid,
            nullable: false,
            default: None,
        });
        self.tenant = true;
        self.foreign_keys.push(ForeignKey {
            columns: vec!["tenant_id"],
            table: "tenants",
            ref_columns: vec!["tenant_id"],
            on_delete: "CASCADE",
        });
        self
    }

    /// Row-level security on a table whose own key is `tenant_id` (the tenants table).
    pub fn rls(mut self) -> Self {
        self.tenant = true;
        self
    }

    pub fn col(mut self, name: &'static str, ty: Ty) -> Self {
        self.columns.push(Column {
            name,
            ty,
            nullable: false,
            default: None,
        });
        self
    }

    pub fn null(mut self, name: &'static str, ty: Ty) -> Self {
        self.columns.push(Column {
            name,
            ty,
            nullable: true,
            default: None,
        });
        self
    }

    pub fn default(mut self, name: &'static str, ty: Ty, default: &'static str) -> Self {
        self.columns.push(Column {
            name,
            ty,
            nullable: false,
            default: Some(default),
        });
        self
    }

    /// `created_at` and `updated_at`.
    pub fn timestamps(self) -> Self {
        self.col("created_at", Ty::Ts).col("updated_at", Ty::Ts)
    }

    /// Soft delete: business rows are flagged first and collected after retention.
    pub fn soft_delete(self) -> Self {
        self.default("is_deleted", Ty::Bool, "false")
            .null("deleted_at", Ty::Ts)
    }

    /// A status column constrained to `values`, defaulting to the first one.
    pub fn status(mut self, name: &'static str, values: &[&str]) -> Self {
        let list = values
            .iter()
            .map(|v| format!("'{v}'"))
            .collect::<Vec<_>>()
            .join(", ");
        self.checks.push(format!("{name} IN ({list})"));
        self.col(name, Ty::Text)
    }

    pub fn check(mut self, expr: impl Into<String>) -> Self {
        self.checks.push(expr.into());
        self
    }

    /// A tenant-safe reference: `(tenant_id, column)` → `table (tenant_id, ref_column)`.
    pub fn tenant_ref(
        mut self,
        column: &'static str,
        table: &'static str,
        ref_column: &'static str,
        on_delete: &'static str,
    ) -> Self {
        self.foreign_keys.push(ForeignKey {
            columns: vec!["tenant_id", column],
            table,
            ref_columns: vec!["tenant_id", ref_column],
            on_delete,
        });
        self
    }

    pub fn reference(
        mut self,
        column: &'static str,
        table: &'static str,
        ref_column: &'static str,
        on_delete: &'static str,
    ) -> Self {
        self.foreign_keys.push(ForeignKey {
            columns: vec![column],
            table,
            ref_columns: vec![ref_column],
            on_delete,
        });
        self
    }

    pub fn unique(mut self, cols: &[&'static str]) -> Self {
        self.uniques.push(cols.to_vec());
        self
    }

    pub fn index(mut self, cols: &[&'static str]) -> Self {
        self.indexes.push(cols.to_vec());
        self
    }

    /// A GIN index on a JSON column (PostgreSQL only).
    pub fn gin(mut self, col: &'static str) -> Self {
        self.gin.push(col);
        self
    }

    pub fn partitioned(mut self) -> Self {
        self.partitioned = true;
        self
    }

    pub fn with_pk(mut self, cols: &[&'static str]) -> Self {
        self.primary_key = cols.to_vec();
        self
    }

    /// Makes `UNIQUE (tenant_id, <pk>)` available for tenant-safe references.
    pub fn tenant_parent(self) -> Self {
        let pk = self.primary_key[0];
        self.unique(&["tenant_id", pk])
    }

    /// The statements that create this table and its indexes, in order.
    pub fn create(&self, backend: DbBackend) -> Vec<String> {
        let pg = backend == DbBackend::Postgres;
        let partitioned = pg && self.partitioned;
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let mut s = format!("{} {}", c.name, c.ty.sql(backend));
                if !c.nullable {
                    s.push_str(" NOT NULL");
                }
                if let Some(d) = c.default {
                    s.push_str(&format!(" DEFAULT {d}"));
                }
                s
            })
            .collect();
        let mut pk = self.primary_key.clone();
        // PostgreSQL requires the partition key in every unique constraint of a
        // partitioned table, the primary key included.
        if partitioned && !pk.contains(&"created_at") {
            pk.push("created_at");
        }
        parts.push(format!("PRIMARY KEY ({})", pk.join(", ")));
        for u in &self.uniques {
            let mut cols = u.clone();
            if partitioned && !cols.contains(&"created_at") {
                cols.push("created_at");
            }
            parts.push(format!("UNIQUE ({})", cols.join(", ")));
        }
        for fk in &self.foreign_keys {
            // SET NULL on a tenant-safe reference must clear the reference, never the
            // row's tenant_id (NOT NULL): PostgreSQL names the column to clear; SQLite
            // cannot, so there the reference is checked on its own column alone (the
            // parent's key is unique by itself; tenant safety stays with the queries).
            let tenant_set_null =
                fk.on_delete == "SET NULL" && fk.columns.len() == 2 && fk.columns[0] == "tenant_id";
            let sql = match (tenant_set_null, pg) {
                (true, true) => format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE SET NULL ({})",
                    fk.columns.join(", "),
                    fk.table,
                    fk.ref_columns.join(", "),
                    fk.columns[1]
                ),
                (true, false) => format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE SET NULL",
                    fk.columns[1], fk.table, fk.ref_columns[1]
                ),
                (false, _) => format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
                    fk.columns.join(", "),
                    fk.table,
                    fk.ref_columns.join(", "),
                    fk.on_delete
                ),
            };
            parts.push(sql);
        }
        for c in &self.checks {
            parts.push(format!("CHECK ({c})"));
        }
        let mut sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    {}\n)",
            self.name,
            parts.join(",\n    ")
        );
        if partitioned {
            sql.push_str(" PARTITION BY RANGE (created_at)");
        }
        let mut out = vec![sql];
        for cols in &self.indexes {
            out.push(format!(
                "CREATE INDEX IF NOT EXISTS ix_{}_{} ON {} ({})",
                self.name,
                cols.join("_"),
                self.name,
                cols.join(", ")
            ));
        }
        if pg {
            for col in &self.gin {
                out.push(format!(
                    "CREATE INDEX IF NOT EXISTS gin_{}_{} ON {} USING GIN ({})",
                    self.name, col, self.name, col
                ));
            }
        }
        out
    }

    pub fn drop(&self, backend: DbBackend) -> String {
        match backend {
            DbBackend::Postgres => format!("DROP TABLE IF EXISTS {} CASCADE", self.name),
            _ => format!("DROP TABLE IF EXISTS {}", self.name),
        }
    }
}
