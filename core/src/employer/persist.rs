//! Employers in the database: every resume experience linked to one employer row per
//! organisation, to its department and to its role; projects done at a job filed under
//! the employer; the tenant's manual aliases; and the session's queries and decisions.
//!
//! Invariants:
//! * Per tenant, always. The matcher is built from the tenant's own employers and aliases,
//!   every statement filters by `tenant_id`, and on PostgreSQL row-level security is the
//!   second wall: another tenant's "Google" is never a candidate match.
//! * One row per match key ([`match_key`]): employers, departments, roles and projects are
//!   unique on their normalised key, and a new one is written with `ON CONFLICT DO
//!   NOTHING` and read back. Two workers parsing resumes that name the same new company at
//!   once therefore end with one row, whichever commits first.
//! * New rows are inserted in one global order (employers, then departments, roles and
//!   projects, each sorted by key), so two concurrent transactions that both create the
//!   same rows wait for each other instead of deadlocking.
//! * A manual alias (merge or split) wins over the exact and fuzzy stages of the matcher
//!   on every later resolution: new parses, re-parses and [`Employers::relink`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::canon::{
    DEFAULT_THRESHOLD, EmployerMatcher, KnownEmployer, MatchKind, Resolution, display_name,
    match_key, normalize_key, split_department,
};
use super::entity::{
    employer_aliases, employer_departments, employer_projects, employer_roles, employers,
};
use super::index::{self, EmployerIndex, Snapshot};
use super::title::{Seniority, normalize_title};
use crate::candidate::entity::{resume_experiences, resume_projects, resumes};
use crate::candidate::model::{Project, Work, YearMonth};
use crate::db::{new_id, now};
use crate::engine::Session;
use crate::error::{Error, Result};
use crate::tenancy::Permission;

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

/// Why an alias exists: two employers were merged, or a spelling was split off into an
/// employer of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AliasKind {
    Merge,
    Split,
}

impl AliasKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AliasKind::Merge => "merge",
            AliasKind::Split => "split",
        }
    }

    fn parse(s: &str) -> AliasKind {
        if s == "split" {
            AliasKind::Split
        } else {
            AliasKind::Merge
        }
    }
}

/// A manual alias: this spelling (and every spelling with the same match key) is this
/// employer, whatever the matcher would say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmployerAlias {
    pub alias: String,
    pub kind: AliasKind,
    pub created_by: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An employer of the session's tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Employer {
    pub employer_id: Uuid,
    /// The name as first printed (or as given at a split), legal form kept.
    pub name: String,
    /// Manual aliases (merge and split decisions) that point here.
    pub aliases: Vec<EmployerAlias>,
    /// Other names this employer is printed as on the tenant's resumes (employer part,
    /// department removed), and names folded in by merges; sorted.
    pub spellings: Vec<String>,
    /// Departments seen at this employer, sorted.
    pub departments: Vec<String>,
    /// Candidates (resumes not deleted) with at least one experience here.
    pub candidate_count: u64,
}

/// One job of a candidate, with what it was linked to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedExperience {
    pub experience_id: Uuid,
    /// 0-based order on the resume.
    pub position: i32,
    /// The company as printed.
    pub company: String,
    pub employer_id: Option<Uuid>,
    /// The employer's canonical name.
    pub employer: Option<String>,
    pub department_id: Option<Uuid>,
    pub department: Option<String>,
    /// The title as printed.
    pub title: String,
    pub employer_role_id: Option<Uuid>,
    pub canonical_title: Option<String>,
    pub seniority: Option<Seniority>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub is_current: bool,
}

/// A candidate found by an employer query, with the experiences that matched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateHit {
    pub resume_id: Uuid,
    pub experiences: Vec<LinkedExperience>,
}

/// What [`Employers::relink`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelinkReport {
    /// Experiences looked at.
    pub experiences: u64,
    /// Experiences whose employer, department or role changed.
    pub changed: u64,
}

// ---------------------------------------------------------------------------------------
// Linking: plan in memory, then write in a fixed order
// ---------------------------------------------------------------------------------------

/// The strings of a JSON array (anything else is empty).
pub(super) fn json_strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

/// The tenant's employers as one resolution sees them: a snapshot of the tenant's rows
/// and aliases, and the employers this resolution plans to create.
struct Linker {
    tenant: Uuid,
    snapshot: Arc<Snapshot>,
    local: EmployerMatcher,
}

impl Linker {
    fn over(tenant: Uuid, snapshot: Arc<Snapshot>) -> Linker {
        Linker {
            tenant,
            snapshot,
            local: EmployerMatcher::new([], DEFAULT_THRESHOLD),
        }
    }

    /// Reads the tenant's employers and aliases in `conn` (for manual decisions, which see
    /// their own uncommitted changes).
    async fn load<C: ConnectionTrait>(conn: &C, tenant: Uuid) -> Result<Linker> {
        let (snapshot, _) = index::load(conn, tenant, 0).await?;
        Ok(Linker::over(tenant, Arc::new(snapshot)))
    }

    /// The engine's snapshot of the tenant's employers, current as of `conn`.
    async fn cached<C: ConnectionTrait>(
        conn: &C,
        tenant: Uuid,
        index: &EmployerIndex,
    ) -> Result<Linker> {
        Ok(Linker::over(tenant, index.snapshot(conn, tenant).await?))
    }

    fn resolve(&self, raw: &str) -> Resolution {
        EmployerMatcher::resolve_in(
            &[&self.snapshot.base, &self.snapshot.recent, &self.local],
            raw,
        )
    }

    /// Resolves a printed company to an employer id (existing, or a fresh id planned in
    /// `plan`) and a department, without touching the database.
    fn employer(&mut self, plan: &mut Plan, raw: &str) -> Option<(Uuid, Option<String>)> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let res = self.resolve(raw);
        if res.placeholder || res.key.is_empty() {
            return None;
        }
        // An alias on the whole printed string ("Amazon – AWS" → AWS) names the employer
        // with its department: nothing is left over as a department.
        let whole = match_key(raw);
        let whole_alias = res
            .matched
            .as_ref()
            .is_some_and(|m| m.kind == MatchKind::ManualAlias)
            && whole != match_key(&res.display_name)
            && self.snapshot.alias_keys.contains(&whole);
        let id = match res.matched {
            Some(m) => m.id,
            None => {
                let id = new_id();
                plan.employers
                    .insert(match_key(&res.display_name), (id, res.display_name.clone()));
                self.local.add(KnownEmployer {
                    id,
                    name: res.display_name,
                    aliases: vec![],
                });
                id
            }
        };
        let department = if whole_alias { None } else { res.department };
        Some((id, department))
    }

    /// Plans the links of one experience.
    fn experience(&mut self, plan: &mut Plan, company: &str, title: &str) -> PlannedExperience {
        let (employer, department) = match self.employer(plan, company) {
            Some((id, dept)) => (Some(id), dept),
            None => (None, None),
        };
        let department = employer.zip(department).and_then(|(e, d)| {
            let key = match_key(&d);
            (!key.is_empty()).then(|| {
                plan.departments
                    .entry((e, key.clone()))
                    .or_insert_with(|| display_name(&d));
                key
            })
        });
        let role = role_key(title).map(|(key, canonical, seniority)| {
            plan.roles
                .entry((employer, key.clone()))
                .or_insert((canonical, seniority));
            key
        });
        PlannedExperience {
            employer,
            department,
            role,
        }
    }
}

