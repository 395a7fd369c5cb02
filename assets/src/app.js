// mashboard's entry module (loaded with <script type="module">).
// build.rs rewrites the two bare imports below to the content-hashed bundle URLs
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
