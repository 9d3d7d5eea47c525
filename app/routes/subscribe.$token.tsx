import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, isRouteErrorResponse, useActionData, useLoaderData, useNavigation, useRouteError } from "@remix-run/react";
import { FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { httpError } from "~/lib/errors.server";
import { formatDate } from "~/lib/format";
import { formFailure, readForm } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Email digest · Glimpse" }, { name: "robots", content: "noindex" }];

/**
 * The link in a new recipient's confirmation email. Opening it changes nothing (mail scanners
 * open every link in a message): the recipient chooses with a button, which POSTs here.
 * `?choice=decline` is where the email's "don't send me anything" link lands: the same page, with
 * that button first.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const state = await caller.digests.confirmation({ token: params.token ?? "" }).catch((error) => httpError(error, request));
  return { ...state, declining: new URL(request.url).searchParams.get("choice") === "decline" };
}

/**
 * The page's buttons post `intent=confirm` or `intent=decline`; a mail client's own unsubscribe
 * button posts `List-Unsubscribe=One-Click` (RFC 8058) and reads only the status: that declines.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const token = params.token ?? "";
  const here = `/subscribe/${encodeURIComponent(token)}`;
  if (form.get("List-Unsubscribe") === "One-Click") {
    const state = await caller.digests.decline({ token }).catch((error) => httpError(error, request));
    return new Response(`${state.email} gets nothing from the digests of ${state.domain}.\n`, { status: 200, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  const intent = form.get("intent");
  try {
    if (intent === "confirm") await caller.digests.confirm({ token });
    else if (intent === "decline") await caller.digests.decline({ token });
    else return data({ ok: false as const, message: "Choose with one of the buttons on this page.", fieldErrors: {}, values: {} }, { status: 400 });
  } catch (error) {
    return formFailure(error, {});
  }
  return redirect(here);
}

export default function Subscribe() {
  const { email, domain, addedBy, state, expired, expiresAt, declined, declining } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const who = addedBy ?? "An admin of this site";
  const canConfirm = !expired;
  /** One of the two answers, as its own small form; `primary` is the answer the page suggests. */
  const answer = (intent: "confirm" | "decline", busyLabel: string) => (primary: boolean, label: string) => (
    <Form method="post" className="inline-form">
      <input type="hidden" name="intent" value={intent} />
      <button type="submit" className={primary ? "button" : "button button-secondary"} disabled={busy === intent}>
        {busy === intent ? busyLabel : label}
      </button>
    </Form>
  );
  const confirmButton = answer("confirm", "Confirming…");
  const declineButton = answer("decline", "Saving…");
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <FormError message={failed && !failed.ok ? failed.message : null} />
        {state === "confirmed" ? (
          <>
            <h1>You’re subscribed</h1>
            <p>
              <strong>{email}</strong> gets the email digest of the website analytics of <strong>{domain}</strong>. Every digest has a one-click
              unsubscribe.
            </p>
            <div className="confirm-choices">{declineButton(false, "Don’t send me anything from this site")}</div>
          </>
        ) : state === "unsubscribed" ? (
          <>
            <h1>You won’t get this digest</h1>
            <p>
              Nothing more is sent to <strong>{email}</strong> from this digest of <strong>{domain}</strong>
              {declined ? ", and no one can add you to that site’s digests again." : "."}
            </p>
            {canConfirm ? <div className="confirm-choices">{confirmButton(false, "Changed your mind? Send me the digest")}</div> : null}
          </>
        ) : expired ? (
          <>
            <h1>This confirmation link has expired</h1>
            <p>
              Nothing is sent to <strong>{email}</strong> without a confirmation. {who} can send you a new link; or say now that you want nothing from{" "}
              <strong>{domain}</strong>:
            </p>
            <div className="confirm-choices">{declineButton(true, "Don’t send me anything from this site")}</div>
          </>
        ) : (
          <>
            <h1>Do you want this analytics digest?</h1>
            <p>
              <strong>{who}</strong> added <strong>{email}</strong> to an email digest of the website analytics of <strong>{domain}</strong>, weekly
              or monthly. Nothing is sent to you unless you confirm{expiresAt ? ` (this link works until ${formatDate(expiresAt, "UTC")})` : ""}.
            </p>
            <div className="confirm-choices">
              {declining ? declineButton(true, "Don’t send me anything from this site") : confirmButton(true, "Yes, send me the digest")}
              {declining ? confirmButton(false, "Yes, send me the digest") : declineButton(false, "Don’t send me anything from this site")}
            </div>
            <p className="muted small">
              “Don’t send me anything” also means no one can add you to this site’s digests again. Every digest has a one-click unsubscribe.
            </p>
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
        <h1>{notFound ? "Confirmation link not valid" : "Something went wrong"}</h1>
        <p>
          {notFound
            ? "This confirmation link does not work (anymore): a newer one may have been sent, the recipient may have been removed from the digest, or the link was copied incompletely. Nothing is sent to you without a confirmation."
            : "Please try again in a moment."}
        </p>
      </div>
    </div>
  );
}
