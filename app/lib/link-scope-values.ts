import { SECTIONS, type DateBounds } from "../../server/schemas/link-scope.js";
import { localMinute } from "../../server/dates.js";

/** What the scope part of a link form holds, as typed: kept and shown again on a validation error. */
export interface ScopeValues {
  expiresAt: string;
  bounds: string;
  fixedFrom: string;
  fixedTo: string;
  sinceFrom: string;
  sections: string[];
  allowPeriodChange: boolean;
  allowFilters: boolean;
  allowExport: boolean;
  paused: boolean;
  /** One site per line, as typed. */
  embedOrigins: string;
}

export const DEFAULT_SCOPE_VALUES: ScopeValues = {
  expiresAt: "",
  bounds: "none",
  fixedFrom: "",
  fixedTo: "",
  sinceFrom: "",
  sections: [...SECTIONS],
  allowPeriodChange: true,
  allowFilters: true,
  allowExport: false,
  paused: false,
  embedOrigins: "",
};

/** The router's scope field names, so a form can tell its own errors from the rest. */
export const isScopeField = (key: string) => /^(expiresAt|paused|dateBounds|visibleSections|allow|embedOrigins)/.test(key);

/** A link's current scope as the edit form shows it. */
export function scopeValuesOf(
  link: {
    expiresAt: string | null;
    paused: boolean;
    dateBounds: DateBounds | null;
    visibleSections: string[];
    allowPeriodChange: boolean;
    allowFilters: boolean;
    allowExport: boolean;
    embedOrigins: string[];
  },
  timezone: string,
): ScopeValues {
  const b = link.dateBounds;
  return {
    expiresAt: link.expiresAt ? localMinute(new Date(link.expiresAt), timezone) : "",
    bounds: b?.kind ?? "none",
    fixedFrom: b?.kind === "fixed" ? b.from : "",
    fixedTo: b?.kind === "fixed" ? b.to : "",
    sinceFrom: b?.kind === "since" ? b.from : "",
    sections: link.visibleSections,
    allowPeriodChange: link.allowPeriodChange,
    allowFilters: link.allowFilters,
    allowExport: link.allowExport,
    paused: link.paused,
    embedOrigins: link.embedOrigins.join("\n"),
  };
}
