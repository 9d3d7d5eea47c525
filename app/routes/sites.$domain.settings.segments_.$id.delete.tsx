import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormError } from "~/components/form";
import { FilterSummary } from "~/components/segments/filter-summary";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Delete ${data?.segment.name ?? "segment"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, segment] = await Promise.all([caller.sites.get({ site }), caller.segments.get({ site, id: params.id ?? "" })]).catch((error) =>
    httpError(error, request),
  );
  if (info.role === "viewer") throw new Response("Only admins can delete segments", { status: 403 });
  return { domain: info.domain, segment };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  try {
    const deleted = await caller.segments.delete({ site: params.domain ?? "", id: params.id ?? "" });
    return redirect(`/sites/${params.domain}/settings/segments`, { headers: { "Set-Cookie": await setFlash(`Segment “${deleted.name}” deleted`) } });
  } catch (error) {
    return formFailure(error, {});
  }
}

export default function DeleteSegment() {
  const { domain, segment } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const back = `/sites/${domain}/settings/segments`;
  const blocked = segment.usedBy.length > 0;
  return (
    <section className="card" aria-labelledby="delete-segment">
      <h2 id="delete-segment">Delete segment “{segment.name}”?</h2>
      <FilterSummary filters={segment.filters} />
      <FormError message={result?.message} />
      {blocked && !result ? (
        <div className="alert alert-warning">
          <p>This segment cannot be deleted while shared links use it; deleting it would either expose data they were meant to hide or break their URLs:</p>
          <ul>
            {segment.usedBy.map((l) => (
              <li key={l.id}>
                <Link to={`/sites/${domain}/settings/visibility/shared-links/${l.id}/edit`}>{l.name}</Link>
              </li>
            ))}
          </ul>
          <p>Change those links to another segment, or delete them, first.</p>
        </div>
      ) : null}
      <Form method="post" className="form-actions">
        <button type="submit" className="button button-danger">
          Delete segment
        </button>
        <Link to={back} className="button button-secondary">
          Cancel
        </Link>
      </Form>
    </section>
  );
}
