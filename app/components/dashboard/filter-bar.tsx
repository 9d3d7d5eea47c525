import { Link } from "@remix-run/react";
import { DIMENSION_LABELS, OPERATOR_LABELS, type Filter } from "../../../server/schemas/filters.js";
import { toSearch, withoutFilter, type DashboardQuery } from "../../lib/dashboard-query.js";
import { describeFilter, displayValue } from "./format.js";

export interface DashboardSegment {
  name: string;
  filters: Filter[];
}

interface Props {
  query: DashboardQuery;
  segment: DashboardSegment | null;
  basePath: string;
}

/** The segment (fixed, no controls) and the viewer's own filters (each with a remove link). */
export function FilterBar({ query, segment, basePath }: Props) {
  if (!segment && query.filters.length === 0) return null;
  const clearAll = { ...query, filters: [] };

  return (
    <div className="dash-filters">
      {segment ? (
        <div className="dash-segment">
          <p className="dash-segment__name">
            Showing: <strong>{segment.name}</strong>
          </p>
          <ul className="dash-chips" aria-label={`Filters of the segment ${segment.name} (fixed)`}>
            {segment.filters.map((f, i) => (
              <li key={i} className="dash-chip dash-chip--fixed">
                <FilterText filter={f} />
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {query.filters.length > 0 ? (
        <ul className="dash-chips" aria-label="Active filters">
          {query.filters.map((f, i) => (
            <li key={`${f.dimension}-${f.operator}-${i}`} className="dash-chip">
              <FilterText filter={f} />
              <Link
                to={basePath + toSearch(withoutFilter(query, i))}
                className="dash-chip__remove"
                aria-label={`Remove filter: ${describeFilter(f)}`}
                title="Remove filter"
                preventScrollReset
              >
                ×
              </Link>
            </li>
          ))}
          {query.filters.length > 1 ? (
            <li className="dash-chips__clear">
              <Link to={basePath + toSearch(clearAll)} preventScrollReset>
                Clear filters
              </Link>
            </li>
          ) : null}
        </ul>
      ) : null}
    </div>
  );
}

function FilterText({ filter }: { filter: Filter }) {
  const values = filter.values.map((v) => displayValue(filter.dimension, v)).join(" or ");
  return (
    <span className="dash-chip__text" title={describeFilter(filter)}>
      {DIMENSION_LABELS[filter.dimension]} {OPERATOR_LABELS[filter.operator]} <strong>{values}</strong>
    </span>
  );
}
