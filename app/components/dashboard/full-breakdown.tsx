import { Link } from "@remix-run/react";
import type { Breakdown } from "../../../server/stats/types.js";
import { parseDashboardQuery, toSearch, withParam } from "../../lib/dashboard-query.js";
import { BreakdownCard } from "./breakdown-card.js";

const THEMES = ["light", "dark", "system"] as const;

/** The "More" view of one breakdown: up to 100 rows, each still a filter link, and a way back. */
export function FullBreakdown({
  breakdown,
  basePath,
  search,
  embed = false,
  filterable = true,
}: {
  breakdown: Breakdown;
  basePath: string;
  search: string;
  embed?: boolean;
  filterable?: boolean;
}) {
  const query = withParam(parseDashboardQuery(search), "more", null);
  const theme = THEMES.find((t) => t === new URLSearchParams(search).get("theme")) ?? "light";
  return (
    <div className={`dashboard dashboard--${theme}${embed ? " dashboard--embed" : ""}`}>
      <div className="dash-inner">
        <p className="dash-back">
          <Link to={basePath + toSearch(query)}>← Back to the dashboard</Link>
        </p>
        <BreakdownCard breakdown={{ ...breakdown, more: false }} query={query} basePath={basePath} filterable={filterable} />
      </div>
    </div>
  );
}
