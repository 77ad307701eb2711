/* The caller's profile: age band, gender, region, population groups. */
import { fillChecks, fillSelect } from "./options.js";
import { el } from "./page.js";

export function buildProfile(options) {
  fillSelect(el.ageBand, options.age_bands);
  fillSelect(el.gender, options.genders);
  fillChecks(el.populationGroups, "profile.population_groups", options.population_groups);
}
