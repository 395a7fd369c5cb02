// Real-browser accessibility and navigation test for mashboard.
//
// Drives Debian's Chromium (puppeteer-core over CDP) against a running server:
//   1. for every demo account: sign in, crawl the pages its navigation links to,
//      require 200 for each and no axe-core violation (WCAG 2.2 AA), sign out;
//   2. as demo-admin: submit /people/new with a validation error, check the GOV.UK
//      error pattern, correct it and land on the new person's page.
//
// Usage: BASE_URL=http://127.0.0.1:8089 node tests/browser/run.mjs
//   (scripts/browser-test starts a demo server and runs this for you.)
// Environment:
//   BASE_URL   server to test (default http://127.0.0.1:8089)
//   CHROMIUM   browser executable (default /usr/bin/chromium)
//   ROLES      comma-separated demo accounts to crawl (default: all nine)
//   MAX_PAGES  pages per role (default 60)
//   SKIP_FORM  set to 1 to skip the /people/new form check
//   SKIP_IMPACT, SKIP_EVALUATION, SKIP_TRAINING, SKIP_REVIEW, SKIP_EXERCISE  set to 1 to
//              skip that flow (the evaluation flow: the trainer works out a report,
//              publishes it after the confirmation page, and its PDF downloads)
// Exit status: 0 when everything passed, 1 on any failure, 2 on a setup error.

import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);

const BASE_URL = (process.env.BASE_URL || "http://127.0.0.1:8089").replace(/\/+$/, "");
const ORIGIN = new URL(BASE_URL).origin;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const AXE_PATH = require.resolve("axe-core/axe.min.js");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const PASSWORD = "demo-password";
const ALL_ROLES = [
  "demo-admin",
  "demo-trainer",
  "demo-mash",
  "demo-mentor",
  "demo-manager",
  "demo-officer",
  "demo-leader",
  "demo-partner",
  "demo-auditor",
];
const ROLES = process.env.ROLES
  ? process.env.ROLES.split(",").map((r) => r.trim()).filter(Boolean)
  : ALL_ROLES;
const MAX_PAGES = Number(process.env.MAX_PAGES || 60);
const PAGES_PER_PATTERN = 2;
const QUERY_VARIANTS_PER_PATH = 3;
const SKIPPED_EXTENSIONS = /\.(csv|xlsx|json|ics|pdf)$/i;
const NAV_TIMEOUT_MS = 30_000;
// What GOV.UK / MOJ Frontend log when a component cannot start.
const FRONTEND_ERROR = /\b(SupportError|ElementError|ConfigError|InitError|GOVUKFrontendError)\b/;
// data-module values that GOV.UK Frontend's and MOJ Frontend's initAll() start.
const MOJ_AUTO_MODULES = [
  "moj-add-another",
  "moj-alert",
  "moj-button-menu",
  "moj-date-picker",
  "moj-multi-select",
  "moj-password-reveal",
  "moj-pds-header",
  "moj-rich-text-editor",
  "moj-search-toggle",
  "moj-sortable-table",
];

// ---------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------

const failures = []; // { where, message }
let passed = 0;

function fail(where, message) {
  failures.push({ where, message });
  console.log(`FAIL ${where}: ${message}`);
}

function info(message) {
  console.log(message);
}

function describeViolations(violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`axe ${v.id} (${v.impact ?? "n/a"}): ${v.help} [${v.helpUrl}]`);
    const shown = v.nodes.slice(0, 10);
    for (const n of shown) {
      const target = n.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : t)).join(" | ");
      const summary = (n.failureSummary || "").split("\n").slice(1, 2).join("").trim();
      lines.push(`      at ${target}${summary ? ` -- ${summary}` : ""}`);
    }
    if (v.nodes.length > shown.length) {
      lines.push(`      ... and ${v.nodes.length - shown.length} more node(s)`);
    }
  }
  return lines.join("\n    ");
}

// ---------------------------------------------------------------------------------
// Browser helpers
// ---------------------------------------------------------------------------------

/** A page that records uncaught script errors and failed same-origin sub-resources. */
async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  page.setDefaultTimeout(NAV_TIMEOUT_MS);
  // axe is injected as an inline script: let it through the app's CSP.
  await page.setBypassCSP(true);
  await page.setViewport({ width: 1280, height: 900 });
  page.problems = [];
  page.on("pageerror", (err) => page.problems.push(`script error: ${err.message || err}`));
  page.on("console", (msg) => {
    const text = msg.text();
    if (text.startsWith("Failed to load resource")) return; // reported by the response handler
    if (msg.type() === "error" || FRONTEND_ERROR.test(text)) {
      page.problems.push(`console: ${text.split("\n")[0]}`);
    }
  });
  page.on("response", (res) => {
    const req = res.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) return;
    const url = new URL(res.url());
    if (url.origin !== ORIGIN || url.pathname === "/favicon.ico") return;
    if (res.status() >= 400) {
      page.problems.push(`sub-resource ${url.pathname}${url.search} answered ${res.status()}`);
    }
  });
  page.on("requestfailed", (req) => {
    const url = new URL(req.url());
    if (url.origin !== ORIGIN || req.isNavigationRequest()) return;
    page.problems.push(`sub-resource ${url.pathname} failed: ${req.failure()?.errorText}`);
  });
  return page;
}

/** Navigates and returns the main response; problems are reset for the new page. */
async function goto(page, url) {
  page.problems = [];
  return page.goto(url, { waitUntil: "load" });
}

