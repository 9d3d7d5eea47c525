import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";
import { describeAdded } from "../../server/schemas/imports";

export const headers = refusalHeaders;

export const meta: MetaFunction = ({ params }) => [{ title: `Delete import · ${params.domain} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const item = await caller.imports.get({ site, id: params.id ?? "" }).catch((error) => httpError(error, request));
  return { domain: site.toLowerCase(), item };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  try {
    await caller.imports.delete({ site: params.domain ?? "", id: params.id ?? "" });
    return redirect(`/sites/${params.domain}/settings/imports`, { headers: { "Set-Cookie": await setFlash("Import deleted: its days are gone from every dashboard") } });
  } catch (error) {
    return formFailure(error, {});
  }
}

export default function DeleteImport() {
  const { domain, item } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const range = item.from && item.to ? `${item.from} to ${item.to}` : null;
  return (
    <section className="card" aria-labelledby="delete-import">
      <h2 id="delete-import">Delete this import?</h2>
      {item.status === "completed" ? (
        <p className="muted">
          {[item.source, range, describeAdded(item)].filter(Boolean).join(", ")}. Everything it added leaves every dashboard of {domain} at once,
          shared ones included; the site&rsquo;s own data stays.
        </p>
      ) : item.status === "failed" ? (
        <p className="muted">This import failed and added nothing; deleting it removes it from the list.</p>
      ) : (
        <p className="muted">This import has not finished: deleting it stops it, and nothing of it reaches the dashboards.</p>
      )}
      <FormError message={result?.message} />
      <Form method="post" className="form-actions">
        <button type="submit" className="button button-danger">
          Delete import
        </button>
        <Link to={`/sites/${domain}/settings/imports`} className="button button-secondary">
          Cancel
        </Link>
      </Form>
    </section>
  );
}
