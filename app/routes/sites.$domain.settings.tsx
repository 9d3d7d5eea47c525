import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { getCaller } from "~/lib/caller.server";
import { httpError } from "~/lib/errors.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Settings · ${data?.site.domain ?? "Site"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = await caller.sites.get({ site: params.domain ?? "" }).catch((error) => httpError(error, request));
  return { site };
}

const SECTIONS = [
  { to: "general", label: "General" },
  { to: "visibility", label: "Visibility" },
  { to: "segments", label: "Segments" },
  { to: "goals", label: "Goals" },
  { to: "imports", label: "Imports & exports" },
];

export default function SiteSettings() {
  const { site } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="breadcrumbs">
        <Link to="/">Sites</Link> / <Link to={`/sites/${site.domain}`}>{site.domain}</Link>
      </div>
      <h1 className="settings-title">Site settings</h1>
      <div className="settings">
        <nav className="settings-nav" aria-label="Site settings">
          {SECTIONS.map((s) => (
            <NavLink key={s.to} to={s.to} prefetch="intent">
              {s.label}
            </NavLink>
          ))}
        </nav>
        <div>
          <Outlet />
        </div>
      </div>
    </>
  );
}
