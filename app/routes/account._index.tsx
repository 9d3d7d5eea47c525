import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { DataTable } from "~/components/data-table";
import { Field, Flash, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formatDateTime, plural, timeAgo } from "~/lib/format";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Account · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const [sessions, twoFactor, email] = await Promise.all([caller.auth.sessions.list(), caller.auth.twoFactor.status(), caller.auth.email.status()]).catch((error) =>
    httpError(error, request),
  );
  const { flash, headers } = await takeFlash(request);
  const now = new Date();
  return data(
    {
      flash,
      email,
      twoFactor: { enabled: twoFactor.enabled, settingUp: twoFactor.setup !== null, recoveryCodesLeft: twoFactor.recoveryCodesLeft },
      sessions: sessions.map((s) => ({
        client: [s.browser || "Unknown browser", s.os ? `on ${s.os}` : ""].filter(Boolean).join(" "),
        device: s.device,
        started: formatDateTime(s.createdAt),
        lastSeen: s.current ? "now" : timeAgo(s.lastSeenAt, now),
        current: s.current,
      })),
    },
    { headers },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const intent = form.get("intent");
  if (intent === "confirm-email") {
    try {
      const { email } = await caller.auth.email.sendConfirmation();
      return redirect("/account", { headers: { "Set-Cookie": await setFlash(`We sent a confirmation link to ${email}. It works for 24 hours.`) } });
    } catch (error) {
      return formFailure(error, { form: "confirm-email", endOtherSessions: true });
    }
  }
  if (intent === "end-others") {
    const { ended } = await caller.auth.sessions.endOthers().catch((error) => httpError(error, request));
    const message = ended === 0 ? "No other sessions were open." : `Logged out ${plural(ended, "other session")}.`;
    return redirect("/account", { headers: { "Set-Cookie": await setFlash(message) } });
  }
  if (intent === "change-password") {
    const values = textFields(form, ["currentPassword", "password"]);
    const endOtherSessions = form.get("endOtherSessions") === "on";
    try {
      await caller.auth.changePassword({ ...values, endOtherSessions });
      const message = endOtherSessions ? "Password changed. Every other session was logged out." : "Password changed.";
      return redirect("/account", { headers: { "Set-Cookie": await setFlash(message) } });
    } catch (error) {
      return formFailure(error, { form: "change-password", endOtherSessions });
    }
  }
  if (intent === "totp-start") {
    await caller.auth.twoFactor.start().catch((error) => httpError(error, request));
    return redirect("/account/two-factor");
  }
  if (intent === "totp-disable") {
    const values = textFields(form, ["password", "code"]);
    try {
      await caller.auth.twoFactor.disable(values);
      return redirect("/account", { headers: { "Set-Cookie": await setFlash("Two-factor sign-in is off. Your password alone logs you in.") } });
    } catch (error) {
      return formFailure(error, { form: "totp-disable", endOtherSessions: true });
    }
  }
  throw new Response("Unknown action", { status: 400 });
}

