import { Form } from "@remix-run/react";
import { PERIOD_LABELS, PERIODS } from "../../../server/schemas/stats.js";
import type { DashboardStats } from "../../../server/stats/types.js";
import { toParams, type DashboardQuery } from "../../lib/dashboard-query.js";

interface Props {
  query: DashboardQuery;
  range: DashboardStats["range"];
  basePath: string;
}

/**
 * Two small GET forms, so it works without JavaScript and is never ambiguous: a preset list with
 * Apply, and a custom range (inside <details>, a drop-down on wide screens) that always submits
 * period=custom. It starts closed even for a custom period: the header already shows the dates.
 * Hidden inputs carry the filters and the embed/theme parameters along.
 */
export function PeriodPicker({ query, range, basePath }: Props) {
  const custom = query.period.key === "custom";
  const carried = toParams(query).filter(([name]) => name !== "period" && name !== "from" && name !== "to");
  const hidden = carried.map(([name, value], i) => <input key={`${name}-${i}`} type="hidden" name={name} value={value} />);

  return (
    <div className="dash-period">
      <Form method="get" action={basePath} className="dash-period__form" preventScrollReset>
        {hidden}
        {custom ? (
          <>
            <input type="hidden" name="from" value={query.period.from} />
            <input type="hidden" name="to" value={query.period.to} />
          </>
        ) : null}
        <label htmlFor="dash-period-select" className="dash-visually-hidden">
          Period
        </label>
        <select id="dash-period-select" name="period" defaultValue={query.period.key} className="dash-input">
          {PERIODS.filter((key) => key !== "custom" || custom).map((key) => (
            <option key={key} value={key}>
              {PERIOD_LABELS[key]}
            </option>
          ))}
        </select>
        <button type="submit" className="dash-button">
          Apply
        </button>
      </Form>
      <details className="dash-period__custom">
        <summary>Choose dates</summary>
        <Form method="get" action={basePath} className="dash-period__form dash-period__form--custom" preventScrollReset>
          {hidden}
          <input type="hidden" name="period" value="custom" />
          <label className="dash-field">
            <span>From</span>
            <input type="date" name="from" required defaultValue={query.period.from ?? range.from} className="dash-input" />
          </label>
          <label className="dash-field">
            <span>To</span>
            <input type="date" name="to" required defaultValue={query.period.to ?? range.to} className="dash-input" />
          </label>
          <button type="submit" className="dash-button">
            Apply
          </button>
        </Form>
      </details>
    </div>
  );
}
