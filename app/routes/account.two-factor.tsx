import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { recoveryCodesCookie, setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Two-factor sign-in · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const status = await caller.auth.twoFactor.status().catch((error) => httpError(error, request));
  const codes = await recoveryCodesCookie.parse(request.headers.get("Cookie"));
  if (status.enabled && Array.isArray(codes)) {
    return data(
      { recoveryCodes: codes.filter((c): c is string => typeof c === "string"), setup: null },
      { headers: { "Set-Cookie": await recoveryCodesCookie.serialize("", { maxAge: 0 }) } },
    );
  }
  if (!status.setup) throw redirect("/account");
  return { recoveryCodes: null, setup: { secret: status.setup.secret, qrSvg: status.setup.qrSvg } };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = textFields(form, ["code", "password"]);
  const caller = await getCaller(request, context);
  try {
    const { recoveryCodes } = await caller.auth.twoFactor.confirm(values);
    const headers = new Headers();
    headers.append("Set-Cookie", await recoveryCodesCookie.serialize(recoveryCodes));
    headers.append("Set-Cookie", await setFlash("Two-factor sign-in is on."));
    return redirect("/account/two-factor", { headers });
  } catch (error) {
    // The code is kept for another try; a password is never sent back.
    return formFailure(error, { code: values.code });
  }
}

/** The secret in groups of four, as authenticator apps show it when typed in by hand. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(" ") ?? secret;

export default function TwoFactor() {
  const { recoveryCodes, setup } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  if (recoveryCodes) {
    return (
      <>
        <div className="page-header">
          <div>
            <h1>Two-factor sign-in is on</h1>
            <p>From now on, logging in asks for a code from your app after the password.</p>
          </div>
        </div>
        <section className="card new-key" aria-labelledby="codes-title">
          <h2 id="codes-title">Your recovery codes</h2>
          <p>Save them now: they are shown only once, and Glimpse keeps only hashes of them. Each one logs you in once without your phone.</p>
          <ul className="recovery-codes">
            {recoveryCodes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
          <p>
            <Link to="/account" className="button">
              I saved them
            </Link>
          </p>
        </section>
      </>
    );
  }
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Turn on two-factor sign-in</h1>
          <p>Scan the code with an authenticator app (such as Aegis, Google Authenticator or 1Password), then enter the 6-digit code it shows.</p>
        </div>
      </div>
      <section className="card" aria-labelledby="scan-title">
        <h2 id="scan-title">1. Scan</h2>
        {/* Made on the server by the qrcode library from our own key URI: no script, no outside content. */}
        <div className="qr-code" role="img" aria-label="QR code of your two-factor secret" dangerouslySetInnerHTML={{ __html: setup!.qrSvg }} />
        <p>
          Or type the secret in: <code className="api-key">{grouped(setup!.secret)}</code>
        </p>
      </section>
      <section className="card" aria-labelledby="confirm-title">
        <h2 id="confirm-title">2. Confirm</h2>
        <FormError message={result && !errors.code && !errors.password ? result.message : null} />
        <Form method="post" className="form" noValidate>
          <Field label="Code from the app" name="code" inputMode="numeric" autoComplete="one-time-code" required maxLength={40} defaultValue={result?.values.code} errors={errors} />
          <Field label="Your password" name="password" type="password" autoComplete="current-password" required hint="So that only you can turn it on." errors={errors} />
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Checking…" : "Turn on"}
            </button>
            <Link to="/account">Cancel</Link>
          </div>
        </Form>
      </section>
    </>
  );
}
