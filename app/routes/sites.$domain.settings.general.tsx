import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";
import { Flash } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { MembersCard } from "~/components/sites/members-card";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { publicConfig } from "~/lib/config.server";
import { httpError } from "~/lib/errors.server";
import { formatDate } from "~/lib/format";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const ref = { site: params.domain ?? "" };
  const [site, members] = await Promise.all([caller.sites.get(ref), caller.sites.members.list(ref)]).catch((error) => httpError(error, request));
  const snippet = `<script defer data-domain="${site.domain}" src="${publicConfig().publicUrl}/js/script.js"></script>`;
  const { flash, headers } = await takeFlash(request);
  return data(
    {
      site,
      snippet,
      flash,
      created: formatDate(site.createdAt, site.timezone),
      members: members.map((m) => ({ userId: m.userId, email: m.email, role: m.role, added: formatDate(m.addedAt, site.timezone) })),
    },
    { headers },
  );
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const back = `/sites/${site}/settings/general`;
  if (form.get("intent") === "remove-member") {
    const removed = await caller.sites.members.remove({ site, userId: String(form.get("userId") ?? "") }).catch((error) => httpError(error, request));
    return redirect(back, { headers: { "Set-Cookie": await setFlash(`${removed.email} no longer has access`) } });
  }
  const values = textFields(form, ["email", "role"]);
  try {
    const added = await caller.sites.members.add({ site, email: values.email, role: values.role as "viewer" });
    return redirect(back, { headers: { "Set-Cookie": await setFlash(`${added.email} added as ${added.role}`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function General() {
  const { site, snippet, created, flash, members } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
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
      <MembersCard
        members={members}
        canManage={site.role !== "viewer"}
        errors={errors}
        message={result && !errors.email && !errors.role ? result.message : null}
        email={result?.values.email}
      />
    </>
  );
}
