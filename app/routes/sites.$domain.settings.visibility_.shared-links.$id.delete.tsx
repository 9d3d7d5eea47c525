import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { DELETE_WARNING } from "~/components/shared-links/delete-dialog";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Delete ${data?.link.name ?? "shared link"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, link] = await Promise.all([caller.sites.get({ site }), caller.sharedLinks.get({ site, id: params.id ?? "" })]).catch((error) =>
    httpError(error, request),
  );
  if (info.role === "viewer") throw new Response("Only admins can delete shared links", { status: 403 });
  return { domain: info.domain, link: { id: link.id, name: link.name, url: link.url } };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  const deleted = await caller.sharedLinks.delete({ site: params.domain ?? "", id: params.id ?? "" }).catch((error) => httpError(error, request));
  return redirect(`/sites/${params.domain}/settings/visibility`, { headers: { "Set-Cookie": await setFlash(`Shared link “${deleted.name}” deleted`) } });
}

export default function DeleteLink() {
  const { domain, link } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  return (
    <section className="card" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete “{link.name}”?</h2>
      <p>{DELETE_WARNING} Anyone opening it will get a “not found” page. This cannot be undone.</p>
      <p className="muted small">
        <code className="confirm-url">{link.url}</code>
      </p>
      <Form method="post" className="form-actions">
        <button type="submit" className="button button-danger" disabled={busy}>
          {busy ? "Deleting…" : "Delete link"}
        </button>
        <Link to={`/sites/${domain}/settings/visibility`} className="button button-secondary">
          Cancel
        </Link>
      </Form>
    </section>
  );
}
