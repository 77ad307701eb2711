/*
 * Translated strings: the server puts them, already in the user's language, in the page's
 * configuration (`strings`). A key with no string shows as itself, so a missing one is visible.
 */

/** The string functions over a configuration's `strings`. */
export function stringsOf(config) {
  const strings =
    config && config.strings && typeof config.strings === "object" ? config.strings : {};

  /** The string for a key, or the key itself. */
  const t = (key) => (typeof strings[key] === "string" ? strings[key] : key);

  /** Whether the configuration has a string for this key. */
  const has = (key) => typeof strings[key] === "string";

  /** The string with each `{name}` replaced by values[name] (unknown names stay as they are). */
  const fill = (key, values) =>
    t(key).replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));

  return { strings, t, has, fill };
}
