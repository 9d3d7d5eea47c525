import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { Dashboard } from "~/components/dashboard/dashboard";
import { Flash } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { takeFlash } from "~/lib/cookies.server";
import { parseDashboardQuery } from "~/lib/dashboard-query";
import { httpError } from "~/lib/errors.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.stats.site.domain ?? "Dashboard"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const query = parseDashboardQuery(new URL(request.url).searchParams);
  const [info, stats] = await Promise.all([
    caller.sites.get({ site }),
    caller.stats.dashboard({ site, period: query.period, filters: query.filters }),
  ]).catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  return data({ stats, flash, canManage: info.role !== "viewer" }, { headers });
}

export default function SiteDashboard() {
  const { stats, flash, canManage } = useLoaderData<typeof loader>();
  const location = useLocation();
  return (
    <>
      <Flash message={flash} />
      <div className="breadcrumbs dashboard-crumbs">
        <Link to="/">Sites</Link> / {stats.site.domain}
        {canManage ? (
          <>
            {" · "}
            <Link to={`/sites/${stats.site.domain}/settings/visibility`}>Shared links and settings</Link>
          </>
        ) : null}
      </div>
      <Dashboard stats={stats} basePath={location.pathname} search={location.search} mode="member" />
    </>
  );
}
