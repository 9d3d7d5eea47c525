import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { formatBucket } from "~/components/dashboard/format";
import { UsageBars } from "~/components/shared-links/usage-chart";
import { getCaller } from "~/lib/caller.server";
import { httpError } from "~/lib/errors.server";
import { plural, timeAgo } from "~/lib/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Usage of ${data?.link.name ?? "a shared link"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, usage] = await Promise.all([caller.sites.get({ site }), caller.sharedLinks.usage({ site, id: params.id ?? "" })]).catch((error) =>
    httpError(error, request),
  );
  return {
    domain: info.domain,
    canManage: info.role !== "viewer",
    link: usage.link,
    lastViewed: usage.link.lastViewedAt ? timeAgo(usage.link.lastViewedAt, new Date()) : null,
    days: usage.days,
    totals: usage.totals,
    spike: usage.spike,
  };
}

/** A link's page: views, unique viewers and failed unlocks by day, for auditing and pruning. */
export default function LinkUsage() {
  const { domain, canManage, link, lastViewed, days, totals, spike } = useLoaderData<typeof loader>();
  const back = `/sites/${domain}/settings/visibility`;
  return (
    <>
      <p className="breadcrumbs">
        <Link to={back}>← Shared links</Link>
      </p>
      <section className="card" aria-labelledby="usage-title">
        <div className="card-header">
          <h2 id="usage-title">Usage of “{link.name}”</h2>
          {canManage ? (
            <Link to={`${back}/shared-links/${link.id}/edit`} className="button button-secondary button-small">
              Edit link
            </Link>
          ) : null}
        </div>
        {spike ? (
          <div className="alert" role="alert">
            {plural(spike.lastHour, "failed unlock")} in the last hour, against {spike.usualPerHour} an hour usually. Someone may be guessing the
            password: {canManage ? "change it, or pause the link." : "tell the site's admins."}
          </div>
        ) : null}
        <dl className="usage-totals">
          <div>
            <dt>Views, last 30 days</dt>
            <dd>{totals.views}</dd>
          </div>
          <div>
            <dt>Unique viewers, summed by day</dt>
            <dd>{totals.viewers}</dd>
          </div>
          <div>
            <dt>Failed unlocks, last 30 days</dt>
            <dd>{totals.failedUnlocks}</dd>
          </div>
          <div>
            <dt>All views</dt>
            <dd>
              {link.viewCount} <span className="muted small">{lastViewed ? `last ${lastViewed}` : "never viewed"}</span>
            </dd>
          </div>
        </dl>
        <p className="muted small">
          Views are pages opened in a browser (API calls are not views). A viewer is counted once a day, from a hash that changes daily; no
          address is kept.
        </p>
        <UsageBars days={days} series={(d) => d.views} label="Views" tone="views" />
        <UsageBars days={days} series={(d) => d.viewers} label="Unique viewers" tone="views" />
        <UsageBars days={days} series={(d) => d.failedUnlocks} label="Failed unlocks" tone="failures" />
        <details className="usage-table">
          <summary>Show data table</summary>
          <table className="data">
            <caption className="visually-hidden">Views, unique viewers and failed unlocks per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="num">
                  Views
                </th>
                <th scope="col" className="num">
                  Unique viewers
                </th>
                <th scope="col" className="num">
                  Failed unlocks
                </th>
              </tr>
            </thead>
            <tbody>
              {[...days].reverse().map((d) => (
                <tr key={d.day}>
                  <th scope="row">{formatBucket(d.day, "day", true)}</th>
                  <td className="num">{d.views}</td>
                  <td className="num">{d.viewers}</td>
                  <td className="num">{d.failedUnlocks}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>
    </>
  );
}
