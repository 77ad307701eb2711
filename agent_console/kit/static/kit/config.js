/*
 * The page's configuration: a `<script type="application/json" id="...">` block the server
 * renders (strict CSP: JSON, never inline code). Everything the scripts need from Python, the
 * translated strings and the constants of the domain (risk levels, screener questions...), comes
 * through it, so nothing is copied into the JS by hand.
 */

const cache = new Map();

/** The parsed configuration block with this id; {} when it is missing or unreadable. */
export function readConfig(id) {
  if (cache.has(id)) {
    return cache.get(id);
  }
  let config = {};
  try {
    const node = document.getElementById(id);
    config = JSON.parse((node && node.textContent) || "{}") || {};
  } catch (_error) {
    config = {};
  }
  if (typeof config !== "object" || Array.isArray(config)) {
    config = {};
  }
  cache.set(id, config);
  return config;
}

/** The CSRF token for JSON requests: from the configuration, else the page's logout form. */
export function csrfToken(config) {
  if (config && typeof config.csrf_token === "string" && config.csrf_token) {
    return config.csrf_token;
  }
  const input = document.querySelector('form.logout input[name="csrf_token"]');
  return input ? input.value : "";
}
