/*
 * The risk rules the console shows, as Python defines them (hotline/risk/triage.py,
 * hotline/escalation/service.py), from the page's configuration (`risk`, built by
 * agent_console/console/config.py): never copied here by hand.
 */
import { readConfig } from "/static/kit/config.js";

const risk = readConfig("console-config").risk || {};

/** The crisis levels, lowest first: {code, rank, colour, flashing}. */
export const LEVELS = Array.isArray(risk.levels) ? risk.levels : [];

/** The screener's yes/no questions in the order they are asked (`imminent` is not one). */
export const QUESTIONS = Array.isArray(risk.questions) ? risk.questions : [];

/** Question -> the question whose "yes" opens it; the others are always asked. */
export const GATES = risk.gates && typeof risk.gates === "object" ? risk.gates : {};

/** The empty screener: every field with its value before anything is answered. */
export const EMPTY_SCREENER = risk.screener && typeof risk.screener === "object" ? risk.screener : {};

/** Which rescue stage may follow which ("none": no rescue asked yet). */
export const RESCUE_NEXT = risk.rescue_next && typeof risk.rescue_next === "object" ? risk.rescue_next : {};

/** A level's {code, rank, colour, flashing}, or null for none or an unknown code. */
export function levelInfo(code) {
  return LEVELS.find((level) => level.code === code) || null;
}

/** A level's rank (0 for "none"), undefined for none or an unknown code. */
export function levelRank(code) {
  const info = levelInfo(code);
  return info ? info.rank : undefined;
}

/** The questions the branching skips unless `gate` is answered yes. */
export const gatedBy = (gate) => Object.keys(GATES).filter((question) => GATES[question] === gate);
