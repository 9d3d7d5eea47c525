import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";
import { Flash } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { takeFlash } from "~/lib/cookies.server";
import { publicConfig } from "~/lib/config.server";
import { httpError } from "~/lib/errors.server";
import { formatDate } from "~/lib/format";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = await caller.sites.get({ site: params.domain ?? "" }).catch((error) => httpError(error, request));
  const snippet = `<script defer data-domain="${site.domain}" src="${publicConfig().publicUrl}/js/script.js"></script>`;
  const { flash, headers } = await takeFlash(request);
  return data({ site, snippet, flash, created: formatDate(site.createdAt, site.timezone) }, { headers });
}

export default function General() {
  const { site, snippet, created, flash } = useLoaderData<typeof loader>();
  return (
    <>
      <Flash message={flash} />
      <section className="card" aria-labelledby="site-details">
        <h2 id="site-details">Site details</h2>
        <table className="data">
          <tbody>
            <tr>
              <th scope="row">Domain</th>
              <td>{site.domain}</td>
            </tr>
            <tr>
              <th scope="row">Reporting timezone</th>
              <td>{site.timezone}</td>
            </tr>
            <tr>
              <th scope="row">Your role</th>
              <td>
                <span className="badge badge-role">{site.role}</span>
              </td>
            </tr>
            <tr>
              <th scope="row">Added</th>
              <td>{created}</td>
            </tr>
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="tracking">
        <div className="card-header">
          <h2 id="tracking">Tracking script</h2>
          <CopyButton text={snippet} label="Copy snippet" />
        </div>
        <p className="muted">
          Paste this into the <code>&lt;head&gt;</code> of every page of {site.domain}. It sets no cookies and respects Do Not Track.
        </p>
        <pre className="snippet">
          <code>{snippet}</code>
        </pre>
      </section>
    </>
  );
}
