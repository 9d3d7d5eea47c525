import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { deadLinkOr } from "~/lib/errors.server";
import { setFlash } from "~/lib/cookies.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Choose a new password · Glimpse" }, { name: "robots", content: "noindex" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  // A token of the wrong shape is a dead link like any other.
  const target = await caller.auth.resetTarget({ token: params.token ?? "" }).catch(deadLinkOr(request));
  // A dead link's page says so, as 410 Gone.
  return data({ email: target?.email ?? null }, { status: target ? 200 : 410 });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = textFields(form, ["password"]);
  const caller = await getCaller(request, context);
  try {
    const { unprovenCleared } = await caller.auth.resetPassword({ token: params.token ?? "", password: values.password });
    const message = unprovenCleared
      ? "Your password was changed and every session of your account was logged out. This link was the first proof that the address is yours, so the API keys and two-factor sign-in set up before it were removed: set up your own after you log in."
      : "Your password was changed and every session of your account was logged out. Log in with the new password.";
    return redirect("/login", { headers: { "Set-Cookie": await setFlash(message) } });
  } catch (error) {
    return formFailure(error, {});
  }
}

export default function ResetPassword() {
  const { email } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>Choose a new password</h1>
        {email ? (
          <>
            <p>
              For the account <strong>{email}</strong>. Setting it logs out every session of the account.
            </p>
            <FormError message={result && !errors.password ? result.message : null} />
            <Form method="post" className="form" noValidate>
              {/* For password managers: the account the new password belongs to. */}
              <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
              <Field label="New password" name="password" type="password" autoComplete="new-password" required minLength={12} hint="At least 12 characters." errors={errors} />
              <div className="form-actions">
                <button type="submit" className="button" disabled={busy}>
                  {busy ? "Saving…" : "Set new password"}
                </button>
              </div>
            </Form>
          </>
        ) : (
          <>
            <p>This reset link has expired or was already used. A link works once, for one hour.</p>
            <p>
              <Link to="/forgot-password">Ask for a new link</Link>
            </p>
          </>
        )}
      </div>
    </div>
  );
}
