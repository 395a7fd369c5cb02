//! `mashboard catalogue starter`: a new force's empty catalogue gets the demo's modules and
//! programmes, on SQLite and on PostgreSQL; running it again changes nothing.

use crate::common::{count, databases, run, text};

#[tokio::test]
async fn catalogue_starter_fills_an_empty_catalogue_once() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        let o = run(&db, &["migrate"], None);
        assert!(o.status.success(), "{}", text(&o));
        let o = run(&db, &["catalogue", "starter"], None);
        assert!(o.status.success(), "{}", text(&o));
        let modules = count(&db, "modules").await;
        let programmes = count(&db, "role_profiles").await;
        assert!(modules > 10 && programmes > 0, "{}", text(&o));
        assert!(
            text(&o).contains(&format!(
                "Added {modules} module(s), {programmes} role programme(s)"
            )),
            "{}",
            text(&o)
        );
        let o = run(&db, &["catalogue", "starter"], None);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("Added 0 module(s), 0 role programme(s) and 0 guidance tag(s)"),
            "{}",
            text(&o)
        );
        assert!(text(&o).contains("FL-PPN"), "kept codes are named");
        assert_eq!(count(&db, "modules").await, modules);
    }
}