/// The role key of a title: the title's grouping key and its seniority, so that
/// "Senior Software Engineer" and "Software Engineer" are two roles with one title key.
fn role_key(title: &str) -> Option<(String, String, Seniority)> {
    let title = title.trim();
    if title.is_empty() {
        return None;
    }
    let nt = normalize_title(title);
    let key = if nt.key.is_empty() {
        nt.canonical.to_lowercase()
    } else {
        nt.key
    };
    if key.is_empty() {
        return None;
    }
    Some((
        format!("{key}@{}", nt.seniority.as_str()),
        nt.canonical,
        nt.seniority,
    ))
}

#[derive(Clone, Debug, PartialEq)]
struct PlannedExperience {
    employer: Option<Uuid>,
    department: Option<String>,
    role: Option<String>,
}

/// The rows a resolution needs, keyed so that each is created once, in key order.
#[derive(Default)]
struct Plan {
    /// match key → (planned id, display name).
    employers: BTreeMap<String, (Uuid, String)>,
    /// (employer, key) → display name.
    departments: BTreeMap<(Uuid, String), String>,
    /// (employer, role key) → (canonical title, seniority).
    roles: BTreeMap<(Option<Uuid>, String), (String, Seniority)>,
    /// (employer, key) → (name, description).
    projects: BTreeMap<(Uuid, String), (String, Option<String>)>,
}

/// The ids a plan got: planned employer ids mapped to the rows that exist.
#[derive(Default)]
struct Written {
    employers: HashMap<Uuid, Uuid>,
    departments: HashMap<(Uuid, String), Uuid>,
    roles: HashMap<(Option<Uuid>, String), Uuid>,
    projects: HashMap<(Uuid, String), Uuid>,
}

impl Written {
    fn employer(&self, planned: Uuid) -> Uuid {
        self.employers.get(&planned).copied().unwrap_or(planned)
    }

    fn link(&self, e: &PlannedExperience) -> ExperienceLink {
        let employer = e.employer.map(|id| self.employer(id));
        ExperienceLink {
            employer_id: employer,
            department_id: employer
                .zip(e.department.clone())
                .and_then(|k| self.departments.get(&k).copied()),
            employer_role_id: e
                .role
                .clone()
                .and_then(|k| self.roles.get(&(employer, k)).copied()),
        }
    }
}

