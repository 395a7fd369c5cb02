//! `mashboard bench-import` (hidden): writes a large register export in the canonical layouts
//! (1,000,000 incidents and 200,000 referrals by default, with UK dates, quoted multi-line
//! narratives and 1% of officers missing from the directory), imports it through the same code
//! as `mashboard import`, and prints rows per second and the process's peak memory (VmHWM).
//!
//! The database is `--db` if given (use a new, empty one), or else a new SQLite file beside
//! the generated files. `--generate-only` just writes the files, to time other tools on them.

use crate::Global;
use anyhow::{bail, Context, Result};
use clap::Args;
use mashboard_domain::people::PersonDraft;
use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::audit_trail::Actor;
use mashboard_store::register;
use mashboard_store::{people, DbUrl, Store};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// How many incidents to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub incidents: usize,
    /// How many referrals to generate.
    #[arg(long, default_value_t = 200_000)]
    pub referrals: usize,
    /// Where to write the files (default: a new temporary directory, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Write the files and stop.
    #[arg(long)]
    pub generate_only: bool,
}

/// Officers in the generated directory; staff numbers B0000..B0499.
const OFFICERS: usize = 500;

/// A small deterministic generator (xorshift64*), so every run writes the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn flag(&mut self, percent: usize) -> &'static str {
        if self.below(100) < percent {
            "Y"
        } else {
            "N"
        }
    }
}

const CATEGORIES: [&str; 8] = [
    "Domestic",
    "Concern for welfare",
    "Missing person",
    "Assault",
    "Neglect",
    "Online harm",
    "Sexual offence",
    "Child exploitation",
];
const AREAS: [&str; 6] = ["North", "South", "East", "West", "City Centre", "Riverside"];
const DEPARTMENTS: [&str; 4] = ["Response", "Neighbourhood", "CID", "Public Protection"];
const PARTNERS: [&str; 4] = [
    "Children's social care",
    "Adult social care",
    "Health",
    "Education",
];
const GRADES: [&str; 3] = ["standard", "medium", "high"];

fn officer(rng: &mut Rng) -> String {
    // One in a hundred is not in the directory: imported unlinked, with a warning.
    if rng.below(100) == 0 {
        format!("X{:04}", rng.below(10_000))
    } else {
        format!("B{:04}", rng.below(OFFICERS))
    }
}

fn when(rng: &mut Rng) -> String {
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        1 + rng.below(28),
        1 + rng.below(12),
        2022 + rng.below(4),
        rng.below(24),
        rng.below(60)
    )
}

fn write_incidents(path: &Path, n: usize) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    writeln!(
        out,
        "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department"
    )?;
    for i in 0..n {
        writeln!(
            out,
            "INC-{i:07},{},{},{},{},{},{},{},{}",
            when(&mut rng),
            rng.pick(&CATEGORIES),
            rng.pick(&AREAS),
            rng.flag(30),
            rng.flag(10),
            rng.flag(25),
            officer(&mut rng),
            rng.pick(&DEPARTMENTS)
        )?;
    }
    out.flush()?;
    Ok(())
}

fn write_referrals(path: &Path, n: usize, incidents: usize) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    writeln!(
        out,
        "referral_ref,incident_ref,submitted_at,subject_type,category,officer_grade,officer_staff_number,partner,narrative"
    )?;
    for i in 0..n {
        let child = rng.below(100) < 70;
        writeln!(
            out,
            "PPN-{i:07},INC-{:07},{},{},{},{},{},{},\"Officers attended after a call from a neighbour, who said \"\"the shouting went on for an hour\"\". {} present; risk assessed as {}.\nViews of the person recorded; consent to share: {}.\"",
            rng.below(incidents.max(1)),
            when(&mut rng),
            if child { "child" } else { "adult" },
            rng.pick(&CATEGORIES),
            rng.pick(&GRADES),
            officer(&mut rng),
            rng.pick(&PARTNERS),
            if child { "Two children were" } else { "An adult at risk was" },
            rng.pick(&GRADES),
            if rng.below(2) == 0 { "given" } else { "not given, shared under safeguarding duty" }
        )?;
    }
    out.flush()?;
    Ok(())
}

