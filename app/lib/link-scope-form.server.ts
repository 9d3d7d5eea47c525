import type { DateBounds, Section } from "../../server/schemas/link-scope.js";
import { isRealDay, zonedTime } from "../../server/dates.js";
import { textFields } from "./forms.server";
import { DEFAULT_SCOPE_VALUES, type ScopeValues } from "./link-scope-values";

const WALL_CLOCK = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2})?$/;

/**
 * The scope fields of the create and edit forms as the router's input. Checkboxes absent from a
 * submitted form are off, but only in a form that says it carries the scope (`scope=1`): a post
 * without the marker changes nothing of it (`input` is empty). The expiry is typed in the site's timezone; everything else the router
 * validates, with messages keyed by its own field names (`dateBounds.from`…).
 */
export function readScopeForm(form: FormData, timezone: string) {
  const text = textFields(form, ["expiresAt", "bounds", "fixedFrom", "fixedTo", "sinceFrom", "embedOrigins"]);
  const values: ScopeValues = {
    ...text,
    bounds: ["fixed", "since"].includes(text.bounds) ? text.bounds : "none",
    sections: form.getAll("sections").filter((s): s is string => typeof s === "string"),
    allowPeriodChange: form.get("allowPeriodChange") === "on",
    allowFilters: form.get("allowFilters") === "on",
    allowExport: form.get("allowExport") === "on",
    paused: form.get("paused") === "on",
  };
  let expiresAt: string | null = null;
  let expiresError: string | null = null;
  // A value the form never offers is refused, not read as "all dates": it would widen the link.
  const boundsError = ["", "none", "fixed", "since"].includes(text.bounds) ? null : "Choose all dates, a fixed period or a start date";
  const typed = text.expiresAt.trim();
  if (typed) {
    const match = WALL_CLOCK.exec(typed);
    if (!match || !isRealDay(match[1]!) || Number(match[2]) > 23 || Number(match[3]) > 59) {
      expiresError = "Enter a date and time like 2026-12-31 18:00";
    } else {
      expiresAt = zonedTime(match[1]!, timezone, Number(match[2]) * 3600 + Number(match[3]) * 60).toISOString();
    }
  }
  const dateBounds: DateBounds | null =
    values.bounds === "fixed"
      ? { kind: "fixed", from: text.fixedFrom.trim(), to: text.fixedTo.trim() }
      : values.bounds === "since"
        ? { kind: "since", from: text.sinceFrom.trim() }
        : null;
  if (form.get("scope") !== "1") return { values: { ...DEFAULT_SCOPE_VALUES, ...text, bounds: values.bounds }, expiresError: null, boundsError: null, input: {} };
  return {
    values,
    expiresError,
    boundsError,
    input: {
      expiresAt,
      paused: values.paused,
      dateBounds,
      visibleSections: values.sections as Section[],
      allowPeriodChange: values.allowPeriodChange,
      allowFilters: values.allowFilters,
      allowExport: values.allowExport,
      embedOrigins: text.embedOrigins.split(/[\s,]+/).filter(Boolean),
    },
  };
}

