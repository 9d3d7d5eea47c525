import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, Flash, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Forgot your password? · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const { flash, headers } = await takeFlash(request);
  return data({ byMail: await caller.auth.resetByMail(), flash }, { headers });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = textFields(form, ["email"]);
  const caller = await getCaller(request, context);
  try {
    const { mailEnabled } = await caller.auth.requestPasswordReset(values);
    const message = mailEnabled
      ? `If an account uses ${values.email.trim()}, we sent it a link to choose a new password. It works once, for one hour.`
      : "This server cannot send email. Ask an admin of this Glimpse server for a reset link.";
    return redirect("/forgot-password", { headers: { "Set-Cookie": await setFlash(message) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function ForgotPassword() {
  const { byMail, flash } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>Forgot your password?</h1>
        <Flash message={flash} />
        {byMail ? (
          <>
            <p>Enter the email address of your account. We send it a link to choose a new password.</p>
            <FormError message={result && !errors.email ? result.message : null} />
            <Form method="post" className="form" noValidate>
              <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values.email} errors={errors} />
              <div className="form-actions">
                <button type="submit" className="button" disabled={busy}>
                  {busy ? "Sending…" : "Send reset link"}
                </button>
                <span className="muted small">
                  <Link to="/login">Back to log in</Link>
                </span>
              </div>
            </Form>
          </>
        ) : (
          <>
            <p>This Glimpse server cannot send email, so it cannot mail you a reset link.</p>
            <p>Ask an admin of this server: they can make a one-time link that lets you choose a new password.</p>
            <p>
              <Link to="/login">Back to log in</Link>
            </p>
          </>
        )}
      </div>
    </div>
  );
}