/// A duration in milliseconds, for the benchmarks' figures.
/// A benchmark's database: `--db` when given, else a new SQLite file `NAME.sqlite` in a
/// temporary directory (kept as long as the returned guard). Opened, migrated and named on
/// standard output, with its URL (for a benchmark that opens it again).
pub async fn bench_store(
    g: &Global,
    name: &str,
) -> Result<(Option<tempfile::TempDir>, DbUrl, Store)> {
    let mut temp = None;
    let url = match &g.db {
        Some(db) => DbUrl::parse(db)?,
        None => {
            let dir = tempfile::tempdir()?;
            let url = DbUrl::parse(&format!(
                "sqlite://{}",
                dir.path().join(format!("{name}.sqlite")).display()
            ))?;
            temp = Some(dir);
            url
        }
    };
    let store = Store::open(&url)
        .await
        .with_context(|| format!("could not open {}", url.redacted()))?;
    println!("Database: {} ({})", url.redacted(), url.backend().name());
    Ok((temp, url, store))
}

pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median of some timings (the upper middle one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// How a figure stands against its target, as the benchmarks print it.
pub fn verdict(value: f64, target: f64) -> &'static str {
    if value < target {
        "under target"
    } else {
        "OVER TARGET"
    }
}

/// The process's peak resident memory, from `/proc/self/status` (Linux), in MiB.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn import_one(store: &Store, kind: RegisterKind, path: &Path) -> Result<()> {
    let file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let started = Instant::now();
    let mut reader = RegisterReader::new(kind, std::io::BufReader::with_capacity(1 << 16, file))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    reader.set_file_len(file_len);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let report = register::import(store, &Actor::cli(), reader, &name, false).await?;
    let seconds = started.elapsed().as_secs_f64();
    if report.rejected() {
        bail!(
            "the generated {} file was refused: {:?}",
            kind.as_str(),
            report.errors
        );
    }
    println!(
        "{:<10} {:>9} rows in {:>7.2} s = {:>9.0} rows/s ({}; {} warnings)",
        kind.as_str(),
        report.rows_read,
        seconds,
        report.rows_read as f64 / seconds,
        report.summary(),
        report.warning_count
    );
    Ok(())
}

pub async fn run(g: &Global, args: &BenchArgs) -> Result<ExitCode> {
    let temp;
    let dir: PathBuf = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let incidents = dir.join("bench-incidents.csv");
    let referrals = dir.join("bench-referrals.csv");
    let started = Instant::now();
    write_incidents(&incidents, args.incidents).context("writing the incidents file")?;
    write_referrals(&referrals, args.referrals, args.incidents)
        .context("writing the referrals file")?;
    println!(
        "Wrote {} incidents to {} ({} MB) and {} referrals to {} ({} MB) in {:.1} s.",
        args.incidents,
        incidents.display(),
        std::fs::metadata(&incidents)?.len() / 1_000_000,
        args.referrals,
        referrals.display(),
        std::fs::metadata(&referrals)?.len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    if args.generate_only {
        return Ok(ExitCode::SUCCESS);
    }
    let url = match &g.db {
        Some(db) => DbUrl::parse(db)?,
        None => DbUrl::parse(&format!("sqlite://{}", dir.join("bench.sqlite").display()))?,
    };
    let store = Store::open(&url)
        .await
        .with_context(|| format!("could not open {}", url.redacted()))?;
    println!("Database: {} ({})", url.redacted(), url.backend().name());
    // The officers, so that 99% of rows link to someone in the directory.
    let rows: Vec<_> = (0..OFFICERS)
        .filter_map(|i| {
            PersonDraft {
                staff_number: format!("B{i:04}"),
                name: format!("Officer {i}"),
                ..Default::default()
            }
            .validate()
            .ok()
            .map(|p| (i + 2, p))
        })
        .collect();
    people::import(&store, &Actor::cli(), &rows, false, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("seeding officers: {e}"))?;
    import_one(&store, RegisterKind::Incidents, &incidents).await?;
    import_one(&store, RegisterKind::Referrals, &referrals).await?;
    println!(
        "Peak memory (VmHWM): {}",
        peak_memory_mib().map_or("unknown".into(), |m| format!("{m:.0} MiB"))
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
