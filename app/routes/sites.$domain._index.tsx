import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { Dashboard } from "~/components/dashboard/dashboard";
import { FullBreakdown } from "~/components/dashboard/full-breakdown";
import { Flash } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { takeFlash } from "~/lib/cookies.server";
import { parseDashboardQuery } from "~/lib/dashboard-query";
import { DIMENSIONS } from "../../server/schemas/filters";
import { httpError } from "~/lib/errors.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.domain ?? "Dashboard"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const url = new URL(request.url);
  const query = parseDashboardQuery(url.searchParams);
  const more = DIMENSIONS.find((d) => d === url.searchParams.get("more"));
  const [info, stats, breakdown] = await Promise.all([
    caller.sites.get({ site }),
    more ? null : caller.stats.dashboard({ site, period: query.period, filters: query.filters }),
    more ? caller.stats.breakdown({ site, period: query.period, filters: query.filters, dimension: more }) : null,
  ]).catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  return data({ domain: info.domain, stats, breakdown, flash, canManage: info.role !== "viewer" }, { headers });
}

export default function SiteDashboard() {
  const { domain, stats, breakdown, flash, canManage } = useLoaderData<typeof loader>();
  const location = useLocation();
  return (
    <>
      <Flash message={flash} />
      <div className="breadcrumbs dashboard-crumbs">
        <Link to="/">Sites</Link> / {domain}
        {canManage ? (
          <>
            {" · "}
            <Link to={`/sites/${domain}/settings/visibility`}>Shared links and settings</Link>
          </>
        ) : null}
      </div>
      {breakdown ? <FullBreakdown breakdown={breakdown} basePath={location.pathname} search={location.search} /> : null}
      {stats ? (
        <Dashboard
          stats={stats}
          basePath={location.pathname}
          search={location.search}
          mode="member"
          goalsSettingsPath={canManage ? `/sites/${domain}/settings/goals` : undefined}
        />
      ) : null}
    </>
  );
}
