//! Docs that describe the schema must match it.

use resumeflow::migrations::all_tables;

#[test]
fn schema_md_lists_every_table_and_column() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schema.md")).unwrap();
    let mermaid = doc
        .split("```mermaid")
        .nth(1)
        .expect("a mermaid block")
        .split("```")
        .next()
        .unwrap();
    for t in all_tables() {
        let block = mermaid
            .split(&format!("    {} {{", t.name))
            .nth(1)
            .unwrap_or_else(|| panic!("docs/schema.md lacks table {}", t.name));
        let block = block.split("    }").next().unwrap();
        for c in &t.columns {
            assert!(
                block
                    .lines()
                    .any(|l| l.split_whitespace().nth(1) == Some(c.name)),
                "docs/schema.md lacks {}.{}",
                t.name,
                c.name
            );
        }
    }
}