/** Clicks `buttonSelector` and waits for the navigation it causes. */
async function submitWith(page, buttonSelector) {
  page.problems = [];
  const button = await page.$(buttonSelector);
  if (!button) throw new Error(`no element matches ${buttonSelector}`);
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    button.click(),
  ]);
  return response;
}

function pathOf(page) {
  const u = new URL(page.url());
  return `${u.pathname}${u.search}`;
}

/** Runs axe-core on the current page; records a failure per page with violations. */
async function checkAxe(page, where) {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const results = await axe.run(document, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations"],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, AXE_TAGS);
  if (violations.length > 0) {
    const ids = violations.map((v) => v.id).join(", ");
    fail(where, `${violations.length} accessibility violation(s) (${ids}):\n    ${describeViolations(violations)}`);
    return false;
  }
  return true;
}

/** Checks that app.js ran: GOV.UK / MOJ components on the page were initialised. */
async function checkScripts(page) {
  const state = await page.evaluate((moj) => {
    const pending = [...document.querySelectorAll("[data-module]")]
      .map((el) => el.getAttribute("data-module"))
      .filter((m, i, all) => all.indexOf(m) === i)
      .filter((m) => m.startsWith("govuk-") || moj.includes(m))
      .filter((m) => [...document.querySelectorAll(`[data-module="${m}"]`)].some((el) => !el.hasAttribute(`data-${m}-init`)));
    return { supported: document.body.classList.contains("govuk-frontend-supported"), pending };
  }, MOJ_AUTO_MODULES);
  if (!state.supported) {
    page.problems.push("JavaScript did not run: <body> lacks govuk-frontend-supported (is the app.js module included?)");
  } else if (state.pending.length > 0) {
    page.problems.push(`components not initialised by JavaScript: ${state.pending.join(", ")}`);
  }
}

/** Reports script errors, uninitialised components and failed sub-resources. */
async function checkProblems(page, where) {
  await checkScripts(page);
  if (page.problems.length === 0) return true;
  fail(where, [...new Set(page.problems)].join("; "));
  return false;
}

async function signIn(page, username) {
  const where = `${username} sign-in`;
  const res = await goto(page, `${BASE_URL}/login`);
  if (!res || res.status() !== 200) {
    fail(where, `GET /login answered ${res ? res.status() : "nothing"}`);
    return false;
  }
  const form = 'form:has(input[name="username"])';
  for (const sel of [
    `${form} input[name="username"]`,
    `${form} input[name="password"]`,
    `${form} input[name="csrf_token"]`,
    `${form} button`,
  ]) {
    if (!(await page.$(sel))) {
      fail(where, `the sign-in page has no ${sel}`);
      return false;
    }
  }
  await page.type(`${form} input[name="username"]`, username);
  await page.type(`${form} input[name="password"]`, PASSWORD);
  const after = await submitWith(page, `${form} button:not([type="button"]):not([type="reset"])`);
  const landed = new URL(page.url()).pathname;
  // A senior leader's first page is the impact dashboard.
  const expected = username === "demo-leader" ? "/impact" : "/";
  if (landed !== expected) {
    const errorText = await page
      .$eval(".govuk-error-summary", (e) => e.innerText.replace(/\s+/g, " ").trim())
      .catch(() => "");
    fail(
      where,
      `expected to land on ${expected} after signing in, got ${pathOf(page)} (${after ? after.status() : "no response"})` +
        (errorText ? `: ${errorText}` : ""),
    );
    return false;
  }
  return true;
}

async function signOut(page, username) {
  const where = `${username} sign-out`;
  const form = await page.$('form[action="/logout"]');
  if (!form) {
    fail(where, `${pathOf(page)} has no <form method="post" action="/logout"> to sign out with`);
    return false;
  }
  const method = (await form.evaluate((f) => f.getAttribute("method") || "get")).toLowerCase();
  if (method !== "post") {
    fail(where, `the sign-out form uses method="${method}", expected post`);
  }
  page.problems = [];
  const hasButton = await page.$('form[action="/logout"] button, form[action="/logout"] [type="submit"]');
  const [res] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    hasButton ? hasButton.click() : form.evaluate((f) => f.requestSubmit()),
  ]);
  const landed = new URL(page.url()).pathname;
  if (landed !== "/login") {
    fail(where, `expected to be back at /login after signing out, got ${pathOf(page)} (${res ? res.status() : "no response"})`);
    return false;
  }
  // The session must really be gone.
  const check = await goto(page, `${BASE_URL}/`);
  if (new URL(page.url()).pathname !== "/login") {
    fail(where, `after signing out, GET / answered ${check ? check.status() : "nothing"} at ${pathOf(page)} instead of sending to /login`);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------
// Crawl
// ---------------------------------------------------------------------------------

/** "/people/AB123/edit" -> "/people/:id/edit": segments with a digit look like ids. */
function patternOf(pathname) {
  return pathname
    .split("/")
    .map((seg) => (/\d/.test(seg) ? ":id" : seg))
    .join("/");
}

function skipReason(url) {
  if (url.origin !== ORIGIN) return "other origin";
  const p = url.pathname;
  if (p.startsWith("/api/") || p === "/api") return "api";
  if (p.startsWith("/assets/")) return "asset";
  if (SKIPPED_EXTENSIONS.test(p)) return "download";
  if (p === "/logout" || p === "/login") return "session";
  return null;
}

/** Same-origin links on the current page, with their visible text. */
async function linksOn(page) {
  return page.$$eval("a[href]", (anchors) =>
    anchors.map((a) => ({
      href: a.getAttribute("href"),
      abs: a.href,
      download: a.hasAttribute("download"),
      text: (a.innerText || a.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim().slice(0, 60),
    })),
  );
}

async function crawl(page, role) {
  const queue = [{ key: "/", from: "(start)", text: "" }];
  const seenKeys = new Set(["/"]);
  const pathsPerPattern = new Map([[patternOf("/"), new Set(["/"])]]);
  const queriesPerPath = new Map();
  let checked = 0;
  let capped = false;

  function consider(link, fromKey) {
    if (!link.href || link.href.startsWith("#") || link.download) return;
    let url;
    try {
      url = new URL(link.abs);
    } catch {
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return;
    if (skipReason(url)) return;
    url.hash = "";
    const key = `${url.pathname}${url.search}`;
    if (seenKeys.has(key)) return;
    // At most 2 paths per id pattern.
    const pattern = patternOf(url.pathname);
    const paths = pathsPerPattern.get(pattern) ?? new Set();
    if (!paths.has(url.pathname) && paths.size >= PAGES_PER_PATTERN) return;
    // At most 3 query-string variants per path.
    if (url.search) {
      const queries = queriesPerPath.get(url.pathname) ?? new Set();
      if (queries.size >= QUERY_VARIANTS_PER_PATH) return;
      queries.add(url.search);
      queriesPerPath.set(url.pathname, queries);
    }
    paths.add(url.pathname);
    pathsPerPattern.set(pattern, paths);
    seenKeys.add(key);
    queue.push({ key, from: fromKey, text: link.text });
  }

  while (queue.length > 0) {
    if (checked >= MAX_PAGES) {
      capped = true;
      break;
    }
    const { key, from, text } = queue.shift();
    const where = `${role} ${key}`;
    const via = from === "(start)" ? "" : ` (linked from ${from}${text ? ` as "${text}"` : ""})`;
    checked += 1;
    let res;
    try {
      res = await goto(page, `${BASE_URL}${key}`);
    } catch (err) {
      const hint = /ERR_ABORTED/.test(String(err))
        ? " -- a download? give the link a `download` attribute or a file extension"
        : "";
      fail(where, `navigation failed: ${err.message}${via}${hint}`);
      continue;
    }
    const status = res ? res.status() : 0;
    if (status === 403) {
      fail(where, `403 Forbidden${via}: navigation must not show links a role cannot use`);
      continue;
    }
    if (new URL(page.url()).pathname === "/login") {
      fail(where, `sent to /login: the session was lost or the page is not for signed-in users${via}`);
      continue;
    }
    if (status !== 200) {
      fail(where, `answered ${status}${via}`);
      continue;
    }
    const type = res.headers()["content-type"] || "";
    if (!type.startsWith("text/html")) {
      fail(where, `answered ${type || "no content type"}, not HTML${via}: give such links a \`download\` attribute or a file extension`);
      continue;
    }
    const axeOk = await checkAxe(page, where);
    const problemsOk = await checkProblems(page, where);
    if (axeOk && problemsOk) passed += 1;
    const here = pathOf(page);
    for (const link of await linksOn(page)) consider(link, here);
  }
  return { checked, capped, left: queue.length };
}

async function checkRole(browser, role) {
  const context = await browser.createBrowserContext();
  const failuresBefore = failures.length;
  let result = { checked: 0, capped: false, left: 0 };
  try {
    const page = await newPage(context);
    if (role === ROLES[0]) {
      // The sign-in page is public: check it once.
      const res = await goto(page, `${BASE_URL}/login`);
      if (res && res.status() === 200) {
        const axeOk = await checkAxe(page, "(signed out) /login");
        if ((await checkProblems(page, "(signed out) /login")) && axeOk) passed += 1;
      }
    }
    if (await signIn(page, role)) {
      result = await crawl(page, role);
      if (await signOut(page, role)) passed += 1;
    }
  } catch (err) {
    fail(role, `unexpected error: ${err.stack || err}`);
  } finally {
    await context.close().catch(() => {});
  }
  const roleFailures = failures.length - failuresBefore;
  info(
    `${role}: ${result.checked} page(s) checked` +
      (result.capped ? ` (cap of ${MAX_PAGES} reached, ${result.left} more queued)` : "") +
      (roleFailures ? `, ${roleFailures} failure(s)` : ", all passed"),
  );
  return { role, ...result, failures: roleFailures };
}

// ---------------------------------------------------------------------------------
// Form with a validation error and its correction
// ---------------------------------------------------------------------------------

async function checkPeopleForm(browser) {
  const role = "demo-admin";
  const context = await browser.createBrowserContext();
  const failuresBefore = failures.length;
  const staffNumber = `BT${Date.now()}`.slice(0, 20);
  try {
    const page = await newPage(context);
    if (!(await signIn(page, role))) return false;

    let where = `${role} GET /people/new`;
    const res = await goto(page, `${BASE_URL}/people/new`);
    if (!res || res.status() !== 200) {
      fail(where, `answered ${res ? res.status() : "nothing"}`);
      return false;
    }
    const form = 'form:has([name="staff_number"])';
    for (const sel of [`${form} input[name="staff_number"]`, `${form} [name="name"]`]) {
      if (!(await page.$(sel))) {
        fail(where, `the form has no ${sel}`);
        return false;
      }
    }
    const submit = `${form} button:not([type="button"]):not([type="reset"])`;
    await page.$eval(`${form} input[name="staff_number"]`, (el, v) => (el.value = v), staffNumber);
    await page.$eval(`${form} [name="name"]`, (el) => (el.value = ""));

    where = `${role} POST /people/new without a name`;
    const invalid = await submitWith(page, submit);
    const status = invalid ? invalid.status() : 0;
    if (status >= 500 || status === 0) {
      fail(where, `answered ${status || "nothing"}`);
      return false;
    }
    const state = await page.evaluate(() => {
      const summary = document.querySelector(".govuk-error-summary");
      const nameField = document.querySelector('[name="name"]');
      const group = nameField ? nameField.closest(".govuk-form-group") : null;
      const staff = document.querySelector('input[name="staff_number"]');
      return {
        summary: !!summary,
        summaryText: summary ? summary.innerText.replace(/\s+/g, " ").trim() : "",
        summaryLinksToName: !!(summary && summary.querySelector('a[href="#name"]')),
        nameId: nameField ? nameField.id : null,
        targetExists: !!document.getElementById("name"),
        inlineError: !!(group && group.querySelector(".govuk-error-message")),
        groupHasErrorClass: !!(group && group.classList.contains("govuk-form-group--error")),
        staffValue: staff ? staff.value : null,
      };
    });
    let ok = true;
    if (!state.summary) {
      fail(where, `no .govuk-error-summary on ${pathOf(page)} (status ${status})`);
      ok = false;
    } else if (!state.summaryLinksToName) {
      fail(where, `the error summary has no link to #name: "${state.summaryText}"`);
      ok = false;
    }
    if (!state.targetExists) {
      fail(where, `the summary's link target #name does not exist (the name field's id is "${state.nameId}")`);
      ok = false;
    }
    if (!state.inlineError) {
      fail(where, "no .govuk-error-message inside the name field's .govuk-form-group");
      ok = false;
    } else if (!state.groupHasErrorClass) {
      fail(where, "the name field's .govuk-form-group lacks govuk-form-group--error");
      ok = false;
    }
    if ((state.staffValue || "").toUpperCase() !== staffNumber.toUpperCase()) {
      fail(where, `the staff number typed (${staffNumber}) was not kept: the field holds "${state.staffValue}"`);
      ok = false;
    }
    const axeOk = await checkAxe(page, `${where} (error page)`);
    if ((await checkProblems(page, where)) && axeOk && ok) passed += 1;
    if (!state.summary || !(await page.$(`${form} [name="name"]`))) return false;

    where = `${role} POST /people/new corrected`;
    await page.$eval(`${form} [name="name"]`, (el) => (el.value = "Browser Test Person"));
    // Keep what the server re-rendered; set the staff number again only if it was lost.
    if (!state.staffValue) {
      await page.$eval(`${form} input[name="staff_number"]`, (el, v) => (el.value = v), staffNumber);
    }
    const created = await submitWith(page, submit);
    const expected = `/people/${staffNumber.toUpperCase()}`;
    const landed = new URL(page.url()).pathname;
    if (landed !== expected) {
      const errorText = await page
        .$eval(".govuk-error-summary", (e) => e.innerText.replace(/\s+/g, " ").trim())
        .catch(() => "");
      fail(where, `expected to land on ${expected}, got ${pathOf(page)} (${created ? created.status() : "no response"})${errorText ? `: ${errorText}` : ""}`);
      return false;
    }
    if (created && created.status() !== 200) {
      fail(where, `${expected} answered ${created.status()}`);
      return false;
    }
    const body = await page.evaluate(() => document.body.innerText);
    if (!body.includes("Browser Test Person")) {
      fail(where, `${expected} does not show "Browser Test Person"`);
      return false;
    }
    const createdAxeOk = await checkAxe(page, `${role} ${expected}`);
    if ((await checkProblems(page, `${role} ${expected}`)) && createdAxeOk) passed += 1;
    return failures.length === failuresBefore;
  } catch (err) {
    fail(`${role} people form`, `unexpected error: ${err.stack || err}`);
    return false;
  } finally {
    await context.close().catch(() => {});
    info(`people form (${staffNumber}): ${failures.length === failuresBefore ? "passed" : "failed"}`);
  }
}

// ---------------------------------------------------------------------------------
// Training: assign a new MASH starter, record a completion, two-party sign-off
// ---------------------------------------------------------------------------------

const DEMO_MENTOR_STAFF_NUMBER = "S69202"; // demo-mentor's person in the demo force
const DEMO_MANAGER_STAFF_NUMBER = "9046"; // demo-manager's person

/** Fills named fields on the current page (inputs, selects by value or visible text, radios). */
async function fill(page, fields) {
  for (const [name, value] of Object.entries(fields)) {
    const kind = await page.$eval(`[name="${name}"]`, (el) => `${el.tagName}:${el.type || ""}`).catch(() => null);
    if (!kind) throw new Error(`${pathOf(page)} has no field named ${name}`);
    if (kind.startsWith("SELECT")) {
      const ok = await page.$eval(`select[name="${name}"]`, (el, v) => {
        const opt = [...el.options].find((o) => o.value === v || o.textContent.includes(v));
        if (opt) el.value = opt.value;
        return !!opt;
      }, value);
      if (!ok) throw new Error(`${pathOf(page)}: no option "${value}" in ${name}`);
    } else if (kind.endsWith(":radio") || kind.endsWith(":checkbox")) {
      await page.$eval(`[name="${name}"][value="${value}"]`, (el) => (el.checked = true));
    } else {
      await page.$eval(`[name="${name}"]`, (el, v) => (el.value = v), value);
    }
  }
}

/** Submits the form holding `field` and checks the page it lands on (status, axe, scripts). */
async function submitForm(page, field, where, expectPath) {
  const res = await submitWith(page, `form:has([name="${field}"]) button[type="submit"]`);
  const status = res ? res.status() : 0;
  const errorText = await page.$eval(".govuk-error-summary", (e) => e.innerText.replace(/\s+/g, " ").trim()).catch(() => "");
  if (status !== 200 || (expectPath && !new URL(page.url()).pathname.startsWith(expectPath)) || errorText) {
    throw new Error(`${where}: landed on ${pathOf(page)} (${status})${errorText ? `: ${errorText}` : ""}`);
  }
  const axeOk = await checkAxe(page, where);
  if ((await checkProblems(page, where)) && axeOk) passed += 1;
}

async function asUser(browser, username, steps) {
  const context = await browser.createBrowserContext();
  try {
    const page = await newPage(context);
    if (!(await signIn(page, username))) throw new Error(`could not sign in as ${username}`);
    await steps(page);
  } finally {
    await context.close().catch(() => {});
  }
}

/** The senior leader lands on the impact dashboard: every chart has its table; axe-clean. */
async function checkImpactDashboard(browser) {
  const where = "impact dashboard";
  await asUser(browser, "demo-leader", async (page) => {
    if (new URL(page.url()).pathname !== "/impact") return fail(where, `landed on ${pathOf(page)}`);
    const figures = await page.$$eval("section.app-impact-figure", (ss) =>
      ss.map((s) => ({
        heading: s.querySelector("h2")?.innerText ?? "",
        chart: !!s.querySelector("svg.app-chart title") && !!s.querySelector("svg.app-chart desc"),
        table: !!s.querySelector("details table caption"),
      })),
    );
    if (figures.length < 7) fail(where, `${figures.length} figures, expected 7`);
    for (const f of figures) {
      if (!f.chart) fail(where, `"${f.heading}" has no chart with a title and description`);
      if (!f.table) fail(where, `"${f.heading}" has no table`);
    }
    const axeOk = await checkAxe(page, where);
    if ((await checkProblems(page, where)) && axeOk && figures.every((f) => f.chart && f.table)) passed += 1;
  });
}

// ---------------------------------------------------------------------------------
// Evaluation report: the trainer works one out, publishes it (after a confirmation page),
// and its PDF downloads.
// ---------------------------------------------------------------------------------

async function checkEvaluationFlow(browser) {
  const failuresBefore = failures.length;
  let reportId = null;
  try {
    await asUser(browser, "demo-trainer", async (page) => {
      await goto(page, `${BASE_URL}/impact/evaluation`);
      await fill(page, { title: `Browser test evaluation ${Date.now()}`, from: "2022-01-01", to: "2025-12-31" });
      await submitForm(page, "from", "trainer works out an evaluation report", "/impact/evaluation/");
      reportId = new URL(page.url()).pathname.split("/")[3];
      if (!/^\d+$/.test(reportId || "")) throw new Error(`no report id in ${pathOf(page)}`);
      // Publishing asks first, on a page of its own.
      await goto(page, `${BASE_URL}/impact/evaluation/${reportId}/publish`);
      if (new URL(page.url()).pathname !== `/impact/evaluation/${reportId}/publish`) {
        throw new Error(`the publish link landed on ${pathOf(page)}`);
      }
      await axeAndProblems(page, "publish the evaluation report (confirmation)");
      const res = await submitWith(page, `form[action="/impact/evaluation/${reportId}/publish"] button[type="submit"]`);
      if (!res || res.status() !== 200 || new URL(page.url()).pathname !== `/impact/evaluation/${reportId}`) {
        throw new Error(`publishing landed on ${pathOf(page)} (${res ? res.status() : 0})`);
      }
      const body = await page.evaluate(() => document.body.innerText);
      if (!body.includes("These figures are frozen")) throw new Error("the published report does not say it is frozen");
      const charts = await page.$$eval("svg.app-chart", (ss) => ss.filter((s) => s.querySelector("title") && s.querySelector("desc")).length);
      if (charts < 1) throw new Error("the published report has no chart with a title and description");
      await axeAndProblems(page, "published evaluation report");
      // The PDF link on the page downloads a PDF (fetched in the signed-in page, as a browser would).
      const href = await page.$eval(`a[href="/impact/evaluation/${reportId}/report.pdf"]`, (a) => a.getAttribute("href"));
      const pdf = await page.evaluate(async (url) => {
        const r = await fetch(url, { credentials: "same-origin" });
        const bytes = new Uint8Array(await r.arrayBuffer());
        return { status: r.status, type: r.headers.get("content-type") || "", start: String.fromCharCode(...bytes.slice(0, 5)), size: bytes.length };
      }, href);
      if (pdf.status !== 200) throw new Error(`the PDF answered ${pdf.status}`);
      if (!pdf.type.startsWith("application/pdf")) throw new Error(`the PDF came as ${pdf.type}`);
      if (pdf.start !== "%PDF-") throw new Error(`the PDF starts with ${JSON.stringify(pdf.start)}`);
      info(`evaluation report ${reportId}: PDF of ${pdf.size} bytes`);
      passed += 1;
    });
  } catch (err) {
    fail("evaluation report flow", err.message || String(err));
  }
  info(`evaluation report flow (report ${reportId}): ${failures.length === failuresBefore ? "passed" : "failed"}`);
}

async function checkTrainingFlow(browser) {
  const failuresBefore = failures.length;
  const stamp = String(Date.now()).slice(-8);
  const staffNumber = `NS${stamp}`;
  const username = `starter-${stamp}`;
  try {
    // The administrator adds the starter to the directory, mentored and managed by the demo pair,
    // and gives them an account.
    await asUser(browser, "demo-admin", async (page) => {
      await goto(page, `${BASE_URL}/people/new`);
      await fill(page, {
        staff_number: staffNumber,
        name: `New Starter ${stamp}`,
        department: "Public Protection",
        team: "MASH - Research",
        mentor_staff_number: DEMO_MENTOR_STAFF_NUMBER,
        line_manager_staff_number: DEMO_MANAGER_STAFF_NUMBER,
      });
      await submitForm(page, "staff_number", "admin adds a new MASH starter", `/people/${staffNumber}`);
      await goto(page, `${BASE_URL}/admin/users/new`);
      await fill(page, { username, staff_number: staffNumber, password: PASSWORD, confirm_password: PASSWORD });
      await page.$eval('[name="roles"][value="mash_staff"]', (el) => (el.checked = true));
      await submitForm(page, "username", "admin creates the starter's account", `/admin/users/${username}`);
    });
    // The trainer assigns them to the MASH researcher programme.
    await asUser(browser, "demo-trainer", async (page) => {
      await goto(page, `${BASE_URL}/people/${staffNumber}/training`);
      await fill(page, { profile_id: "MASH researcher", started_on: new Date().toISOString().slice(0, 10) });
      await submitForm(page, "profile_id", "trainer assigns the starter to MASH researcher", `/people/${staffNumber}/training`);
      const body = await page.evaluate(() => document.body.innerText);
      if (!body.includes("MASH induction")) throw new Error("the starter's plan does not list the MASH induction");
    });
    // The starter records the MASH induction.
    await asUser(browser, username, async (page) => {
      await goto(page, `${BASE_URL}/my/training`);
      await fill(page, { module_id: "MASH-IND", completed_on: new Date().toISOString().slice(0, 10), mode: "face_to_face" });
      await submitForm(page, "module_id", "starter records the MASH induction", "/my/training");
    });
    // The mentor, then the line manager, sign it off from their queues.
    for (const signer of ["demo-mentor", "demo-manager"]) {
      await asUser(browser, signer, async (page) => {
        await goto(page, `${BASE_URL}/sign-offs`);
        const href = await page.$$eval("a", (links, who) => {
          const row = links.find((a) => a.closest("tr") && a.closest("tr").innerText.includes(who));
          return row ? row.getAttribute("href") : null;
        }, `New Starter ${stamp}`);
        if (!href) throw new Error(`${signer}'s sign-off queue does not list the starter`);
        await goto(page, `${BASE_URL}${href}`);
        await fill(page, { comment: `Signed by ${signer} in the browser test` });
        await submitForm(page, "comment", `${signer} signs off`, "/completions/");
      });
    }
    // The trainer's matrix shows it signed off.
    await asUser(browser, "demo-trainer", async (page) => {
      const res = await goto(page, `${BASE_URL}/training/matrix?view=list&team=${encodeURIComponent("MASH - Research")}`);
      if (!res || res.status() !== 200) throw new Error(`the matrix answered ${res ? res.status() : "nothing"}`);
      const signed = await page.$$eval("tr", (rows, who) => rows.some((r) => r.innerText.includes(who) && r.innerText.includes("Signed off")), `New Starter ${stamp}`);
      if (!signed) throw new Error("the matrix does not show the starter's MASH induction as signed off");
      const axeOk = await checkAxe(page, "trainer's matrix");
      if ((await checkProblems(page, "trainer's matrix")) && axeOk) passed += 1;
    });
  } catch (err) {
    fail("training flow", err.message || String(err));
  }
  info(`training flow (${staffNumber}): ${failures.length === failuresBefore ? "passed" : "failed"}`);
}


// ---------------------------------------------------------------------------------
// Referral quality review: open, two graders grade blind, moderate, close, result
// ---------------------------------------------------------------------------------

async function gradeAll(page, reviewId, grades, who) {
  await goto(page, `${BASE_URL}/quality/reviews/${reviewId}`);
  const refs = await page.$$eval(`a[href^="/quality/reviews/${reviewId}/referrals/"]`, (as) => as.map((a) => a.getAttribute("href")));
  if (refs.length !== grades.length) throw new Error(`${who} sees ${refs.length} referrals to grade, expected ${grades.length}`);
  for (let i = 0; i < refs.length; i++) {
    await goto(page, `${BASE_URL}${refs[i]}`);
    const body = await page.evaluate(() => document.body.innerText);
    if (who === "demo-partner" && !body.includes("pseudonymised copy")) throw new Error("the partner's view is not pseudonymised");
    const axeOk = await checkAxe(page, `${who} grades ${refs[i]}`);
    if ((await checkProblems(page, `${who} grades ${refs[i]}`)) && axeOk) passed += 1;
    const criteria = await page.$$eval('input[name^="criterion-"]', (els) => [...new Set(els.map((e) => e.name))]);
    const fields = { grade: String(grades[i]), comment: `${who}: the child's voice and the ask of the partner` };
    for (const c of criteria) fields[c] = String(grades[i]);
    await fill(page, fields);
    await submitForm(page, "comment", `${who} saves grade ${i + 1}`, "/quality/reviews/");
  }
  await goto(page, `${BASE_URL}/quality/reviews/${reviewId}`);
  await submitForm(page, "confirm", `${who} submits their grades`, `/quality/reviews/${reviewId}`);
}

async function checkReviewFlow(browser) {
  const failuresBefore = failures.length;
  let reviewId = null;
  try {
    await asUser(browser, "demo-trainer", async (page) => {
      await goto(page, `${BASE_URL}/quality/reviews`);
      await fill(page, { title: `Browser test review ${Date.now()}`, period_start: "01/10/2025", period_end: "31/12/2025", sample_size: "2" });
      await submitForm(page, "period_start", "trainer opens a review", "/quality/reviews/");
      reviewId = new URL(page.url()).pathname.split("/")[3];
      await page.$eval('[name="grader"][value="demo-leader"]', (el) => (el.checked = true));
      await page.$eval('[name="grader"][value="demo-partner"]', (el) => (el.checked = true));
      await submitForm(page, "grader", "trainer sets the panel", `/quality/reviews/${reviewId}`);
    });
    await asUser(browser, "demo-partner", (page) => gradeAll(page, reviewId, [2, 4], "demo-partner"));
    await asUser(browser, "demo-leader", (page) => gradeAll(page, reviewId, [4, 4], "demo-leader"));
    await asUser(browser, "demo-trainer", async (page) => {
      await goto(page, `${BASE_URL}/quality/reviews/${reviewId}`);
      const body = await page.evaluate(() => document.body.innerText);
      if (!body.includes("Grades differ by more than one")) throw new Error("the 2 against a 4 is not flagged for moderation");
      const forms = await page.$$eval(`form[action="/quality/reviews/${reviewId}/agreed"]`, (fs) => fs.length);
      for (let i = 0; i < forms; i++) {
        await page.evaluate((id, i, grade) => {
          const f = document.querySelectorAll(`form[action="/quality/reviews/${id}/agreed"]`)[i];
          f.querySelector(`input[name="grade"][value="${grade}"]`).checked = true;
          f.querySelector('textarea[name="comment"]').value = "Agreed in the browser test";
        }, reviewId, i, i === 0 ? 3 : 4);
        page.problems = [];
        await Promise.all([
          page.waitForNavigation({ waitUntil: "load" }),
          page.evaluate((id, i) => document.querySelectorAll(`form[action="/quality/reviews/${id}/agreed"]`)[i].requestSubmit(), reviewId, i),
        ]);
        const err = await page.$eval(".govuk-error-summary", (e) => e.innerText).catch(() => "");
        if (err) throw new Error(`recording an agreed grade: ${err}`);
      }
      await submitForm(page, "to", "trainer starts moderation", `/quality/reviews/${reviewId}`);
      // Closing asks first, on a page of its own.
      await goto(page, `${BASE_URL}/quality/reviews/${reviewId}/close`);
      {
        const axeOk = await checkAxe(page, "close the review (confirmation)");
        if ((await checkProblems(page, "close the review (confirmation)")) && axeOk) passed += 1;
      }
      await submitForm(page, "to", "trainer closes the review", `/quality/reviews/${reviewId}`);
      await goto(page, `${BASE_URL}/quality/reviews/${reviewId}/result`);
      const result = await page.evaluate(() => document.body.innerText);
      if (!result.includes("3.50")) throw new Error("the result does not show the mean of the agreed grades (3.50)");
      const axeOk = await checkAxe(page, "review result");
      if ((await checkProblems(page, "review result")) && axeOk) passed += 1;
    });
  } catch (err) {
    fail("quality review flow", err.message || String(err));
  }
  info(`quality review flow (review ${reviewId}): ${failures.length === failuresBefore ? "passed" : "failed"}`);
}

// ---------------------------------------------------------------------------------
// Exercise runner: two teams in two browser contexts (a signed-in officer and a shared screen
// with a team code), live release, autosaved answer, console and debrief.
// ---------------------------------------------------------------------------------

const DEMO_OFFICER_STAFF_NUMBER = "2759"; // demo-officer's person in the demo force

async function axeAndProblems(page, where) {
  const axeOk = await checkAxe(page, where);
  if ((await checkProblems(page, where)) && axeOk) passed += 1;
}

async function checkExerciseFlow(browser) {
  const failuresBefore = failures.length;
  const contexts = [];
  let runId = null;
  try {
    const open = async (username) => {
      const context = await browser.createBrowserContext();
      contexts.push(context);
      const page = await newPage(context);
      if (username && !(await signIn(page, username))) throw new Error(`could not sign in as ${username}`);
      return page;
    };
    const trainer = await open("demo-trainer");
    await goto(trainer, `${BASE_URL}/exercises/runs/new`);
    await fill(trainer, {
      title: `Browser test exercise ${Date.now()}`,
      team1_name: "Red",
      team1_members: DEMO_OFFICER_STAFF_NUMBER,
      team2_name: "Blue",
      team2_partners: "Sam Lee, Eastbrook children's services",
    });
    await submitForm(trainer, "team1_name", "trainer starts an exercise run", "/exercises/runs/");
    runId = new URL(trainer.url()).pathname.split("/")[3];
    const teams = await trainer.$$eval("table a[href*='/teams/']", (as) => as.map((a) => [a.textContent.trim(), a.getAttribute("href"), a.closest("tr").querySelector("code")?.textContent.trim()]));
    const red = teams.find((t) => t[0] === "Red");
    const blue = teams.find((t) => t[0] === "Blue");
    if (!red || !blue || !blue[2]) throw new Error(`the console does not list both teams with codes: ${JSON.stringify(teams)}`);

    // Red: the officer, signed in. Blue: a shared screen opened with the team code.
    const officer = await open("demo-officer");
    await goto(officer, `${BASE_URL}${red[1]}`);
    await axeAndProblems(officer, "officer's team page (nothing released)");
    const screen = await open(null);
    await goto(screen, `${BASE_URL}/exercise`);
    await axeAndProblems(screen, "team code page");
    await fill(screen, { code: blue[2] });
    await submitForm(screen, "code", "shared screen enters the team code", "/exercise/team");

    // The facilitator releases stage 1 to all teams; both team pages show it without reloading.
    await fill(trainer, { stage: "1", team: "" });
    await submitForm(trainer, "stage", "facilitator releases stage 1", `/exercises/runs/${runId}/console`);
    for (const [page, who] of [[officer, "officer (Red)"], [screen, "shared screen (Blue)"]]) {
      await page
        .waitForSelector('[data-stage="1"] textarea', { timeout: 15_000 })
        .catch(() => { throw new Error(`${who} did not see stage 1 without reloading`); });
    }
    await axeAndProblems(screen, "shared screen team page (stage 1)");

    // Red answers; the answer saves as it is typed and reaches the console without reloading.
    const answer = `Kai (7) is caring for Poppy (3), browser test ${Date.now()}`;
    const box = await officer.$('[data-stage="1"] textarea');
    const qid = await box.evaluate((el) => el.id);
    await box.type(answer);
    await officer
      .waitForFunction((id) => (document.getElementById(`${id}-status`)?.textContent || "").startsWith("Saved"), { timeout: 15_000 }, qid)
      .catch(() => { throw new Error("the officer's answer was not autosaved"); });
    await axeAndProblems(officer, "officer's team page (answered)");
    const redId = red[1].split("/").pop();
    await trainer
      .waitForFunction((sel, text) => (document.querySelector(sel)?.textContent || "").includes(text), { timeout: 15_000 }, `#answer-${redId}-${qid.slice(1)}`, answer)
      .catch(() => { throw new Error("the console did not show Red's answer without reloading"); });
    await axeAndProblems(trainer, "facilitator console (with an answer)");

    const projector = await newPage(contexts[0]);
    await goto(projector, `${BASE_URL}/exercises/runs/${runId}/projector`);
    const shown = await projector.evaluate(() => document.body.innerText);
    if (!shown.includes("Stage 1 of")) throw new Error("the projector does not show the released stage");
    if (shown.includes(answer)) throw new Error("the projector shows a team's answer");
    await axeAndProblems(projector, "projector view");

    await goto(trainer, `${BASE_URL}/exercises/runs/${runId}/debrief`);
    const debrief = await trainer.evaluate(() => document.body.innerText);
    if (!debrief.includes(answer)) throw new Error("the debrief does not show Red's answer");
    if (!debrief.includes("Model answer")) throw new Error("the debrief does not show the model answers");
    await axeAndProblems(trainer, "debrief");
  } catch (err) {
    fail("exercise flow", err.message || String(err));
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
  }
  info(`exercise flow (run ${runId}): ${failures.length === failuresBefore ? "passed" : "failed"}`);
}

// ---------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM=/path/to/chromium`);
    process.exit(2);
  }
  try {
    const res = await fetch(`${BASE_URL}/readyz`);
    if (!res.ok) throw new Error(`GET /readyz answered ${res.status}`);
  } catch (err) {
    console.error(`The server at ${BASE_URL} is not ready: ${err.message}`);
    process.exit(2);
  }

  const userDataDir = mkdtempSync(path.join(tmpdir(), "mashboard-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  const started = Date.now();
  const summary = [];
  try {
    info(`browser test against ${BASE_URL} with ${await browser.version()}`);
    for (const role of ROLES) summary.push(await checkRole(browser, role));
    if (process.env.SKIP_FORM !== "1") await checkPeopleForm(browser);
    if (process.env.SKIP_IMPACT !== "1") await checkImpactDashboard(browser);
    if (process.env.SKIP_EVALUATION !== "1") await checkEvaluationFlow(browser);
    if (process.env.SKIP_TRAINING !== "1") await checkTrainingFlow(browser);
    if (process.env.SKIP_REVIEW !== "1") await checkReviewFlow(browser);
    if (process.env.SKIP_EXERCISE !== "1") await checkExerciseFlow(browser);
  } finally {
    await browser.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }

  info("");
  info("Summary (pages checked per role):");
  for (const s of summary) {
    info(`  ${s.role.padEnd(14)} ${String(s.checked).padStart(3)} page(s)${s.capped ? " (capped)" : ""}${s.failures ? `  ${s.failures} failure(s)` : ""}`);
  }
  info(`  took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length > 0) {
    info("");
    info(`${failures.length} failure(s):`);
    for (const f of failures) info(`  - ${f.where}: ${f.message.split("\n")[0]}`);
  }
  info(`browser: ${passed} passed, ${failures.length} failed`);
  process.exit(failures.length > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(`browser test crashed: ${err.stack || err}`);
  process.exit(2);
});
