import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { DataTable, EditDeleteCell } from "~/components/data-table";
import { Flash, FormError } from "~/components/form";
import { FilterSummary } from "~/components/segments/filter-summary";
import { SegmentForm } from "~/components/segments/segment-form";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm } from "~/lib/forms.server";
import { readSegmentForm } from "~/lib/segment-form.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = ({ params }) => [{ title: `Segments · ${params.domain} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, segments] = await Promise.all([caller.sites.get({ site }), caller.segments.list({ site })]).catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  return data({ domain: info.domain, canManage: info.role !== "viewer", segments, flash }, { headers });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { intent, values, input } = readSegmentForm(await readForm(request));
  if (intent !== "save") return { ok: false as const, message: null, fieldErrors: {}, values };
  const caller = await getCaller(request, context);
  try {
    const segment = await caller.segments.create({ site: params.domain ?? "", ...input } as never);
    return redirect(`/sites/${params.domain}/settings/segments`, { headers: { "Set-Cookie": await setFlash(`Segment “${segment.name}” created`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function Segments() {
  const { domain, canManage, segments, flash } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  const other = result?.message && Object.keys(errors).length === 0 ? result.message : null;
  return (
    <>
      <Flash message={flash} />
      <section className="card" aria-labelledby="segments-title">
        <h2 id="segments-title">Segments</h2>
        <p className="muted">A segment is a saved set of filters. Shared links can be limited to one, so recipients only ever see that slice of the data.</p>
        {segments.length === 0 ? (
          <p className="empty">No segments yet.</p>
        ) : (
          <DataTable label="Segments" columns={["Name", "Filters", "Used by"]} actions={canManage}>
            {segments.map((s) => (
              <tr key={s.id}>
                <td data-label="Name" className="link-name">
                  {s.name}
                </td>
                <td data-label="Filters">
                  <FilterSummary filters={s.filters} />
                </td>
                <td data-label="Used by">{s.usedBy.length === 0 ? <span className="muted">No links</span> : s.usedBy.map((l) => l.name).join(", ")}</td>
                {canManage ? <EditDeleteCell base={`/sites/${domain}/settings/segments/${s.id}`} name={s.name} /> : null}
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      {canManage ? (
        <section className="card" aria-labelledby="new-segment">
          <h2 id="new-segment">New segment</h2>
          <FormError message={other} />
          <SegmentForm
            name={result?.values.name ?? ""}
            rows={result?.values.rows ?? [{ dimension: "device", operator: "is", value: "" }]}
            errors={errors}
            submitLabel="Create segment"
          />
        </section>
      ) : null}
    </>
  );
}
