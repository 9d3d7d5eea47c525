import type { Dimension } from "../../../server/schemas/filters.js";
import type { ScopeSummary } from "../../../server/schemas/link-scope.js";
import type { DashboardStats } from "../../../server/stats/types.js";
import { type DashboardQuery, parseDashboardQuery, toSearch, withParam } from "../../lib/dashboard-query.js";
import { BreakdownCard } from "./breakdown-card.js";
import { FilterBar, type DashboardSegment } from "./filter-bar.js";
import { GoalsCard } from "./goals-card.js";
import { BREAKDOWN_TITLES, formatDay, formatExact, formatRange } from "./format.js";
import { PeriodPicker } from "./period-picker.js";
import { SeriesChart } from "./series-chart.js";
import { TotalsRow } from "./totals.js";

export type { DashboardSegment };

export interface DashboardProps {
  stats: DashboardStats;
  /** Path the dashboard lives at ("/sites/example.com", "/share/abc…"); links and forms point here. */
  basePath: string;
  /** The current query string, with or without "?": period, filters, embed, theme, background. */
  search: string;
  /** A shared link's segment: shown read-only, never removable. */
  segment?: DashboardSegment | null;
  mode: "member" | "share";
  /** Chrome-less rendering for iframes. */
  embed?: boolean;
  /** Where the site's goals are managed, for a member who may add them; never on shared dashboards. */
  goalsSettingsPath?: string;
  /** What a shared link lets its recipient do; members may do everything. */
  scope?: ScopeSummary;
}

const THEMES = ["light", "dark", "system"] as const;

// Pairs that read well side by side; UTM last because many sites have none.
const CARD_ORDER: Dimension[] = ["page", "entry_page", "source", "referrer", "country", "device", "browser", "os", "utm_source", "utm_medium", "utm_campaign"];

