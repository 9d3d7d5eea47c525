import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FieldError, FormError } from "~/components/form";
import { EmbedSnippet } from "~/components/shared-links/embed-snippet";
import { NameField, PASSWORD_HINT, SegmentSelect } from "~/components/shared-links/link-fields";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm } from "~/lib/forms.server";
import { readEditForm } from "~/lib/shared-link-form.server";
import { readScopeForm } from "~/lib/link-scope-form.server";
import { isScopeField, scopeValuesOf } from "~/lib/link-scope-values";
import { ScopeFields } from "~/components/shared-links/scope-fields";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Edit ${data?.link.name ?? "shared link"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, link, segments] = await Promise.all([
    caller.sites.get({ site }),
    caller.sharedLinks.get({ site, id: params.id ?? "" }),
    caller.segments.list({ site }),
  ]).catch((error) => httpError(error, request));
  if (info.role === "viewer") throw new Response("Only admins can edit shared links", { status: 403 });
  return {
    domain: info.domain,
    timezone: info.timezone,
    link: { id: link.id, name: link.name, url: link.url, hasPassword: link.hasPassword, segmentId: link.segment?.id ?? "", scope: scopeValuesOf(link, info.timezone) },
    segments: segments.map((s) => ({ id: s.id, name: s.name })),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const { timezone } = await caller.sites.get({ site }).catch((error) => httpError(error, request));
  const { values: linkValues, input, passwordError } = readEditForm(form);
  const scope = readScopeForm(form, timezone);
  const values = { ...linkValues, ...scope.values };
  const early = passwordError
    ? { password: passwordError }
    : scope.expiresError
      ? { expiresAt: scope.expiresError }
      : scope.boundsError
        ? { bounds: scope.boundsError }
        : null;
  if (early) {
    const [field, message] = Object.entries(early)[0]!;
    return data({ ok: false as const, message, fieldErrors: { [field]: [message] } as Record<string, string[]>, values }, { status: 400 });
  }
  try {
    const link = await caller.sharedLinks.update({ site, id: params.id ?? "", ...input, ...scope.input });
    return redirect(`/sites/${params.domain}/settings/visibility`, { headers: { "Set-Cookie": await setFlash(`Shared link “${link.name}” updated`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

const FIELDS = new Set(["name", "password", "segmentId"]);

export default function EditLink() {
  const { domain, timezone, link, segments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  const other = result && !Object.keys(errors).some((k) => FIELDS.has(k) || isScopeField(k)) ? result.message : null;
  const values = result?.values ?? { name: link.name, segmentId: link.segmentId, passwordAction: "keep", ...link.scope };
  const back = `/sites/${domain}/settings/visibility`;
  return (
    <>
      <p className="breadcrumbs">
        <Link to={back}>← Shared links</Link>
      </p>
      <section className="card" aria-labelledby="edit-title">
        <h2 id="edit-title">Edit “{link.name}”</h2>
        <FormError message={other} />
        <Form method="post" className="form" noValidate>
          <NameField errors={errors} defaultValue={values.name} />
          {link.hasPassword ? (
            <fieldset className="field password-choice">
              <legend>Password</legend>
              <p className="hint">This link is protected. A new password signs out everyone who unlocked it with the old one.</p>
              <label className="choice">
                <input type="radio" name="passwordAction" value="keep" defaultChecked={values.passwordAction !== "replace" && values.passwordAction !== "remove"} />
                Keep the current password
              </label>
              <label className="choice">
                <input type="radio" name="passwordAction" value="replace" defaultChecked={values.passwordAction === "replace"} />
                Replace it with a new password (below)
              </label>
              <label className="choice">
                <input type="radio" name="passwordAction" value="remove" defaultChecked={values.passwordAction === "remove"} />
                Remove the password (anyone with the link can view)
              </label>
              <div className="new-password field">
                <label htmlFor="field-password">New password</label>
                <p className="hint" id="field-password-hint">
                  At least 12 characters; case-sensitive; spaces count.
                </p>
                <input
                  id="field-password"
                  name="password"
                  type="password"
                  autoComplete="new-password"
                  aria-describedby="field-password-hint"
                  aria-invalid={errors.password ? true : undefined}
                />
              </div>
              <FieldError message={errors.password?.[0]} />
            </fieldset>
          ) : (
            <>
              <input type="hidden" name="passwordAction" value="keep" />
              <Field label="Password" name="password" type="password" autoComplete="new-password" hint={`This link is open. ${PASSWORD_HINT}`} errors={errors} />
            </>
          )}
          <SegmentSelect segments={segments} errors={errors} defaultValue={values.segmentId} domain={domain} />
          <ScopeFields values={values} errors={errors} timezone={timezone} editing />
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Saving…" : "Save changes"}
            </button>
            <Link to={back} className="button button-secondary">
              Cancel
            </Link>
          </div>
        </Form>
      </section>
      <EmbedSnippet url={link.url} protectedLink={link.hasPassword} embedCodePath={`/sites/${domain}/settings/visibility/shared-links/${link.id}/embed`} />
      <section className="card" aria-labelledby="digest-title">
        <h2 id="digest-title">Email digest</h2>
        <p className="muted">
          Send this dashboard’s summary to people by email, weekly or monthly, with a one-click unsubscribe in every email.{" "}
          <Link to={`/sites/${domain}/settings/visibility/shared-links/${link.id}/digest`}>Set up the email digest</Link>
        </p>
      </section>
    </>
  );
}
