/* The categories of the call (a checkbox per category, grouped under their top category). */
import { state } from "./model.js";
import { checkbox } from "./options.js";
import { el, t } from "./page.js";

export function categoryLabels(ids) {
  const labels = [];
  ((state.options && state.options.categories) || []).forEach((top) => {
    const children = Array.isArray(top.children) && top.children.length ? top.children : [top];
    children.forEach((child) => {
      if ((ids || []).map(Number).includes(Number(child.id))) {
        labels.push(child === top ? top.label : `${top.label}: ${child.label}`);
      }
    });
  });
  return labels.length ? labels.join("; ") : t("note_none");
}

/** A checkbox per category, grouped under its top category. */
export function buildCategories(options) {
  el.categories.replaceChildren(
    ...(options.categories || []).map((top) => {
      const fieldset = document.createElement("fieldset");
      fieldset.className = "category";
      const legend = document.createElement("legend");
      legend.textContent = top.label || top.code;
      const checks = document.createElement("div");
      checks.className = "checks checks-narrow";
      const children = Array.isArray(top.children) && top.children.length ? top.children : [top];
      children.forEach((child) => {
        checks.append(
          checkbox("categories", "list-int", child.id, child.label || child.code, `category-${child.id}`),
        );
      });
      fieldset.append(legend, checks);
      return fieldset;
    }),
  );
}