impl Plan {
    /// Creates what is missing, in one order (see the module comment), and returns the
    /// ids of every planned row. Each kind of row is one multi-row insert that returns the
    /// ids it wrote; the rows it met instead (a concurrent parse, a soft-deleted employer)
    /// are read back in one query.
    async fn write<C: ConnectionTrait>(self, conn: &C, tenant: Uuid) -> Result<Written> {
        let t = now();
        let mut w = Written::default();

        // Employers, by key.
        let rows: Vec<employers::ActiveModel> = self
            .employers
            .iter()
            .map(|(key, (planned, name))| employers::ActiveModel {
                employer_id: Set(*planned),
                tenant_id: Set(tenant),
                canonical_name: Set(name.clone()),
                normalized_key: Set(key.clone()),
                aliases: Set(serde_json::json!([])),
                created_at: Set(t),
                updated_at: Set(t),
                is_deleted: Set(false),
                deleted_at: Set(None),
            })
            .collect();
        let inserted = insert_returning_ids(
            conn,
            rows,
            OnConflict::columns([
                employers::Column::TenantId,
                employers::Column::NormalizedKey,
            ])
            .do_nothing()
            .to_owned(),
            employers::Column::EmployerId,
        )
        .await?;
        let met: Vec<&String> = self
            .employers
            .iter()
            .filter(|(_, (planned, _))| !inserted.contains(planned))
            .map(|(key, _)| key)
            .collect();
        let existing: HashMap<String, employers::Model> = if met.is_empty() {
            HashMap::new()
        } else {
            employers::Entity::find()
                .filter(employers::Column::TenantId.eq(tenant))
                .filter(employers::Column::NormalizedKey.is_in(met.iter().map(|k| k.as_str())))
                .all(conn)
                .await?
                .into_iter()
                .map(|e| (e.normalized_key.clone(), e))
                .collect()
        };
        // A soft-deleted employer printed again comes back rather than blocking its key.
        let revived: Vec<Uuid> = existing
            .values()
            .filter(|e| e.is_deleted)
            .map(|e| e.employer_id)
            .collect();
        if !revived.is_empty() {
            employers::Entity::update_many()
                .col_expr(employers::Column::IsDeleted, Expr::value(false))
                .col_expr(
                    employers::Column::DeletedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .filter(employers::Column::TenantId.eq(tenant))
                .filter(employers::Column::EmployerId.is_in(revived))
                .exec(conn)
                .await?;
        }
        for (key, (planned, _)) in &self.employers {
            let id = if inserted.contains(planned) {
                *planned
            } else {
                existing
                    .get(key)
                    .ok_or_else(|| Error::not_found("employer", key))?
                    .employer_id
            };
            w.employers.insert(*planned, id);
        }

        // Departments, by (employer, key).
        let departments: Vec<((Uuid, String), Uuid, employer_departments::ActiveModel)> = self
            .departments
            .into_iter()
            .map(|((e, key), name)| {
                let (employer, id) = (w.employer(e), new_id());
                let row = employer_departments::ActiveModel {
                    department_id: Set(id),
                    tenant_id: Set(tenant),
                    employer_id: Set(employer),
                    name: Set(name),
                    normalized_key: Set(key.clone()),
                    created_at: Set(t),
                };
                ((employer, key), id, row)
            })
            .collect();
        w.departments = insert_at_employers(
            conn,
            tenant,
            departments,
            AtEmployerColumns {
                id: employer_departments::Column::DepartmentId,
                tenant: employer_departments::Column::TenantId,
                employer: employer_departments::Column::EmployerId,
                key: employer_departments::Column::NormalizedKey,
            },
            |d| ((d.employer_id, d.normalized_key), d.department_id),
            "department",
        )
        .await?;

        // Roles, by (employer or none, key): those at an employer and those at none have
        // different unique keys (the latter a partial index, migration 11).
        let roles: BTreeMap<(Option<Uuid>, String), (Uuid, String, Seniority)> = self
            .roles
            .into_iter()
            .map(|((e, k), (title, seniority))| {
                ((e.map(|e| w.employer(e)), k), (new_id(), title, seniority))
            })
            .collect();
        let (at_employer, at_none): (Vec<_>, Vec<_>) = roles
            .iter()
            .partition(|((employer, _), _)| employer.is_some());
        let mut inserted = HashSet::new();
        for (group, conflict) in [
            (
                at_employer,
                OnConflict::columns([
                    employer_roles::Column::TenantId,
                    employer_roles::Column::EmployerId,
                    employer_roles::Column::NormalizedKey,
                ])
                .do_nothing()
                .to_owned(),
            ),
            (
                at_none,
                OnConflict::columns([
                    employer_roles::Column::TenantId,
                    employer_roles::Column::NormalizedKey,
                ])
                .target_and_where(Expr::col(employer_roles::Column::EmployerId).is_null())
                .do_nothing()
                .to_owned(),
            ),
        ] {
            let rows: Vec<employer_roles::ActiveModel> = group
                .iter()
                .map(
                    |((employer, key), (id, title, seniority))| employer_roles::ActiveModel {
                        employer_role_id: Set(*id),
                        tenant_id: Set(tenant),
                        employer_id: Set(*employer),
                        canonical_title: Set(title.clone()),
                        seniority: Set(seniority.as_str().to_owned()),
                        normalized_key: Set(key.clone()),
                        created_at: Set(t),
                    },
                )
                .collect();
            inserted.extend(
                insert_returning_ids(conn, rows, conflict, employer_roles::Column::EmployerRoleId)
                    .await?,
            );
        }
        let met: Vec<&(Option<Uuid>, String)> = roles
            .iter()
            .filter(|(_, (id, _, _))| !inserted.contains(id))
            .map(|(k, _)| k)
            .collect();
        let existing: HashMap<(Option<Uuid>, String), Uuid> = if met.is_empty() {
            HashMap::new()
        } else {
            let employers: Vec<Uuid> = met.iter().filter_map(|k| k.0).collect();
            let mut by_employer = Condition::any();
            if !employers.is_empty() {
                by_employer = by_employer.add(employer_roles::Column::EmployerId.is_in(employers));
            }
            if met.iter().any(|k| k.0.is_none()) {
                by_employer = by_employer.add(employer_roles::Column::EmployerId.is_null());
            }
            employer_roles::Entity::find()
                .filter(employer_roles::Column::TenantId.eq(tenant))
                .filter(by_employer)
                .filter(
                    employer_roles::Column::NormalizedKey.is_in(met.iter().map(|k| k.1.as_str())),
                )
                .all(conn)
                .await?
                .into_iter()
                .map(|r| ((r.employer_id, r.normalized_key), r.employer_role_id))
                .collect()
        };
        for (k, (id, _, _)) in roles {
            let id = if inserted.contains(&id) {
                id
            } else {
                *existing
                    .get(&k)
                    .ok_or_else(|| Error::not_found("role", &k.1))?
            };
            w.roles.insert(k, id);
        }

        // Projects, by (employer, key).
        let projects: Vec<((Uuid, String), Uuid, employer_projects::ActiveModel)> = self
            .projects
            .into_iter()
            .map(|((e, key), (name, description))| {
                let (employer, id) = (w.employer(e), new_id());
                let row = employer_projects::ActiveModel {
                    employer_project_id: Set(id),
                    tenant_id: Set(tenant),
                    employer_id: Set(employer),
                    name: Set(name),
                    normalized_key: Set(key.clone()),
                    description: Set(description),
                    created_at: Set(t),
                };
                ((employer, key), id, row)
            })
            .collect();
        w.projects = insert_at_employers(
            conn,
            tenant,
            projects,
            AtEmployerColumns {
                id: employer_projects::Column::EmployerProjectId,
                tenant: employer_projects::Column::TenantId,
                employer: employer_projects::Column::EmployerId,
                key: employer_projects::Column::NormalizedKey,
            },
            |p| ((p.employer_id, p.normalized_key), p.employer_project_id),
            "employer project",
        )
        .await?;
        Ok(w)
    }
}

/// A row's (employer, normalized key).
type AtEmployer = (Uuid, String);

/// The columns of a table of rows kept per (tenant, employer, normalized key).
struct AtEmployerColumns<C> {
    id: C,
    tenant: C,
    employer: C,
    key: C,
}

/// Inserts rows kept per (employer, normalized key) of `tenant` (departments, projects),
/// each given with its key and the id it carries, skipping those that exist (`ON CONFLICT DO NOTHING`), and reads back the ids of the ones
/// that did. Returns the id of every key: the row's own when this insert wrote it. `read`
/// gives a stored row's key and id; `what` names the rows in errors.
async fn insert_at_employers<C, A>(
    conn: &C,
    tenant: Uuid,
    rows: Vec<(AtEmployer, Uuid, A)>,
    cols: AtEmployerColumns<<A::Entity as EntityTrait>::Column>,
    read: impl Fn(<A::Entity as EntityTrait>::Model) -> (AtEmployer, Uuid),
    what: &'static str,
) -> Result<HashMap<AtEmployer, Uuid>>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait,
{
    // Two planned employers may have turned out to be one: one row per key.
    let rows: BTreeMap<AtEmployer, (Uuid, A)> = rows
        .into_iter()
        .map(|(key, id, row)| (key, (id, row)))
        .collect();
    let (planned, models): (Vec<(AtEmployer, Uuid)>, Vec<A>) = rows
        .into_iter()
        .map(|(key, (id, row))| ((key, id), row))
        .unzip();
    let conflict = OnConflict::columns([cols.tenant, cols.employer, cols.key])
        .do_nothing()
        .to_owned();
    let inserted = insert_returning_ids(conn, models, conflict, cols.id).await?;
    let met: Vec<&AtEmployer> = planned
        .iter()
        .filter(|(_, id)| !inserted.contains(id))
        .map(|(k, _)| k)
        .collect();
    let existing: HashMap<AtEmployer, Uuid> = if met.is_empty() {
        HashMap::new()
    } else {
        A::Entity::find()
            .filter(cols.tenant.eq(tenant))
            .filter(cols.employer.is_in(met.iter().map(|k| k.0)))
            .filter(cols.key.is_in(met.iter().map(|k| k.1.as_str())))
            .all(conn)
            .await?
            .into_iter()
            .map(read)
            .collect()
    };
    planned
        .into_iter()
        .map(|(k, id)| {
            let id = if inserted.contains(&id) {
                id
            } else {
                *existing
                    .get(&k)
                    .ok_or_else(|| Error::not_found(what, &k.1))?
            };
            Ok((k, id))
        })
        .collect()
}

/// Inserts `rows` in one statement with `conflict` (a `DO NOTHING`) and returns the ids
/// of the rows it wrote.
async fn insert_returning_ids<C, A>(
    conn: &C,
    rows: Vec<A>,
    conflict: OnConflict,
    id: impl sea_orm::sea_query::IntoColumnRef,
) -> Result<HashSet<Uuid>>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::QueryTrait;
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let mut q = A::Entity::insert_many(rows)
        .on_conflict(conflict)
        .into_query();
    q.returning_col(id);
    let backend = conn.get_database_backend();
    conn.query_all_raw(backend.build(&q))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).map_err(Error::from))
        .collect()
}

/// The ids one experience is linked to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExperienceLink {
    pub employer_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub employer_role_id: Option<Uuid>,
}

/// A project done at a job: the job's index in `work` and the employer project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProjectLink {
    pub work_index: usize,
    pub employer_project_id: Uuid,
}

/// The links of one parsed resume, in the order of its `work` and `projects`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ResumeLinks {
    pub experiences: Vec<ExperienceLink>,
    pub projects: Vec<Option<ProjectLink>>,
    /// For the engine's index once the transaction commits.
    pub learned: Learned,
}

/// The employers a resolution created or met, and the revision it resolved against.
#[derive(Clone, Debug, Default)]
pub(crate) struct Learned {
    pub rev: i64,
    pub employers: Vec<KnownEmployer>,
}