export default function Account() {
  const { flash, email, sessions, twoFactor } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.values.form === "change-password" ? result.fieldErrors : {};
  const offErrors = result?.values.form === "totp-disable" ? result.fieldErrors : {};
  const others = sessions.filter((s) => !s.current).length;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Account</h1>
          <p>
            Your address, where you are logged in, your password and two-factor sign-in. Keys for scripts are under <Link to="/account/api-keys">API keys</Link>.
          </p>
        </div>
      </div>
      <Flash message={flash} />
      <section className="card" aria-labelledby="email-title">
        <h2 id="email-title">Email address</h2>
        {email.confirmed ? (
          <p>
            <strong>{email.email}</strong> <span className="badge badge-active">Confirmed</span>
          </p>
        ) : (
          <>
            <p>
              <strong>{email.email}</strong> <span className="badge badge-paused">Not confirmed</span>
            </p>
            <p className="muted">
              Digest mail on your behalf (confirmations to new recipients, previews) goes out only once you have confirmed that this address is
              yours.
            </p>
            <FormError message={result && result.values.form === "confirm-email" ? result.message : null} />
            {email.mailEnabled ? (
              <Form method="post" className="form-actions">
                <input type="hidden" name="intent" value="confirm-email" />
                <button type="submit" className="button" disabled={busy}>
                  Send confirmation link
                </button>
              </Form>
            ) : (
              <p className="muted">This server sends no mail, so there is nothing to confirm yet.</p>
            )}
          </>
        )}
      </section>
      <section className="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        <DataTable label="Sessions" columns={["Browser", "Device", "Logged in", "Last seen"]}>
          {sessions.map((s, i) => (
            <tr key={i}>
              <td data-label="Browser" className="link-name">
                {s.client} {s.current ? <span className="badge badge-protected">This browser</span> : null}
              </td>
              <td data-label="Device">{s.device || "—"}</td>
              <td data-label="Logged in">{s.started}</td>
              <td data-label="Last seen">{s.lastSeen}</td>
            </tr>
          ))}
        </DataTable>
        <Form method="post" className="form-actions">
          <input type="hidden" name="intent" value="end-others" />
          <button type="submit" className="button button-secondary" disabled={busy || others === 0}>
            Log out everywhere else
          </button>
          <span className="muted small">{others === 0 ? "No other sessions are open." : `Ends ${plural(others, "other session")}; this browser stays logged in.`}</span>
        </Form>
      </section>
      <section className="card" aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <FormError message={result && result.values.form === "change-password" && Object.keys(errors).length === 0 ? result.message : null} />
        <Form method="post" className="form" noValidate>
          <input type="hidden" name="intent" value="change-password" />
          <Field label="Current password" name="currentPassword" type="password" autoComplete="current-password" required errors={errors} />
          <Field label="New password" name="password" type="password" autoComplete="new-password" required minLength={12} hint="At least 12 characters." errors={errors} />
          <label className="choice">
            <input type="checkbox" name="endOtherSessions" defaultChecked={result?.values.form === "change-password" ? result.values.endOtherSessions : true} />
            <span>Log out everywhere else</span>
          </label>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              Change password
            </button>
          </div>
        </Form>
      </section>
      <section className="card" aria-labelledby="two-factor-title">
        <h2 id="two-factor-title">Two-factor sign-in</h2>
        {twoFactor.enabled ? (
          <>
            <p>
              On: logging in asks for a code from your authenticator app after the password. {twoFactor.recoveryCodesLeft} of 10 recovery codes left.
            </p>
            <h3>Turn off</h3>
            <FormError message={result && result.values.form === "totp-disable" && Object.keys(offErrors).length === 0 ? result.message : null} />
            <Form method="post" className="form" noValidate>
              <input type="hidden" name="intent" value="totp-disable" />
              <Field label="Password" id="totp-off-password" name="password" type="password" autoComplete="current-password" required errors={offErrors} />
              <Field label="Code" id="totp-off-code" name="code" autoComplete="one-time-code" required maxLength={40} hint="From your app, or a recovery code." errors={offErrors} />
              <div className="form-actions">
                <button type="submit" className="button button-danger" disabled={busy}>
                  Turn off two-factor sign-in
                </button>
              </div>
            </Form>
          </>
        ) : (
          <>
            <p>Off. With it on, logging in also asks for a code from an authenticator app on your phone, so a stolen password is not enough.</p>
            <Form method="post" className="form-actions">
              <input type="hidden" name="intent" value="totp-start" />
              <button type="submit" className="button" disabled={busy}>
                {twoFactor.settingUp ? "Start again with a new code" : "Turn on"}
              </button>
              {twoFactor.settingUp ? <Link to="/account/two-factor">Continue setting up</Link> : null}
            </Form>
          </>
        )}
      </section>
    </>
  );
}
