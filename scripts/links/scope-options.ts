import { SECTIONS } from "../../server/schemas/link-scope.js";

export class ScopeOptionError extends Error {}

export interface ScopeOptionValues {
  expires?: string;
  fixed?: string;
  since?: string;
  "all-dates"?: boolean;
  sections?: string;
  "period-change"?: string;
  filters?: string;
  export?: string;
}

export const SCOPE_HELP = `Scope options (create and update; leaving one out keeps the link's value):
  --expires ISO|never      Expiry as an ISO 8601 instant (2026-12-31T18:00:00Z), or never
  --fixed FROM..TO         Show exactly this period (2026-07-01..2026-09-30)
  --since DATE             Show nothing before DATE (2026-10-01)
  --all-dates              Remove the date bounds
  --sections LIST|all      Visible sections, comma-separated: ${SECTIONS.join(", ")}
  --period-change yes|no   Recipients may change the period (default yes)
  --filters yes|no         Recipients may add filters (default yes)
  --export yes|no          Recipients may download CSV (default no)`;

function yesNo(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(yes|true|on)$/i.test(value)) return true;
  if (/^(no|false|off)$/i.test(value)) return false;
  throw new ScopeOptionError(`--${name} takes yes or no`);
}

/** The command line's scope options as `sharedLinks.create` / `update` fields; the API validates the rest. */
export function scopeInput(values: ScopeOptionValues) {
  const given = [values.fixed, values.since, values["all-dates"]].filter((v) => v !== undefined && v !== false);
  if (given.length > 1) throw new ScopeOptionError("Use one of --fixed, --since and --all-dates");
  let dateBounds: { kind: "fixed"; from: string; to: string } | { kind: "since"; from: string } | null | undefined;
  if (values.fixed !== undefined) {
    const [from, to, extra] = values.fixed.split("..");
    if (!from || !to || extra !== undefined) throw new ScopeOptionError("--fixed takes FROM..TO, like 2026-07-01..2026-09-30");
    dateBounds = { kind: "fixed", from, to };
  } else if (values.since !== undefined) dateBounds = { kind: "since", from: values.since };
  else if (values["all-dates"]) dateBounds = null;
  const sections =
    values.sections === undefined
      ? undefined
      : values.sections.trim().toLowerCase() === "all"
        ? [...SECTIONS]
        : values.sections.split(",").map((s) => s.trim()).filter(Boolean);
  return {
    ...(values.expires !== undefined && { expiresAt: values.expires.toLowerCase() === "never" ? null : values.expires }),
    ...(dateBounds !== undefined && { dateBounds }),
    ...(sections !== undefined && { visibleSections: sections as (typeof SECTIONS)[number][] }),
    ...(values["period-change"] !== undefined && { allowPeriodChange: yesNo("period-change", values["period-change"]) }),
    ...(values.filters !== undefined && { allowFilters: yesNo("filters", values.filters) }),
    ...(values.export !== undefined && { allowExport: yesNo("export", values.export) }),
  };
}