impl Learned {
    /// Adds these employers to the engine's index (call after the commit).
    pub(crate) async fn teach(self, index: &EmployerIndex, tenant: Uuid) {
        index.learn(tenant, self.rev, self.employers).await;
    }
}

/// Whether a project's own words name an employer: the employer's key tokens appear, in
/// order and whole, among the tokens of the project's name, description and keywords.
fn names_employer(project_tokens: &[&str], employer_key: &str) -> bool {
    let e: Vec<&str> = employer_key.split_whitespace().collect();
    !e.is_empty() && project_tokens.windows(e.len()).any(|w| w == e.as_slice())
}

fn within(p: Option<YearMonth>, start: Option<YearMonth>, end: Option<YearMonth>) -> bool {
    let Some(p) = p else { return false };
    let (p, s) = (p.index(1), start.map(|s| s.index(1)));
    s.is_some_and(|s| s <= p) && end.is_none_or(|e| p <= e.index(12))
}

/// The job a project was done at, when the resume says so: its name, description or
/// keywords name the job's employer, and only one employer is named. Dates alone are not
/// evidence (side projects overlap jobs), they only pick among several jobs at the named
/// employer: the one whose dates contain the project's start, else the first listed.
///
/// `employers[i]` is the linked employer of `work[i]` with its matching key (spaced).
pub(crate) fn project_job(
    project: &Project,
    work: &[Work],
    employers: &[Option<(Uuid, String)>],
) -> Option<usize> {
    let text = std::iter::once(project.name.as_str())
        .chain(project.description.as_deref())
        .chain(project.keywords.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ; ");
    let key = normalize_key(&text);
    let tokens: Vec<&str> = key.split_whitespace().collect();
    let named: Vec<usize> = employers
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            e.as_ref()
                .filter(|(_, k)| names_employer(&tokens, k))
                .map(|_| i)
        })
        .collect();
    let ids: BTreeSet<Uuid> = named
        .iter()
        .filter_map(|&i| employers[i].as_ref().map(|(id, _)| *id))
        .collect();
    if ids.len() != 1 {
        return None;
    }
    named
        .iter()
        .copied()
        .find(|&i| within(project.start, work[i].start, work[i].end))
        .or_else(|| named.first().copied())
}

/// Resolves the employers, departments, roles and projects of one parsed resume to ids
/// of the tenant's rows, creating the rows that are missing, in `conn` (the caller's
/// transaction, so a failed parse leaves no orphan employer behind).
pub(crate) async fn link_resume<C: ConnectionTrait>(
    conn: &C,
    index: &EmployerIndex,
    tenant: Uuid,
    work: &[Work],
    projects: &[Project],
) -> Result<ResumeLinks> {
    let mut linker = Linker::cached(conn, tenant, index).await?;
    let mut plan = Plan::default();
    let planned: Vec<PlannedExperience> = work
        .iter()
        .map(|w| {
            linker.experience(
                &mut plan,
                w.company.as_deref().unwrap_or(""),
                w.position.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let keyed: Vec<Option<(Uuid, String)>> = work
        .iter()
        .zip(&planned)
        .map(|(w, p)| {
            let (employer, _) = split_department(w.company.as_deref().unwrap_or(""));
            p.employer.map(|id| (id, normalize_key(&employer)))
        })
        .collect();
    let mut project_keys = Vec::new();
    for p in projects {
        let key = match_key(&p.name);
        let at = project_job(p, work, &keyed).filter(|_| !key.is_empty());
        if let Some(i) = at {
            let employer = planned[i].employer.expect("a named employer is linked");
            plan.projects
                .entry((employer, key.clone()))
                .or_insert_with(|| (display_name(&p.name), p.description.clone()));
        }
        project_keys.push(at.map(|i| (i, key)));
    }
    let planned_employers: Vec<(Uuid, String)> = plan.employers.values().cloned().collect();
    let written = plan.write(conn, linker.tenant).await?;
    let learned = Learned {
        rev: linker.snapshot.rev,
        employers: planned_employers
            .into_iter()
            .map(|(planned, name)| KnownEmployer {
                id: written.employer(planned),
                name,
                aliases: vec![],
            })
            .collect(),
    };
    let experiences = planned.iter().map(|p| written.link(p)).collect();
    let projects = project_keys
        .into_iter()
        .map(|at| {
            at.and_then(|(i, key)| {
                let employer = written.employer(planned[i].employer?);
                written
                    .projects
                    .get(&(employer, key))
                    .map(|&id| ProjectLink {
                        work_index: i,
                        employer_project_id: id,
                    })
            })
        })
        .collect();
    Ok(ResumeLinks {
        experiences,
        projects,
        learned,
    })
}

/// Re-resolves `rows` with the tenant's current employers and aliases and rewrites the
/// links that changed; projects done at a moved job follow it. Returns how many changed.
async fn relink_rows<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    rows: Vec<resume_experiences::Model>,
) -> Result<u64> {
    let mut linker = Linker::load(conn, tenant).await?;
    let mut plan = Plan::default();
    let planned: Vec<PlannedExperience> = rows
        .iter()
        .map(|e| linker.experience(&mut plan, &e.company_raw, &e.title_raw))
        .collect();
    // Projects under the moved jobs move with them: planned under the new employer by
    // their own name.
    let moved_projects = if rows.is_empty() {
        Vec::new()
    } else {
        resume_projects::Entity::find()
            .filter(resume_projects::Column::TenantId.eq(tenant))
            .filter(
                resume_projects::Column::ExperienceId
                    .is_in(rows.iter().map(|e| e.experience_id).collect::<Vec<_>>()),
            )
            .filter(resume_projects::Column::EmployerProjectId.is_not_null())
            .all(conn)
            .await?
    };
    let position: HashMap<Uuid, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, e)| (e.experience_id, i))
        .collect();
    let mut project_plan = Vec::new();
    for p in &moved_projects {
        let i = p.experience_id.and_then(|x| position.get(&x).copied());
        let key = match_key(&p.name);
        if let Some(employer) = i.and_then(|i| planned[i].employer)
            && !key.is_empty()
        {
            plan.projects
                .entry((employer, key.clone()))
                .or_insert_with(|| (display_name(&p.name), p.description.clone()));
            project_plan.push((p.project_id, p.employer_project_id, Some((employer, key))));
        } else {
            project_plan.push((p.project_id, p.employer_project_id, None));
        }
    }
    let written = plan.write(conn, tenant).await?;
    let mut changed = 0;
    for (row, p) in rows.iter().zip(&planned) {
        let link = written.link(p);
        let old = ExperienceLink {
            employer_id: row.employer_id,
            department_id: row.department_id,
            employer_role_id: row.employer_role_id,
        };
        if link == old {
            continue;
        }
        changed += 1;
        resume_experiences::Entity::update_many()
            .col_expr(
                resume_experiences::Column::EmployerId,
                Expr::value(link.employer_id),
            )
            .col_expr(
                resume_experiences::Column::DepartmentId,
                Expr::value(link.department_id),
            )
            .col_expr(
                resume_experiences::Column::EmployerRoleId,
                Expr::value(link.employer_role_id),
            )
            .filter(resume_experiences::Column::TenantId.eq(tenant))
            .filter(resume_experiences::Column::ExperienceId.eq(row.experience_id))
            .exec(conn)
            .await?;
    }
    for (project_id, old, new) in project_plan {
        let new = new.and_then(|(e, k)| written.projects.get(&(written.employer(e), k)).copied());
        if new == old {
            continue;
        }
        resume_projects::Entity::update_many()
            .col_expr(resume_projects::Column::EmployerProjectId, Expr::value(new))
            .filter(resume_projects::Column::TenantId.eq(tenant))
            .filter(resume_projects::Column::ProjectId.eq(project_id))
            .exec(conn)
            .await?;
    }
    Ok(changed)
}

