//! Crash safety of an import: `mashboard import incidents` killed with SIGKILL at 20 moments
//! (pseudo-random from a fixed seed, spread over the time a whole import takes) leaves a SQLite
//! database that passes `PRAGMA integrity_check` and holds either every incident of the file or
//! none; after all that, the same import runs to the end.

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Incidents in the file: enough for a debug build to take about a second over them.
const ROWS: usize = 20_000;
const KILLS: usize = 20;

fn incidents_file(path: &Path) {
    let mut text = String::from("incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n");
    for i in 0..ROWS {
        text.push_str(&format!(
            "INC-{i:07},2024-{:02}-{:02}T{:02}:15:00,Domestic,Area {},{},no,yes,,Response\n",
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 7,
            if i % 3 == 0 { "yes" } else { "no" },
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn mashboard(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mashboard"));
    cmd.env("MASHBOARD_DB", db)
        .env("MASHBOARD_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// `PRAGMA integrity_check` and the incidents held, opened as the next process would open it
/// (so a journal left by the killed one is rolled back first).
async fn check(db: &str) -> (String, i64) {
    let options = SqliteConnectOptions::from_str(db)
        .unwrap()
        .busy_timeout(Duration::from_secs(10))
        .disable_statement_logging();
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    (rows.join("; "), count)
}

/// A small fixed-seed generator (xorshift64*): the same 20 moments every run.
struct Moments(u64);

impl Moments {
    fn next_fraction(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::test]
async fn an_import_killed_at_any_moment_leaves_all_its_rows_or_none_and_a_sound_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("incidents.csv");
    incidents_file(&file);
    let file = file.to_str().unwrap();

    // An empty database with every table, to start again from once an import has committed.
    let template = dir.path().join("template.sqlite");
    let template_url = format!("sqlite://{}", template.display());
    let o = mashboard(&template_url).arg("migrate").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // How long a whole import takes here, on a copy: the kills are spread over it.
    let fresh = |name: &str| {
        let path = dir.path().join(name);
        std::fs::copy(&template, &path).unwrap();
        format!("sqlite://{}", path.display())
    };
    let timing = fresh("timing.sqlite");
    let started = Instant::now();
    let o = mashboard(&timing)
        .args(["import", "incidents", file])
        .output()
        .unwrap();
    let whole = started.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(check(&timing).await, ("ok".to_string(), ROWS as i64));

    let mut moments = Moments(0x5EED_2026_1206);
    let mut generation = 0;
    let mut db = fresh("crash-0.sqlite");
    let (mut none, mut all) = (0, 0);
    for kill in 1..=KILLS {
        let at = whole.mul_f64(0.05 + 1.0 * moments.next_fraction());
        let mut child = mashboard(&db)
            .args(["import", "incidents", file])
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        // SIGKILL: no handler runs, nothing is flushed or rolled back by the process itself.
        let _ = child.kill();
        child.wait().unwrap();

        let (integrity, count) = check(&db).await;
        assert_eq!(integrity, "ok", "kill {kill} after {at:?}");
        assert!(
            count == 0 || count == ROWS as i64,
            "kill {kill} after {at:?} left {count} of {ROWS} incidents"
        );
        if count == 0 {
            none += 1;
        } else {
            // Committed before the kill: go on killing imports into a database without them.
            all += 1;
            generation += 1;
            db = fresh(&format!("crash-{generation}.sqlite"));
        }
    }
    // The moments must have caught imports in flight, not only before or after.
    assert!(none > 0, "no kill came before the commit ({all} after)");

    let o = mashboard(&db)
        .args(["import", "incidents", file])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(check(&db).await, ("ok".to_string(), ROWS as i64));
}
