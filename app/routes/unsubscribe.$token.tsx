import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, isRouteErrorResponse, useLoaderData, useNavigation, useRouteError } from "@remix-run/react";
import { getCaller } from "~/lib/caller.server";
import { httpError } from "~/lib/errors.server";
import { readForm } from "~/lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Email digest · Glimpse" }, { name: "robots", content: "noindex" }];

/**
 * The link in every digest. Opening it unsubscribes at once (one click, no login: the token is
 * the permission); the page offers an undo. `?undone=1` is where the undo lands: it only shows
 * the state, so reloading it does not unsubscribe again.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const token = params.token ?? "";
  const undone = new URL(request.url).searchParams.get("undone") === "1";
  // Link checkers that only probe with HEAD change nothing.
  const look = undone || request.method === "HEAD";
  const state = await (look ? caller.digests.subscription({ token }) : caller.digests.unsubscribe({ token })).catch((error) => httpError(error, request));
  return { ...state, undone };
}

/**
 * A mail client's own unsubscribe button posts `List-Unsubscribe=One-Click` here (RFC 8058) and
 * reads only the status; the page's undo button posts `intent=resubscribe`.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const token = params.token ?? "";
  if (form.get("intent") === "resubscribe") {
    await caller.digests.resubscribe({ token }).catch((error) => httpError(error, request));
    return redirect(`/unsubscribe/${encodeURIComponent(token)}?undone=1`);
  }
  const state = await caller.digests.unsubscribe({ token }).catch((error) => httpError(error, request));
  return new Response(`${state.email} is unsubscribed from this digest.\n`, { status: 200, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

export default function Unsubscribe() {
  const { email, linkName, domain, subscribed, undone } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        {subscribed ? (
          <>
            <h1>You’re subscribed again</h1>
            <p>
              <strong>{email}</strong> will get the digest of “{linkName}” ({domain}) again.
            </p>
          </>
        ) : (
          <>
            <h1>You’re unsubscribed</h1>
            <p>
              <strong>{email}</strong> will no longer get the digest of “{linkName}” ({domain}).
              {undone ? null : " Clicked by mistake?"}
            </p>
            <Form method="post" className="form">
              <input type="hidden" name="intent" value="resubscribe" />
              <div className="form-actions">
                <button type="submit" className="button button-secondary" disabled={busy}>
                  {busy ? "Subscribing…" : "Subscribe again"}
                </button>
              </div>
            </Form>
          </>
        )}
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && (error.status === 404 || error.status === 400);
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>{notFound ? "Unsubscribe link not valid" : "Something went wrong"}</h1>
        <p>
          {notFound
            ? "This unsubscribe link does not work (anymore): the recipient may have been removed from the digest, or the link was copied incompletely. Ask the person who set up the digest to remove you."
            : "Please try again in a moment."}
        </p>
      </div>
    </div>
  );
}
