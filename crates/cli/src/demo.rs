//! `mashboard demo`: seeds "Demo Constabulary" (once) and serves it on this machine only.

use crate::commands::{db_url, serve};
use crate::Global;
use anyhow::{bail, Context, Result};
use mashboard_domain::demo::{
    demo_accounts, demo_people, DEMO_FORCE_NAME, DEMO_PARTNER_AGENCY, DEMO_PASSWORD,
};
use mashboard_domain::roles::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::people;
use mashboard_store::Store;

pub const DEFAULT_DEMO_DB: &str = "sqlite://mashboard-demo.sqlite";

/// Seeds the demo force and accounts; running it again adds nothing that is already there.
pub async fn seed(store: &Store) -> Result<()> {
    let persons: Vec<_> = demo_people()
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i + 2, p))
        .collect();
    let report = people::import(store, &Actor::system(), &persons, false, "the demo force")
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo force failed: {e:?}"))?;
    if !report.created.is_empty() {
        println!(
            "Seeded {} people in {DEMO_FORCE_NAME}.",
            report.created.len()
        );
    }
    for a in demo_accounts() {
        if accounts::by_username(store, a.username).await?.is_some() {
            continue;
        }
        accounts::create(
            store,
            &Actor::system(),
            NewAccount {
                username: a.username,
                roles: &a.roles,
                staff_number: Some(&a.staff_number),
                password: Some(DEMO_PASSWORD),
            },
        )
        .await
        .with_context(|| format!("creating demo account {}", a.username))?;
    }
    // The partner reviewer belongs to their agency (also put right in a demo seeded before).
    for a in demo_accounts() {
        if a.roles.contains(&Role::PartnerReviewer) {
            accounts::set_partner_agency(
                store,
                &Actor::system(),
                a.username,
                Some(DEMO_PARTNER_AGENCY),
            )
            .await
            .with_context(|| format!("setting the partner agency of {}", a.username))?;
        }
    }
    Ok(())
}

pub async fn run(global: &Global) -> Result<()> {
    if !global.addr.ip().is_loopback() {
        bail!(
            "demo mode only listens on this machine (127.0.0.1 or ::1), because its accounts have a published password; {} is not a loopback address",
            global.addr
        );
    }
    let url = db_url(global, DEFAULT_DEMO_DB)?;
    let store = Store::open(&url)
        .await
        .with_context(|| format!("could not open {}", url.redacted()))?;
    // The one reading of the clock: the demo's history runs up to the day it is seeded.
    let today = mashboard_store::training::today();
    seed(&store).await?;
    crate::demo_training::seed(&store, today).await?;
    crate::demo_learning::seed(&store, today).await?;
    crate::demo_partners::seed(&store, today).await?;
    crate::demo_quality::seed(&store, today).await?;
    crate::demo_delivery::seed(&store, today).await?;
    crate::demo_exercises::seed(&store).await?;
    crate::demo_evaluation::seed(&store, today).await?;
    store.refresh_statistics().await?;
    println!();
    println!("{DEMO_FORCE_NAME} demo, database {}", url.redacted());
    println!(
        "Open http://{}/ and sign in with one of these accounts (password: {DEMO_PASSWORD}):",
        global.addr
    );
    for a in demo_accounts() {
        println!(
            "  {:<14} {:<18} {}",
            a.username,
            a.roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
            a.description
        );
    }
    println!();
    serve(store, global, true).await
}
