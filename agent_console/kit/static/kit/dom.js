/* Small DOM helpers shared by the console's pages. */

/** The element with this id, or null. */
export const $ = (id) => document.getElementById(id);

/** Set a node's text, touching the DOM only when it changes. */
export function setText(target, text) {
  if (target && target.textContent !== text) {
    target.textContent = text;
  }
}

/** Show or hide a node (the `hidden` attribute), touching the DOM only when it changes. */
export function show(target, visible) {
  if (target && target.hidden === visible) {
    target.hidden = !visible;
  }
}

/* Buttons are disabled with aria-disabled, not `disabled`, so a focused button keeps focus. */
export function enable(button, enabled) {
  const value = enabled ? "false" : "true";
  if (button && button.getAttribute("aria-disabled") !== value) {
    button.setAttribute("aria-disabled", value);
  }
}

export const isEnabled = (button) => button.getAttribute("aria-disabled") !== "true";

/**
 * A new element: `attrs` are properties, except className, data-*, aria-* and type, which are
 * attributes; children are nodes or text (null and undefined are left out).
 */
export function node(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) {
      continue;
    }
    if (key === "className") {
      element.className = value;
    } else if (key.startsWith("data-") || key.startsWith("aria-") || key === "type") {
      element.setAttribute(key, String(value));
    } else {
      element[key] = value;
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return element;
}

/** A copy of a <template>'s first element. */
export const fromTemplate = (template) => template.content.firstElementChild.cloneNode(true);
