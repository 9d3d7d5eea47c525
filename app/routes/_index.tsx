import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Flash } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";

export const meta: MetaFunction = () => [{ title: "Your sites · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const sites = await caller.sites.list().catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  return data({ sites, flash }, { headers });
}

export default function Sites() {
  const { sites, flash } = useLoaderData<typeof loader>();
  return (
    <>
      <Flash message={flash} />
      <div className="page-header">
        <div>
          <h1>Your sites</h1>
          <p>Dashboards you own or were invited to.</p>
        </div>
        <Link to="/sites/new" className="button">
          Add a site
        </Link>
      </div>
      {sites.length === 0 ? (
        <div className="card">
          <p className="empty">No sites yet. Add your first site to start collecting stats.</p>
        </div>
      ) : (
        <ul className="site-list">
          {sites.map((site) => (
            <li key={site.id}>
              <Link className="site-domain" to={`/sites/${site.domain}`}>
                {site.domain}
              </Link>
              <span className="muted small">
                <span className="badge badge-role">{site.role}</span> · {site.timezone}
              </span>
              {site.role !== "viewer" ? (
                <Link className="small" to={`/sites/${site.domain}/settings/visibility`}>
                  Shared links and settings
                </Link>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