// ---------------------------------------------------------------------------------------
// The session's API
// ---------------------------------------------------------------------------------------

/// The employers of the session's tenant: queries need `candidate_read`, decisions
/// (alias, merge, split, relink) need `candidate_write`. Candidate lookups and decisions
/// are audited.
pub struct Employers<'a> {
    s: &'a Session,
}

impl Session {
    pub fn employers(&self) -> Employers<'_> {
        Employers { s: self }
    }
}

/// Resumes of the tenant that are not deleted, as a subquery.
fn live_resumes(tenant: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(resumes::Column::ResumeId)
        .from(resumes::Entity)
        .and_where(resumes::Column::TenantId.eq(tenant))
        .and_where(resumes::Column::IsDeleted.eq(false))
        .to_owned()
}

async fn employer_row<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    id: Uuid,
) -> Result<employers::Model> {
    employers::Entity::find()
        .filter(employers::Column::TenantId.eq(tenant))
        .filter(employers::Column::EmployerId.eq(id))
        .filter(employers::Column::IsDeleted.eq(false))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("employer", id))
}

/// Describes `rows` (with their aliases, spellings, departments and candidate counts).
async fn describe<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    rows: Vec<employers::Model>,
) -> Result<Vec<Employer>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|e| e.employer_id).collect();
    let mut aliases: HashMap<Uuid, Vec<EmployerAlias>> = HashMap::new();
    for a in employer_aliases::Entity::find()
        .filter(employer_aliases::Column::TenantId.eq(tenant))
        .filter(employer_aliases::Column::EmployerId.is_in(ids.clone()))
        .order_by_asc(employer_aliases::Column::CreatedAt)
        .order_by_asc(employer_aliases::Column::AliasId)
        .all(conn)
        .await?
    {
        aliases
            .entry(a.employer_id)
            .or_default()
            .push(EmployerAlias {
                alias: a.alias,
                kind: AliasKind::parse(&a.kind),
                created_by: a.created_by,
                created_at: a.created_at,
            });
    }
    let mut spellings: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
    let printed: Vec<(Option<Uuid>, String)> = resume_experiences::Entity::find()
        .select_only()
        .column(resume_experiences::Column::EmployerId)
        .column(resume_experiences::Column::CompanyRaw)
        .distinct()
        .filter(resume_experiences::Column::TenantId.eq(tenant))
        .filter(resume_experiences::Column::EmployerId.is_in(ids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    for (id, raw) in printed {
        if let Some(id) = id {
            spellings
                .entry(id)
                .or_default()
                .insert(split_department(&raw).0);
        }
    }
    let mut departments: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
    for d in employer_departments::Entity::find()
        .filter(employer_departments::Column::TenantId.eq(tenant))
        .filter(employer_departments::Column::EmployerId.is_in(ids.clone()))
        .all(conn)
        .await?
    {
        departments.entry(d.employer_id).or_default().insert(d.name);
    }
    let counts: HashMap<Uuid, i64> = resume_experiences::Entity::find()
        .select_only()
        .column(resume_experiences::Column::EmployerId)
        .expr(Expr::col(resume_experiences::Column::ResumeId).count_distinct())
        .filter(resume_experiences::Column::TenantId.eq(tenant))
        .filter(resume_experiences::Column::EmployerId.is_in(ids))
        .filter(resume_experiences::Column::ResumeId.in_subquery(live_resumes(tenant)))
        .group_by(resume_experiences::Column::EmployerId)
        .into_tuple::<(Option<Uuid>, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| {
            let mut names = spellings.remove(&e.employer_id).unwrap_or_default();
            names.extend(json_strings(&e.aliases));
            names.remove(&e.canonical_name);
            Employer {
                employer_id: e.employer_id,
                aliases: aliases.remove(&e.employer_id).unwrap_or_default(),
                spellings: names.into_iter().collect(),
                departments: departments
                    .remove(&e.employer_id)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                candidate_count: counts.get(&e.employer_id).copied().unwrap_or(0) as u64,
                name: e.canonical_name,
            }
        })
        .collect())
}

