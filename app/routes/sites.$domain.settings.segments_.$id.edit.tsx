import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormError } from "~/components/form";
import { SegmentForm } from "~/components/segments/segment-form";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm } from "~/lib/forms.server";
import { readSegmentForm } from "~/lib/segment-form.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Edit ${data?.segment.name ?? "segment"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, segment] = await Promise.all([caller.sites.get({ site }), caller.segments.get({ site, id: params.id ?? "" })]).catch((error) =>
    httpError(error, request),
  );
  if (info.role === "viewer") throw new Response("Only admins can edit segments", { status: 403 });
  return { domain: info.domain, segment };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { intent, values, input } = readSegmentForm(await readForm(request));
  if (intent !== "save") return { ok: false as const, message: null, fieldErrors: {}, values };
  const caller = await getCaller(request, context);
  try {
    const segment = await caller.segments.update({ site: params.domain ?? "", id: params.id ?? "", ...input } as never);
    return redirect(`/sites/${params.domain}/settings/segments`, { headers: { "Set-Cookie": await setFlash(`Segment “${segment.name}” updated`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function EditSegment() {
  const { domain, segment } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  const other = result?.message && Object.keys(errors).length === 0 ? result.message : null;
  const rows = segment.filters.map((f) => ({ dimension: f.dimension, operator: f.operator, value: f.values.join(", ") }));
  return (
    <>
      <p className="breadcrumbs">
        <Link to={`/sites/${domain}/settings/segments`}>← Segments</Link>
      </p>
      <section className="card" aria-labelledby="edit-segment">
        <h2 id="edit-segment">Edit “{segment.name}”</h2>
        {segment.usedBy.length > 0 ? (
          <p className="alert alert-warning">
            Shared links use this segment ({segment.usedBy.map((l) => `“${l.name}”`).join(", ")}). Changes apply to what they show immediately.
          </p>
        ) : null}
        <FormError message={other} />
        <SegmentForm name={result?.values.name ?? segment.name} rows={result?.values.rows ?? rows} errors={errors} submitLabel="Save segment" />
      </section>
    </>
  );
}