/** The read-only analytics dashboard: props in, server-renderable markup out. */
export function Dashboard({ stats, basePath, search, segment = null, mode, embed = false, goalsSettingsPath, scope }: DashboardProps) {
  const query = parseDashboardQuery(search);
  const params = new URLSearchParams(search);
  const theme = THEMES.find((t) => t === params.get("theme")) ?? "light";
  const classes = ["dashboard", `dashboard--${theme}`, `dashboard--${mode}`];
  if (embed) classes.push("dashboard--embed");
  // Only named backgrounds: an arbitrary colour would need an inline style, which the CSP forbids.
  if (params.get("background") === "transparent") classes.push("dashboard--bg-transparent");

  const { totals, range } = stats;
  const noTotals = totals.visitors === 0 && totals.pageviews === 0;
  // Imported breakdowns and custom events can have days that imported totals lack: a period with
  // rows or conversions is not empty.
  const empty = noTotals && stats.breakdowns.every((b) => b.rows.length === 0) && stats.goals.every((g) => g.conversions === 0);
  const filtered = query.filters.length > 0 || (segment?.filters.length ?? 0) > 0;
  // A since-date link asked for a period that ends before its date: no later visit can fill it.
  const beforeBounds = !!scope?.since && range.to < scope.since;
  const filterable = !scope || scope.canFilter;
  // A custom range's own label is its raw dates, which the formatted range right after repeats.
  const rangeLabel = range.key !== "custom" ? range.label : scope?.fixedPeriod ? "Fixed period" : "Custom range";
  // A link that fixes the period ignores the one in the address: say so instead of what the parser found.
  const notices = scope?.fixedPeriod || (scope && !scope.canChangePeriod) ? [] : [...query.errors];
  if (scope?.notice) notices.push(scope.notice);
  const breakdowns = [...stats.breakdowns].sort((a, b) => CARD_ORDER.indexOf(a.dimension) - CARD_ORDER.indexOf(b.dimension));

  return (
    <div className={classes.join(" ")}>
      <div className="dash-inner">
        <header className="dash-header">
          <div className="dash-header__site">
            <h1 className="dash-site">{stats.site.domain}</h1>
            <p className="dash-range">
              {rangeLabel} · {formatRange(range.from, range.to)}
            </p>
          </div>
          {stats.currentVisitors === null ? null : <CurrentVisitors count={stats.currentVisitors} />}
          {!scope || scope.canChangePeriod ? <PeriodPicker key={toSearch(query)} query={query} range={range} basePath={basePath} /> : null}
        </header>

        {scope ? <ScopeNote scope={scope} basePath={basePath} query={query} embed={embed} /> : null}

        {notices.length > 0 ? (
          <div className="dash-notice" role="status">
            <ul>
              {notices.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          </div>
        ) : null}

        <FilterBar query={query} segment={segment} basePath={basePath} />

        <ImportedNote imported={stats.imported ?? null} noTotals={noTotals && !empty} />

        {empty ? (
          <section className="dash-card dash-empty" aria-labelledby="dash-empty-heading">
            {beforeBounds ? (
              <>
                <h2 id="dash-empty-heading">Nothing to show for this period</h2>
                <p>This link shows {stats.site.domain} from {formatDay(scope!.since!)} on: choose a period that ends on or after that day.</p>
              </>
            ) : (
              <>
                <h2 id="dash-empty-heading">No visitors in this period yet</h2>
                <p>
                  {filtered
                    ? "Nothing matches these filters in this period. Try a longer period or remove a filter."
                    : "Visits will appear here as soon as they are recorded. Try a longer period to see earlier traffic."}
                </p>
              </>
            )}
          </section>
        ) : (
          <>
            <TotalsRow totals={totals} previous={stats.previous} />
            {stats.series ? <SeriesChart stats={stats} series={stats.series} /> : null}
            <GoalsCard
              goals={stats.goals}
              properties={stats.goalProperties}
              query={query}
              basePath={basePath}
              settingsPath={mode === "member" ? goalsSettingsPath : undefined}
              filterable={filterable}
            />
            <div className="dash-grid">
              {breakdowns.map((b) => (
                <BreakdownCard key={b.dimension} breakdown={b} query={query} basePath={basePath} filterable={filterable} shares={!noTotals} />
              ))}
            </div>
          </>
        )}

        {mode === "share" && !embed ? (
          <footer className="dash-footer">
            <p>Read-only shared dashboard · Privacy-friendly analytics by Glimpse</p>
          </footer>
        ) : null}
      </div>
    </div>
  );
}

function CurrentVisitors({ count }: { count: number }) {
  return (
    <p className={count > 0 ? "dash-live dash-live--active" : "dash-live"}>
      <span className="dash-live__dot" aria-hidden="true" />
      {formatExact(count)} current {count === 1 ? "visitor" : "visitors"}
    </p>
  );
}

/** What the shared link fixes, in one line, and its download when it allows one. */
function ScopeNote({ scope, basePath, query, embed }: { scope: ScopeSummary; basePath: string; query: DashboardQuery; embed: boolean }) {
  const parts: string[] = [];
  if (scope.fixedPeriod) parts.push("This link shows a fixed period.");
  else if (scope.since) parts.push(`This link shows data from ${formatDay(scope.since)} on.`);
  if (!scope.canChangePeriod && !scope.fixedPeriod) parts.push("The period is set by the link.");
  if (!scope.canFilter) parts.push("Filters are off.");
  const download = scope.canExport && !embed;
  if (parts.length === 0 && !download) return null;
  return (
    <div className="dash-scope">
      {parts.length > 0 ? <p className="dash-scope__text">{parts.join(" ")}</p> : null}
      {download ? (
        <p className="dash-scope__download">
          <a href={`${basePath}/export${toSearch(withParam(query, "more", null))}`} download>
            Download CSV
          </a>{" "}
          <span className="dash-muted">(a zip with one file per section, as shown)</span>
        </p>
      ) : null}
    </div>
  );
}

/**
 * Imported history says where it is in the figures, and where a filter leaves it out. Totals come
 * from imported_visitors only: breakdowns without them say so instead of showing bare zeros.
 */
function ImportedNote({ imported, noTotals }: { imported: DashboardStats["imported"]; noTotals: boolean }) {
  if (!imported) return null;
  return (
    <p className="dash-imported muted" role="status">
      {imported.leftOut && imported.sections
        ? "Imported data is left out: the imported table that answers these filters has no rows that pass them in this period, so these figures are this site's own data only."
        : imported.leftOut
        ? "Imported data is left out: imported history holds daily figures one table at a time, and no table of it can answer these filters together (pages and goals, or dimensions of two tables), so these figures are this site's own data only."
        : imported.sections
          ? `Includes ${imported.days === 1 ? "1 day" : `${imported.days} days`} of imported history in the totals${imported.sections.length ? `, the chart and ${imported.sections.map((d) => BREAKDOWN_TITLES[d]).join(", ")}` : " and the chart"}: one imported table answers these filters; the other sections and goals show this site's own data only.`
          : `Includes ${imported.days === 1 ? "1 day" : `${imported.days} days`} of imported history (daily figures: no hours, no goal properties; page goals count own data only).`}
      {!imported.leftOut && noTotals ? " The import has no totals for this period (no imported_visitors rows), so totals and the chart show none; the sections below show what it has." : null}
    </p>
  );
}
