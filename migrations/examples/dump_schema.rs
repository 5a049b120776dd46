//! Prints every table of the model, one column per line:
//! `table<TAB>column<TAB>type<TAB>null|notnull<TAB>pk|-<TAB>tenant|-`, then foreign keys as
//! `fk<TAB>table<TAB>columns<TAB>target<TAB>target columns`. Used to draw docs/schema.md.

fn main() {
    for t in resumeflow_migrations::all_tables() {
        for c in &t.columns {
            println!(
                "col\t{}\t{}\t{:?}\t{}\t{}\t{}",
                t.name,
                c.name,
                c.ty,
                if c.nullable { "null" } else { "notnull" },
                if t.primary_key.contains(&c.name) {
                    "pk"
                } else {
                    "-"
                },
                if t.tenant { "tenant" } else { "-" },
            );
        }
        for fk in &t.foreign_keys {
            println!(
                "fk\t{}\t{}\t{}\t{}",
                t.name,
                fk.columns.join(","),
                fk.table,
                fk.ref_columns.join(",")
            );
        }
    }
}
