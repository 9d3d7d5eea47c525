import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Confirm your email address · Glimpse" }, { name: "robots", content: "noindex" }];

/**
 * The link in an account's confirmation email. Opening it changes nothing (mail scanners open
 * every link in a message): the owner confirms with the button, which POSTs here.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const target = await caller.auth.email.target({ token: params.token ?? "" }).catch((error) => httpError(error, request));
  const me = await caller.auth.me();
  const signedIn = me !== null;
  // Only the account itself confirms its address: signed out, the page asks to log in first.
  const mine = signedIn && target !== null && me.email.toLowerCase() === target.email.toLowerCase();
  const loginUrl = `/login?redirectTo=${encodeURIComponent(new URL(request.url).pathname)}`;
  // A dead link's page says so, as 410 Gone.
  return data({ target, signedIn, mine, loginUrl }, { status: target ? 200 : 410 });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  try {
    const { email } = await caller.auth.email.confirm({ token: params.token ?? "" });
    return redirect("/account", { headers: { "Set-Cookie": await setFlash(`${email} is confirmed.`) } });
  } catch (error) {
    return formFailure(error, {});
  }
}

export default function ConfirmEmail() {
  const { target, signedIn, mine, loginUrl } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const back = signedIn ? <Link to="/account">Your account</Link> : <Link to="/login">Log in</Link>;
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <FormError message={failed && !failed.ok ? failed.message : null} />
        {!target ? (
          <>
            <h1>This link no longer works</h1>
            <p>It has expired, or the account’s address changed since it was sent. Ask for a new one on your account page.</p>
            <p>{back}</p>
          </>
        ) : target.confirmed ? (
          <>
            <h1>Already confirmed</h1>
            <p>
              <strong>{target.email}</strong> is confirmed: digest mail can go out from this account.
            </p>
            <p>{back}</p>
          </>
        ) : (
          <>
            <h1>Confirm your email address</h1>
            <p>
              Confirm that <strong>{target.email}</strong> is the address of your Glimpse account. Digest mail on your behalf (confirmations to new
              recipients, previews), API keys and two-factor sign-in need a confirmed address.
            </p>
            {mine ? (
              <Form method="post" className="form-actions">
                <button type="submit" className="button" disabled={busy}>
                  {busy ? "Confirming…" : "Yes, this is my address"}
                </button>
              </Form>
            ) : signedIn ? (
              <p>
                You are logged in to another account. Log out, then log in as <strong>{target.email}</strong> and open this link again.
              </p>
            ) : (
              <>
                <p>Only the account itself can confirm its address: log in first. If you did not sign up for Glimpse, ignore this: nothing changes.</p>
                <p className="form-actions">
                  <Link className="button" to={loginUrl}>
                    Log in to confirm
                  </Link>
                </p>
              </>
            )}
          </>
        )}
      </div>
    </div>
  );
}
