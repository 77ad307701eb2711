/* The interventions used during the call. */
import { fillChecks } from "./options.js";
import { el } from "./page.js";

export function buildInterventions(options) {
  fillChecks(el.interventions, "interventions", options.interventions);
}
