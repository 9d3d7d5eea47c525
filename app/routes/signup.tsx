import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { Field, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { sessionCookie, setFlash } from "~/lib/cookies.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Sign up · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  if (await caller.auth.me()) throw redirect("/");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const values = textFields(await readForm(request), ["email", "password"]);
  const caller = await getCaller(request, context);
  try {
    const { token } = await caller.auth.signup(values);
    const headers = new Headers();
    headers.append("Set-Cookie", await sessionCookie.serialize(token));
    headers.append("Set-Cookie", await setFlash("Welcome to Glimpse! Add your first site to start."));
    return redirect("/sites/new", { headers });
  } catch (error) {
    return formFailure(error, { email: values.email });
  }
}

export default function Signup() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  const message = result && !errors.email && !errors.password ? result.message : null;
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>Create your account</h1>
        <FormError message={message} />
        <Form method="post" className="form" noValidate>
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values.email} errors={errors} />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            hint="At least 12 characters. A few unrelated words make a strong one."
            errors={errors}
          />
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Creating account…" : "Sign up"}
            </button>
            <span className="muted small">
              Have an account? <Link to="/login">Log in</Link>
            </span>
          </div>
        </Form>
      </div>
    </div>
  );
}
