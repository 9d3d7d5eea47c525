import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Field, Flash, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { pendingLoginCookie, readPendingLogin, sessionCookie, takeFlash } from "~/lib/cookies.server";
import { safeRedirect } from "~/lib/errors.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Log in · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  if (await caller.auth.me()) throw redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  const { flash, headers } = await takeFlash(request);
  return data({ flash, codeStep: (await readPendingLogin(request)) !== null }, { headers });
}

/** Signed in: the session cookie, the pending note cleared, and on to where the person was going. */
async function signedIn(token: string, to: FormDataEntryValue | null) {
  const headers = new Headers();
  headers.append("Set-Cookie", await sessionCookie.serialize(token));
  headers.append("Set-Cookie", await pendingLoginCookie.serialize("", { maxAge: 0 }));
  return redirect(safeRedirect(to), { headers });
}

const PENDING_GONE = "Your sign-in took too long or is no longer valid. Log in again.";

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const intent = form.get("intent");
  if (intent === "cancel") {
    return redirect("/login", { headers: { "Set-Cookie": await pendingLoginCookie.serialize("", { maxAge: 0 }) } });
  }
  if (intent === "code") {
    const pending = await readPendingLogin(request);
    // The password step's cookie ran out while the page was open: back to the password, saying why.
    if (!pending) return data({ ok: false as const, message: PENDING_GONE, fieldErrors: {} as Record<string, string[]>, values: { step: "password", email: "" } }, { status: 401 });
    const values = textFields(form, ["code"]);
    try {
      const { token } = await caller.auth.loginCode({ pending, code: values.code });
      return signedIn(token, form.get("redirectTo"));
    } catch (error) {
      return formFailure(error, { step: "code", email: "" });
    }
  }
  const values = textFields(form, ["email", "password"]);
  try {
    const result = await caller.auth.login(values);
    if (!result.twoFactor) return signedIn(result.token, form.get("redirectTo"));
    // Back to this page, which now asks for the code (with the destination kept).
    const back = new URL(request.url);
    return redirect(`${back.pathname}${back.search}`, { headers: { "Set-Cookie": await pendingLoginCookie.serialize(result.pending) } });
  } catch (error) {
    return formFailure(error, { step: "password", email: values.email });
  }
}

export default function Login() {
  const { flash, codeStep } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  const redirectTo = <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />;
  if (codeStep) {
    const message = result?.values.step === "code" && !errors.code ? result.message : null;
    return (
      <div className="app-main narrow">
        <div className="auth-card">
          <h1>Enter your code</h1>
          <FormError message={message} />
          <Form method="post" className="form" noValidate>
            {redirectTo}
            <input type="hidden" name="intent" value="code" />
            <Field
              label="Code"
              name="code"
              autoComplete="one-time-code"
              required
              maxLength={40}
              hint="The 6-digit code from your authenticator app, or one of your recovery codes."
              errors={errors}
            />
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy}>
                {busy ? "Checking…" : "Log in"}
              </button>
            </div>
          </Form>
          <Form method="post" className="form-actions">
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="button-link">
              Start over
            </button>
          </Form>
        </div>
      </div>
    );
  }
  const message = result && !errors.email && !errors.password ? result.message : null;
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>Log in to Glimpse</h1>
        <Flash message={flash} />
        <FormError message={message} />
        <Form method="post" className="form" noValidate>
          {redirectTo}
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
