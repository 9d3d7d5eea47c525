import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Field, Flash, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { sessionCookie, takeFlash } from "~/lib/cookies.server";
import { safeRedirect } from "~/lib/errors.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Log in · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  if (await caller.auth.me()) throw redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  const { flash, headers } = await takeFlash(request);
  return data({ flash }, { headers });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = textFields(form, ["email", "password"]);
  const caller = await getCaller(request, context);
  try {
    const { token } = await caller.auth.login(values);
    return redirect(safeRedirect(form.get("redirectTo")), { headers: { "Set-Cookie": await sessionCookie.serialize(token) } });
  } catch (error) {
    return formFailure(error, { email: values.email });
  }
}

export default function Login() {
  const { flash } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  const message = result && !errors.email && !errors.password ? result.message : null;
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>Log in to Glimpse</h1>
        <Flash message={flash} />
        <FormError message={message} />
        <Form method="post" className="form" noValidate>
          <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values.email} errors={errors} />
          <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={errors} />
          <p className="small">
            <Link to="/forgot-password">Forgot your password?</Link>
          </p>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Logging in…" : "Log in"}
            </button>
            <span className="muted small">
              No account? <Link to="/signup">Sign up</Link>
            </span>
          </div>
        </Form>
      </div>
    </div>
  );
}
