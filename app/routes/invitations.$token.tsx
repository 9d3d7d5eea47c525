import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { deadLinkOr } from "~/lib/errors.server";
import { sessionCookie, setFlash } from "~/lib/cookies.server";
import { formatDate } from "~/lib/format";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Invitation · Glimpse" }, { name: "robots", content: "noindex" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  // A token of the wrong shape is a dead link like any other.
  const invitation = await caller.invitations.get({ token: params.token ?? "" }).catch(deadLinkOr(request));
  const here = new URL(request.url).pathname;
  // A dead link's page says so, as 410 Gone.
  return data(
    { invitation: invitation && { ...invitation, expires: formatDate(invitation.expiresAt) }, here, loginUrl: `/login?redirectTo=${encodeURIComponent(here)}` },
    { status: invitation ? 200 : 410 },
  );
}

const roleText = (role: string) => (role === "admin" ? "an admin: you will see its dashboard and manage its shared links, segments and people" : "a viewer: you will see its dashboard");

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const token = params.token ?? "";
  if (form.get("intent") === "accept") {
    try {
      const joined = await caller.invitations.accept({ token });
      const message = joined.alreadyMember ? `You already had access to ${joined.site}.` : `You joined ${joined.site} as ${joined.role === "admin" ? "an admin" : "a viewer"}.`;
      return redirect(`/sites/${joined.site}`, { headers: { "Set-Cookie": await setFlash(message) } });
    } catch (error) {
      return formFailure(error, {});
    }
  }
  const values = textFields(form, ["password"]);
  try {
    const joined = await caller.invitations.acceptWithPassword({ token, password: values.password });
    const headers = new Headers();
    headers.append("Set-Cookie", await sessionCookie.serialize(joined.token));
    headers.append("Set-Cookie", await setFlash(`Welcome to Glimpse! You joined ${joined.site} as ${joined.role === "admin" ? "an admin" : "a viewer"}.`));
    return redirect(`/sites/${joined.site}`, { headers });
  } catch (error) {
    return formFailure(error, {});
  }
}

export default function Invitation() {
  const { invitation, here, loginUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  if (!invitation) {
    return (
      <div className="app-main narrow">
        <div className="auth-card">
          <h1>This invitation no longer works</h1>
          <p>It has expired, was revoked or was already used. An invitation link works once, for 7 days.</p>
          <p>Ask an admin of the site to invite you again.</p>
        </div>
      </div>
    );
  }
  const { email, site, role, invitedBy, expires, next, signedInAs } = invitation;
  return (
    <div className="app-main narrow">
      <div className="auth-card">
        <h1>Join {site} on Glimpse</h1>
        <p>
          {invitedBy} invited <strong>{email}</strong> to {site} as {roleText(role)}.
        </p>
        <FormError message={result && !errors.password ? result.message : null} />
        {next === "accept" ? (
          <Form method="post" className="form" noValidate>
            <input type="hidden" name="intent" value="accept" />
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy}>
                {busy ? "Joining…" : "Accept invitation"}
              </button>
            </div>
          </Form>
        ) : next === "log-in" ? (
          <>
            <p>An account for {email} exists: log in to accept.</p>
            <p>
              <Link to={loginUrl} className="button">
                Log in to accept
              </Link>
            </p>
          </>
        ) : next === "wrong-account" ? (
          <>
            <p>
              You are logged in as <strong>{signedInAs}</strong>. This invitation is only for {email}: log out, then log in as {email} (or create that account)
              here.
            </p>
            <Form method="post" action="/logout" className="form-actions">
              <input type="hidden" name="redirectTo" value={here} />
              <button type="submit" className="button button-secondary">
                Log out
              </button>
            </Form>
          </>
        ) : (
          <>
            <p>Choose a password for your new Glimpse account, {email}.</p>
            <Form method="post" className="form" noValidate>
              <input type="hidden" name="intent" value="create-account" />
              {/* For password managers: the account the new password belongs to. */}
              <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
              <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={12} hint="At least 12 characters." errors={errors} />
              <div className="form-actions">
                <button type="submit" className="button" disabled={busy}>
                  {busy ? "Creating your account…" : "Create account and join"}
                </button>
              </div>
            </Form>
          </>
        )}
        <p className="muted small invitation-note">The link works once, until {expires}.</p>
      </div>
    </div>
  );
}
