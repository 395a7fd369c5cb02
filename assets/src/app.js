// mashboard's entry module (loaded with <script type="module">).
// scripts/build-assets rewrites the two bare imports below to the content-hashed bundle URLs
// (/assets/govuk-frontend-<hash>.js, /assets/moj-frontend-<hash>.js).
// Every page works without JavaScript; this only enhances GOV.UK / MOJ components.
import { initAll as initGovukFrontend } from "govuk-frontend";
import { initAll as initMojFrontend } from "@ministryofjustice/frontend";

// GOV.UK Frontend's template marks <body> with an inline <script>; our
// Content-Security-Policy (script-src 'self') forbids inline scripts, so do it here.
// Only browsers that run ES modules get this far, which is GOV.UK Frontend's own test.
document.body.classList.add("js-enabled", "govuk-frontend-supported");

initGovukFrontend();
initMojFrontend();

// Exercise runner (pages with data-exercise-events): live updates over Server-Sent Events,
// a ticking clock, and answers that save as they are typed. Without this, the pages work by
// reloading and the Save button.
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  const clockText = (s) => {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
  };
  for (const el of document.querySelectorAll("[data-clock-start]")) {
    if (el.dataset.clockEnd) continue;
    const start = Date.parse(el.dataset.clockStart);
    if (Number.isNaN(start)) continue;
    setInterval(() => { el.textContent = clockText((Date.now() - start) / 1000); }, 1000);
  }

  // Fetch this page again and bring its live parts up to date without touching what is typed.
  const refresh = async () => {
    const r = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    for (const el of document.querySelectorAll("[data-live][id]")) {
      const fresh = doc.getElementById(el.id);
      if (fresh) el.innerHTML = fresh.innerHTML;
    }
    for (const el of document.querySelectorAll("[data-live-append][id]")) {
      const fresh = doc.getElementById(el.id);
      if (!fresh) continue;
      for (const child of fresh.querySelectorAll(":scope > [id]")) {
        if (!document.getElementById(child.id)) {
          el.appendChild(document.importNode(child, true));
          wireAutosave(el);
        }
      }
    }
  };

  const source = document.querySelector("[data-exercise-events]");
  if (source && window.EventSource) {
    const es = new EventSource(source.dataset.exerciseEvents);
    es.addEventListener("release", refresh);
    es.addEventListener("note", refresh);
    es.addEventListener("meeting", refresh);
    es.addEventListener("resync", refresh);
    es.addEventListener("ended", () => { es.close(); location.reload(); });
    es.addEventListener("answer", (e) => {
      const ev = JSON.parse(e.data);
      const cell = document.getElementById(`answer-${ev.team_id}-${ev.data.question}`);
      if (cell) cell.textContent = ev.data.text || "No answer yet"; else refresh();
    });
  }

  // Answers save a moment after typing stops (the Save button still saves them all).
  const form = document.querySelector("[data-autosave-form]");
  const csrf = form ? form.querySelector("input[name=csrf_token]").value : "";
  function wireAutosave(root) {
    if (!form) return;
    for (const box of root.querySelectorAll("textarea[data-autosave]:not([data-wired])")) {
      box.dataset.wired = "1";
      let timer;
      const status = document.getElementById(`${box.id}-status`);
      box.addEventListener("input", () => {
        clearTimeout(timer);
        if (status) status.textContent = "Not saved yet";
        timer = setTimeout(async () => {
          const body = new URLSearchParams({ csrf_token: csrf, [box.name]: box.value });
          try {
            const r = await fetch(form.action, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body });
            const j = await r.json();
            if (status) status.textContent = r.ok ? `Saved at ${j.saved}` : j.message;
          } catch {
            if (status) status.textContent = "Could not save: check the connection, then use Save answers.";
          }
        }, 800);
      });
    }
  }
  if (form) wireAutosave(form);
})();
