/*
 * Call note: the form the counselor fills in during and after a call, one module per section
 * of the note (see each file's first line). API: docs/notes-api.md. Which call: the
 * "hotline:snapshot" event console.js sends. Autosaves the changed groups of fields; keeps every
 * unsaved change in sessionStorage so a reload, a lost connection or a version conflict never
 * loses what was typed. The risk rules (levels, screener questions and branching) come from
 * Python through the page's configuration (../risk.js). No build step, no inline code (CSP).
 */
import { wireAutosave } from "./autosave.js";
import { wireCalltype } from "./calltype.js";
import { wireForm } from "./form.js";
import { open, renderMode, wireOpen } from "./open.js";
import { section } from "./page.js";
import { wireReadonly } from "./readonly.js";
import { wireReferrals } from "./referrals.js";
import { wireScreener } from "./screener.js";
import { pendingList } from "./storage.js";
import { wireSubmit } from "./submit.js";
import { wireUnfinished } from "./unfinished.js";

function start() {
  wireOpen();
  wireForm();
  wireScreener();
  wireCalltype();
  wireReferrals();
  wireSubmit();
  wireReadonly();
  wireUnfinished();
  wireAutosave();
  // A note left open before a reload comes back at once.
  const reopen = pendingList().pop();
  if (reopen !== undefined) {
    open(reopen);
  }
  renderMode();
}

if (section) {
  start(); // else: not the console page
}