/// Upserts a manual alias `alias` → `employer`.
async fn put_alias<C: ConnectionTrait>(
    conn: &C,
    s: &Session,
    alias: &str,
    employer: Uuid,
    kind: AliasKind,
) -> Result<()> {
    let key = match_key(alias);
    if key.is_empty() {
        return Err(Error::invalid(format!(
            "{alias:?} has no letters or digits to match on"
        )));
    }
    let t = now();
    employer_aliases::Entity::insert(employer_aliases::ActiveModel {
        alias_id: Set(new_id()),
        tenant_id: Set(s.tenant_id()),
        employer_id: Set(employer),
        alias: Set(display_name(alias)),
        alias_key: Set(key),
        kind: Set(kind.as_str().to_owned()),
        created_by: Set(Some(s.actor().user_id)),
        created_at: Set(t),
        updated_at: Set(t),
    })
    .on_conflict(
        OnConflict::columns([
            employer_aliases::Column::TenantId,
            employer_aliases::Column::AliasKey,
        ])
        .update_columns([
            employer_aliases::Column::EmployerId,
            employer_aliases::Column::Alias,
            employer_aliases::Column::Kind,
            employer_aliases::Column::CreatedBy,
            employer_aliases::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    index::bump_rev(conn, s.tenant_id()).await?;
    Ok(())
}

/// The tenant's experiences (of live resumes or not: links are kept right for all).
fn experiences(tenant: Uuid) -> sea_orm::Select<resume_experiences::Entity> {
    resume_experiences::Entity::find()
        .filter(resume_experiences::Column::TenantId.eq(tenant))
        .order_by_asc(resume_experiences::Column::ResumeId)
        .order_by_asc(resume_experiences::Column::Position)
}

/// Experiences whose printed company has `key` as its match key, whole or employer part
/// (the two forms a manual alias is looked up by).
async fn experiences_spelled<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    key: &str,
) -> Result<Vec<resume_experiences::Model>> {
    Ok(experiences(tenant)
        .all(conn)
        .await?
        .into_iter()
        .filter(|e| {
            match_key(&e.company_raw) == key
                || match_key(&split_department(&e.company_raw).0) == key
        })
        .collect())
}

impl Employers<'_> {
    /// Every employer of the tenant with its aliases, spellings, departments and
    /// candidate count, by name.
    pub async fn list(&self) -> Result<Vec<Employer>> {
        self.s.require(Permission::CandidateRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        let rows = employers::Entity::find()
            .filter(employers::Column::TenantId.eq(tenant))
            .filter(employers::Column::IsDeleted.eq(false))
            .order_by_asc(employers::Column::CanonicalName)
            .order_by_asc(employers::Column::EmployerId)
            .all(&tx)
            .await?;
        let out = describe(&tx, tenant, rows).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn get(&self, employer_id: Uuid) -> Result<Employer> {
        self.s.require(Permission::CandidateRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        let row = employer_row(&tx, tenant, employer_id).await?;
        let out = describe(&tx, tenant, vec![row]).await?;
        tx.commit().await?;
        Ok(out.into_iter().next().expect("one described row"))
    }

    /// The employer a printed name resolves to, as a new resume naming it would be
    /// linked: manual alias, then exact, then fuzzy. None when it would be a new employer
    /// (or names none, like "Self-employed").
    pub async fn find(&self, name: &str) -> Result<Option<Employer>> {
        self.s.require(Permission::CandidateRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        let out = match self.resolve(&tx, name).await? {
            Some(id) => {
                let row = employer_row(&tx, tenant, id).await?;
                describe(&tx, tenant, vec![row]).await?.into_iter().next()
            }
            None => None,
        };
        tx.commit().await?;
        Ok(out)
    }

    async fn resolve<C: ConnectionTrait>(&self, conn: &C, name: &str) -> Result<Option<Uuid>> {
        let linker = Linker::load(conn, self.s.tenant_id()).await?;
        let res = linker.resolve(name);
        Ok(res.matched.filter(|_| !res.placeholder).map(|m| m.id))
    }

    /// Candidates who worked at the employer `name` resolves to (any spelling or alias of
    /// it), with the experiences there. Audited.
    pub async fn candidates_by_employer(&self, name: &str) -> Result<Vec<CandidateHit>> {
        self.s.require(Permission::CandidateRead)?;
        let tx = self.s.begin().await?;
        let id = self.resolve(&tx, name).await?;
        let hits = match id {
            Some(id) => {
                self.hits(
                    &tx,
                    Condition::all().add(resume_experiences::Column::EmployerId.eq(id)),
                )
                .await?
            }
            None => Vec::new(),
        };
        self.audit_lookup(&tx, "employer", id, &hits).await?;
        tx.commit().await?;
        Ok(hits)
    }

    /// Candidates who worked at `employer_id`. Audited.
    pub async fn candidates_by_employer_id(&self, employer_id: Uuid) -> Result<Vec<CandidateHit>> {
        self.s.require(Permission::CandidateRead)?;
        let tx = self.s.begin().await?;
        employer_row(&tx, self.s.tenant_id(), employer_id).await?;
        let hits = self
            .hits(
                &tx,
                Condition::all().add(resume_experiences::Column::EmployerId.eq(employer_id)),
            )
            .await?;
        self.audit_lookup(&tx, "employer", Some(employer_id), &hits)
            .await?;
        tx.commit().await?;
        Ok(hits)
    }

    /// Candidates who worked in `department` (any spelling with the same match key) of
    /// the employer `employer` resolves to. Audited.
    pub async fn candidates_by_department(
        &self,
        employer: &str,
        department: &str,
    ) -> Result<Vec<CandidateHit>> {
        self.s.require(Permission::CandidateRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let key = match_key(department);
        let dept = match self.resolve(&tx, employer).await? {
            Some(e) if !key.is_empty() => employer_departments::Entity::find()
                .filter(employer_departments::Column::TenantId.eq(tenant))
                .filter(employer_departments::Column::EmployerId.eq(e))
                .filter(employer_departments::Column::NormalizedKey.eq(key))
                .one(&tx)
                .await?
                .map(|d| d.department_id),
            _ => None,
        };
        let hits = match dept {
            Some(d) => {
                self.hits(
                    &tx,
                    Condition::all().add(resume_experiences::Column::DepartmentId.eq(d)),
                )
                .await?
            }
            None => Vec::new(),
        };
        self.audit_lookup(&tx, "department", dept, &hits).await?;
        tx.commit().await?;
        Ok(hits)
    }

    /// Candidates who held the role `title` at any employer: titles are compared by
    /// their grouping key ("Sr. SWE" and "Software Engineer III" are both software
    /// engineer), and `seniority`, when given, keeps one level. Audited.
    pub async fn candidates_by_title(
        &self,
        title: &str,
        seniority: Option<Seniority>,
    ) -> Result<Vec<CandidateHit>> {
        self.s.require(Permission::CandidateRead)?;
        let tenant = self.s.tenant_id();
        let nt = normalize_title(title);
        let key = if nt.key.is_empty() {
            nt.canonical.to_lowercase()
        } else {
            nt.key
        };
        let keys: Vec<String> = match seniority {
            Some(s) => vec![format!("{key}@{}", s.as_str())],
            None => Seniority::ALL
                .iter()
                .map(|s| format!("{key}@{}", s.as_str()))
                .collect(),
        };
        let tx = self.s.begin().await?;
        let roles: Vec<Uuid> = if key.is_empty() {
            Vec::new()
        } else {
            employer_roles::Entity::find()
                .filter(employer_roles::Column::TenantId.eq(tenant))
                .filter(employer_roles::Column::NormalizedKey.is_in(keys))
                .all(&tx)
                .await?
                .into_iter()
                .map(|r| r.employer_role_id)
                .collect()
        };
        let hits = if roles.is_empty() {
            Vec::new()
        } else {
            self.hits(
                &tx,
                Condition::all().add(resume_experiences::Column::EmployerRoleId.is_in(roles)),
            )
            .await?
        };
        self.audit_lookup(&tx, "title", None, &hits).await?;
        tx.commit().await?;
        Ok(hits)
    }

    async fn audit_lookup<C: ConnectionTrait>(
        &self,
        conn: &C,
        by: &str,
        id: Option<Uuid>,
        hits: &[CandidateHit],
    ) -> Result<()> {
        self.s
            .audit(
                conn,
                "resume.lookup",
                "resume",
                None,
                serde_json::json!({"by": by, "id": id, "found": hits.len()}),
            )
            .await
    }

    /// The experiences of live resumes matching `cond`, grouped by candidate.
    async fn hits<C: ConnectionTrait>(
        &self,
        conn: &C,
        cond: Condition,
    ) -> Result<Vec<CandidateHit>> {
        let tenant = self.s.tenant_id();
        let rows = experiences(tenant)
            .filter(cond)
            .filter(resume_experiences::Column::ResumeId.in_subquery(live_resumes(tenant)))
            .all(conn)
            .await?;
        let ids = |f: fn(&resume_experiences::Model) -> Option<Uuid>| -> Vec<Uuid> {
            rows.iter()
                .filter_map(f)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let names: HashMap<Uuid, String> = employers::Entity::find()
            .filter(employers::Column::TenantId.eq(tenant))
            .filter(employers::Column::EmployerId.is_in(ids(|e| e.employer_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|e| (e.employer_id, e.canonical_name))
            .collect();
        let depts: HashMap<Uuid, String> = employer_departments::Entity::find()
            .filter(employer_departments::Column::TenantId.eq(tenant))
            .filter(employer_departments::Column::DepartmentId.is_in(ids(|e| e.department_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|d| (d.department_id, d.name))
            .collect();
        let roles: HashMap<Uuid, employer_roles::Model> = employer_roles::Entity::find()
            .filter(employer_roles::Column::TenantId.eq(tenant))
            .filter(employer_roles::Column::EmployerRoleId.is_in(ids(|e| e.employer_role_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.employer_role_id, r))
            .collect();
        let mut out: Vec<CandidateHit> = Vec::new();
        for e in rows {
            let role = e.employer_role_id.and_then(|r| roles.get(&r));
            let x = LinkedExperience {
                experience_id: e.experience_id,
                position: e.position,
                company: e.company_raw,
                employer_id: e.employer_id,
                employer: e.employer_id.and_then(|id| names.get(&id).cloned()),
                department_id: e.department_id,
                department: e.department_id.and_then(|id| depts.get(&id).cloned()),
                title: e.title_raw,
                employer_role_id: e.employer_role_id,
                canonical_title: role.map(|r| r.canonical_title.clone()),
                seniority: role.and_then(|r| Seniority::parse(&r.seniority)),
                start: e.start_date,
                end: e.end_date,
                is_current: e.is_current,
            };
            match out.last_mut() {
                Some(h) if h.resume_id == e.resume_id => h.experiences.push(x),
                _ => out.push(CandidateHit {
                    resume_id: e.resume_id,
                    experiences: vec![x],
                }),
            }
        }
        Ok(out)
    }

    /// Files the spelling `alias` under `employer_id` by hand (kind merge): from now on
    /// every name with its match key resolves there, whatever the matcher would say, and
    /// the experiences already printed that way move there now. Audited.
    pub async fn add_alias(&self, alias: &str, employer_id: Uuid) -> Result<Employer> {
        self.s.require(Permission::CandidateWrite)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let row = employer_row(&tx, tenant, employer_id).await?;
        if match_key(alias) == row.normalized_key {
            return Err(Error::invalid(format!(
                "{alias:?} is already the name of this employer"
            )));
        }
        put_alias(&tx, self.s, alias, employer_id, AliasKind::Merge).await?;
        let rows = experiences_spelled(&tx, tenant, &match_key(alias)).await?;
        let moved = relink_rows(&tx, tenant, rows).await?;
        self.s
            .audit(
                &tx,
                "employer.alias",
                "employer",
                Some(employer_id),
                serde_json::json!({"alias": display_name(alias), "moved": moved}),
            )
            .await?;
        let row = employer_row(&tx, tenant, employer_id).await?;
        let out = describe(&tx, tenant, vec![row]).await?;
        tx.commit().await?;
        Ok(out.into_iter().next().expect("one described row"))
    }

    /// Merges employer `from` into `into`: every spelling of `from` (its name, the names
    /// it is printed as, its aliases) becomes a manual alias of `into`, its experiences,
    /// departments, roles and projects move to `into`, and `from` is deleted. Later
    /// parses, re-parses and relinks keep the merge. Returns `into`. Audited.
    pub async fn merge(&self, from: Uuid, into: Uuid) -> Result<Employer> {
        self.s.require(Permission::CandidateWrite)?;
        if from == into {
            return Err(Error::invalid("an employer cannot be merged into itself"));
        }
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let a = employer_row(&tx, tenant, from).await?;
        let b = employer_row(&tx, tenant, into).await?;
        let rows = experiences(tenant)
            .filter(resume_experiences::Column::EmployerId.eq(from))
            .all(&tx)
            .await?;
        // Every spelling that resolved to `from`, keyed as the matcher looks aliases up.
        let mut spellings: BTreeMap<String, String> = BTreeMap::new();
        let names = std::iter::once(a.canonical_name.clone())
            .chain(json_strings(&a.aliases))
            .chain(rows.iter().map(|e| split_department(&e.company_raw).0));
        for name in names {
            let key = match_key(&name);
            if !key.is_empty() && key != b.normalized_key {
                spellings.entry(key).or_insert(name);
            }
        }
        // Decisions already made for `from` now point at `into`.
        employer_aliases::Entity::update_many()
            .col_expr(employer_aliases::Column::EmployerId, Expr::value(into))
            .col_expr(employer_aliases::Column::UpdatedAt, Expr::value(now()))
            .filter(employer_aliases::Column::TenantId.eq(tenant))
            .filter(employer_aliases::Column::EmployerId.eq(from))
            .exec(&tx)
            .await?;
        for name in spellings.values() {
            put_alias(&tx, self.s, name, into, AliasKind::Merge).await?;
        }
        // `into` keeps `from`'s names for display and for the exact stage.
        let mut kept: BTreeMap<String, String> = json_strings(&b.aliases)
            .into_iter()
            .map(|n| (match_key(&n), n))
            .collect();
        for (k, n) in std::iter::once(a.canonical_name.clone())
            .chain(json_strings(&a.aliases))
            .map(|n| (match_key(&n), n))
        {
            if k != b.normalized_key {
                kept.entry(k).or_insert(n);
            }
        }
        employers::Entity::update_many()
            .col_expr(
                employers::Column::Aliases,
                Expr::value(serde_json::json!(kept.into_values().collect::<Vec<_>>())),
            )
            .col_expr(employers::Column::UpdatedAt, Expr::value(now()))
            .filter(employers::Column::TenantId.eq(tenant))
            .filter(employers::Column::EmployerId.eq(into))
            .exec(&tx)
            .await?;
        let moved = relink_rows(&tx, tenant, rows).await?;
        // Nothing may still point at `from`: its references would otherwise be cleared
        // with it (tenant-safe keys cannot be set to NULL column by column).
        let left = resume_experiences::Entity::find()
            .filter(resume_experiences::Column::TenantId.eq(tenant))
            .filter(resume_experiences::Column::EmployerId.eq(from))
            .all(&tx)
            .await?;
        if !left.is_empty() {
            return Err(Error::Conflict(format!(
                "{} experience(s) still resolve to the merged employer",
                left.len()
            )));
        }
        employers::Entity::delete_many()
            .filter(employers::Column::TenantId.eq(tenant))
            .filter(employers::Column::EmployerId.eq(from))
            .exec(&tx)
            .await?;
        self.s
            .audit(
                &tx,
                "employer.merge",
                "employer",
                Some(into),
                serde_json::json!({"from": from, "from_name": a.canonical_name, "moved": moved}),
            )
            .await?;
        let b = employer_row(&tx, tenant, into).await?;
        let out = describe(&tx, tenant, vec![b]).await?;
        // Every engine's snapshot of the tenant's employers is stale now.
        index::bump_rev(&tx, self.s.tenant_id()).await?;
        tx.commit().await?;
        Ok(out.into_iter().next().expect("one described row"))
    }

    /// Splits the spelling `alias` off the employer it resolves to, into an employer of
    /// its own named `name` (default: the alias as written), or into the existing employer
    /// with that name. The decision is a manual alias (kind split), so the matcher never
    /// files the spelling back. Experiences printed that way move. Returns the employer
    /// the spelling now resolves to. Audited.
    pub async fn split(&self, alias: &str, name: Option<&str>) -> Result<Employer> {
        self.s.require(Permission::CandidateWrite)?;
        let tenant = self.s.tenant_id();
        let key = match_key(alias);
        if key.is_empty() {
            return Err(Error::invalid(format!(
                "{alias:?} has no letters or digits to match on"
            )));
        }
        let name = display_name(name.unwrap_or(alias));
        let name_key = match_key(&name);
        if name_key.is_empty() {
            return Err(Error::invalid(format!("{name:?} is not a name")));
        }
        let tx = self.s.begin().await?;
        let from = self.resolve(&tx, alias).await?;
        // The target: the employer with that name, or a new one.
        let mut plan = Plan::default();
        let planned = new_id();
        plan.employers
            .insert(name_key.clone(), (planned, name.clone()));
        let target = plan.write(&tx, tenant).await?.employer(planned);
        if Some(target) == from {
            return Err(Error::invalid(format!(
                "{alias:?} already resolves to the employer named {name:?}"
            )));
        }
        put_alias(&tx, self.s, alias, target, AliasKind::Split).await?;
        // Drop the spelling from the names the old employer keeps.
        if let Some(from) = from {
            let old = employer_row(&tx, tenant, from).await?;
            let kept: Vec<String> = json_strings(&old.aliases)
                .into_iter()
                .filter(|n| match_key(n) != key)
                .collect();
            employers::Entity::update_many()
                .col_expr(
                    employers::Column::Aliases,
                    Expr::value(serde_json::json!(kept)),
                )
                .col_expr(employers::Column::UpdatedAt, Expr::value(now()))
                .filter(employers::Column::TenantId.eq(tenant))
                .filter(employers::Column::EmployerId.eq(from))
                .exec(&tx)
                .await?;
        }
        let rows = experiences_spelled(&tx, tenant, &key).await?;
        let moved = relink_rows(&tx, tenant, rows).await?;
        self.s
            .audit(
                &tx,
                "employer.split",
                "employer",
                Some(target),
                serde_json::json!({"alias": display_name(alias), "from": from, "moved": moved}),
            )
            .await?;
        let row = employer_row(&tx, tenant, target).await?;
        let out = describe(&tx, tenant, vec![row]).await?;
        // Every engine's snapshot of the tenant's employers is stale now.
        index::bump_rev(&tx, self.s.tenant_id()).await?;
        tx.commit().await?;
        Ok(out.into_iter().next().expect("one described row"))
    }

    /// Re-resolves every experience of the tenant from its printed company and title, as
    /// a re-parse would: manual aliases first, then the matcher over the employers that
    /// exist now. Audited.
    pub async fn relink(&self) -> Result<RelinkReport> {
        self.s.require(Permission::CandidateWrite)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let rows = experiences(tenant).all(&tx).await?;
        let n = rows.len() as u64;
        let changed = relink_rows(&tx, tenant, rows).await?;
        self.s
            .audit(
                &tx,
                "employer.relink",
                "employer",
                None,
                serde_json::json!({"experiences": n, "changed": changed}),
            )
            .await?;
        tx.commit().await?;
        Ok(RelinkReport {
            experiences: n,
            changed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(company: &str, start: &str, end: Option<&str>) -> Work {
        Work {
            company: Some(company.into()),
            start: Some(start.parse().unwrap()),
            end: end.map(|e| e.parse().unwrap()),
            ..Default::default()
        }
    }

    fn project(name: &str, description: &str, start: &str) -> Project {
        Project {
            name: name.into(),
            description: Some(description.into()),
            start: Some(start.parse().unwrap()),
            ..Default::default()
        }
    }

    fn keyed(work: &[Work], ids: &[u128]) -> Vec<Option<(Uuid, String)>> {
        work.iter()
            .zip(ids)
            .map(|(w, &id)| {
                Some((
                    Uuid::from_u128(id),
                    normalize_key(&split_department(w.company.as_deref().unwrap()).0),
                ))
            })
            .collect()
    }

    #[test]
    fn a_project_belongs_to_the_job_whose_employer_it_names() {
        let jobs = [
            work("Globex Corporation", "2018-01", Some("2020-12")),
            work("Initech LLC", "2021-01", None),
        ];
        let keys = keyed(&jobs, &[1, 2]);
        let p = project("Ledger", "Payments ledger built at Initech", "2019-03");
        // Named employer wins over dates (the project started during the Globex job).
        assert_eq!(project_job(&p, &jobs, &keys), Some(1));
        // No employer named: a side project, whatever its dates.
        let side = project("Shortlink", "URL shortener, weekend project", "2022-01");
        assert_eq!(project_job(&side, &jobs, &keys), None);
        // Two employers named: ambiguous, not filed.
        let both = project(
            "Bridge",
            "Integration between Globex and Initech",
            "2021-05",
        );
        assert_eq!(project_job(&both, &jobs, &keys), None);
        // Whole words only: "Globexian" is not "Globex".
        let word = project("Globexian tools", "internal", "2019-01");
        assert_eq!(project_job(&word, &jobs, &keys), None);
    }

    #[test]
    fn dates_pick_among_jobs_at_the_named_employer() {
        let jobs = [
            work("Globex", "2015-01", Some("2016-12")),
            work("Initech", "2017-01", Some("2018-12")),
            work("Globex – Research", "2019-01", None),
        ];
        let keys = keyed(&jobs, &[1, 2, 1]);
        let p = project("Forecasting", "Demand model for Globex", "2020-06");
        assert_eq!(project_job(&p, &jobs, &keys), Some(2));
        let early = project("Forecasting", "Demand model for Globex", "2010-06");
        assert_eq!(project_job(&early, &jobs, &keys), Some(0), "first listed");
    }

    #[test]
    fn role_keys_keep_the_level_apart_from_the_title() {
        let (senior, canonical, level) = role_key("Sr. SWE").unwrap();
        assert_eq!(senior, "software engineer@senior");
        assert_eq!(level, Seniority::Senior);
        assert!(canonical.contains("Software Engineer"), "{canonical}");
        assert_eq!(role_key("Senior Software Engineer").unwrap().0, senior);
        assert_eq!(
            role_key("Software Engineer").unwrap().0,
            "software engineer@mid"
        );
        assert_eq!(role_key("  "), None);
    }

    #[test]
    fn a_resume_plans_each_new_employer_once() {
        let empty = Snapshot {
            rev: 0,
            base: Arc::new(EmployerMatcher::new([], DEFAULT_THRESHOLD)),
            recent: EmployerMatcher::new([], DEFAULT_THRESHOLD),
            alias_keys: Default::default(),
        };
        let mut linker = Linker::over(Uuid::nil(), Arc::new(empty));
        let mut plan = Plan::default();
        let a = linker.experience(&mut plan, "Quuxbridge Analytics GmbH", "Data Engineer");
        let b = linker.experience(
            &mut plan,
            "QUUXBRIDGE ANALYTICS, Platform Team",
            "Sr. Data Engineer",
        );
        let c = linker.experience(&mut plan, "Quuxbrigde Analytics", "Data Engineer");
        let d = linker.experience(&mut plan, "Self-employed", "Consultant");
        assert_eq!(plan.employers.len(), 1, "{:?}", plan.employers);
        assert_eq!(a.employer, b.employer);
        assert_eq!(a.employer, c.employer, "a typo in a long name matches");
        assert_eq!(b.department.as_deref(), Some("platformteam"));
        assert_eq!(d.employer, None);
        assert!(d.role.is_some(), "a role without employer is still a role");
        assert_eq!(plan.roles.len(), 3);
    }

    #[test]
    fn seniority_names_round_trip() {
        for s in Seniority::ALL {
            assert_eq!(Seniority::parse(s.as_str()), Some(s));
        }
        assert_eq!(Seniority::parse("wizard"), None);
    }
}
