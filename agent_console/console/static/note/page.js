/* The note's page: its configuration and strings, and the elements of the note section. */
import { csrfToken as pageCsrfToken, readConfig } from "/static/kit/config.js";
import { $ } from "/static/kit/dom.js";
import { stringsOf } from "/static/kit/strings.js";

export const config = readConfig("console-config");
export const { t, fill } = stringsOf(config);
export const csrfToken = () => pageCsrfToken(config);

/** The note section; null on a page without one. */
export const section = $("note-section");

export const el = {
  title: $("note-title"),
  status: $("note-status"),
  escalation: $("note-escalation"),
  escalationTime: $("note-escalation-time"),
  message: $("note-message"),
  overdue: $("note-overdue"),
  history: $("note-history"),
  historyList: $("note-history-list"),
  historyItem: $("note-history-item"),
  form: $("note-form"),
  callTypes: $("note-call-types"),
  quickTypes: $("note-quick-types"),
  quickLocked: $("note-quick-locked"),
  ageBand: $("note-age-band"),
  gender: $("note-gender"),
  populationGroups: $("note-population-groups"),
  categories: $("note-categories"),
  guidance: $("note-guidance"),
  guidanceHome: $("note-guidance") ? $("note-guidance").parentNode : null,
  guidanceNext: $("note-guidance") ? $("note-guidance").nextSibling : null,
  branchQ2: $("note-branch-q2"),
  branchQ6: $("note-branch-q6"),
  protectiveFactors: $("note-protective-factors"),
  suggested: $("note-suggested"),
  confirmLevel: $("note-confirm-level"),
  confirmButton: $("note-confirm-btn"),
  confirmState: $("note-confirm-state"),
  overrideRow: $("note-override-row"),
  override: $("note-override"),
  overrideDown: $("note-override-down"),
  interventions: $("note-interventions"),
  referrals: $("note-referrals"),
  referralRow: $("note-referral-row"),
  addReferral: $("note-add-referral"),
  followDetails: $("note-fu-details"),
  numberRow: $("note-fu-number-row"),
  formError: $("note-form-error"),
  formErrorText: $("note-form-error-text"),
  otherErrors: $("note-other-errors"),
  submit: $("note-submit"),
  readonly: $("note-readonly"),
  readonlyTitle: $("note-readonly-title"),
  submittedAt: $("note-submitted-at"),
  readonlyGuidanceSlot: $("note-readonly-guidance-slot"),
  addenda: $("note-addenda"),
  addendaEmpty: $("note-addenda-empty"),
  addendumItem: $("note-addendum-item"),
  addendumText: $("note-addendum-text"),
  addendumStatus: $("note-addendum-status"),
  addAddendum: $("note-add-addendum"),
  close: $("note-close"),
  unfinished: $("unfinished-notes"),
  unfinishedList: $("unfinished-list"),
  unfinishedItem: $("unfinished-item"),
};
