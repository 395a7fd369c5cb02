// mashboard's entry module (loaded with <script type="module">).
// build.rs rewrites the two bare imports below to the content-hashed bundle URLs
// (/assets/govuk-frontend-<hash>.js, /assets/moj-frontend-<hash>.js).
// Every page works without JavaScript; this only enhances GOV.UK / MOJ components.
// Both initAll() functions do nothing unless <body> has the class
// "govuk-frontend-supported" (set by the layout).
import { initAll as initGovukFrontend } from "govuk-frontend";
import { initAll as initMojFrontend } from "@ministryofjustice/frontend";

initGovukFrontend();
initMojFrontend();
