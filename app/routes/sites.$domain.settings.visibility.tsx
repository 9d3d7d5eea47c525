import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { Field, Flash, FormError } from "~/components/form";
import { LinksTable } from "~/components/shared-links/links-table";
import { NameField, PASSWORD_HINT, SegmentSelect } from "~/components/shared-links/link-fields";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formatDate, plural, timeAgo } from "~/lib/format";
import { formFailure, readForm } from "~/lib/forms.server";
import { readCreateForm } from "~/lib/shared-link-form.server";
import { readScopeForm } from "~/lib/link-scope-form.server";
import { DEFAULT_SCOPE_VALUES, isScopeField } from "~/lib/link-scope-values";
import { ScopeFields } from "~/components/shared-links/scope-fields";
import { linkScopeSummary, linkStateLabel } from "~/lib/link-summary";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = ({ params }) => [{ title: `Visibility · ${params.domain} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, links, segments] = await Promise.all([
    caller.sites.get({ site }),
    caller.sharedLinks.list({ site }),
    caller.segments.list({ site }),
  ]).catch((error) => httpError(error, request));
  const now = new Date();
  const { flash, headers } = await takeFlash(request);
  return data(
    {
      domain: info.domain,
      timezone: info.timezone,
      canManage: info.role !== "viewer",
      flash,
      segments: segments.map((s) => ({ id: s.id, name: s.name })),
      links: links.map((link) => ({
        id: link.id,
        name: link.name,
        url: link.url,
        hasPassword: link.hasPassword,
        segmentName: link.segment?.name ?? null,
        integration: link.integration,
        state: link.state,
        stateLabel: linkStateLabel(link, now, info.timezone),
        scope: linkScopeSummary(link),
        created: formatDate(link.createdAt, info.timezone),
        views: plural(link.viewCount, "view"),
        viewers: `${plural(link.uniqueViewers30d, "unique viewer")} in 30 days`,
        spike: link.failedUnlockSpike ? `${plural(link.failedUnlockSpike.lastHour, "failed unlock")} in the last hour` : null,
        lastViewed: link.lastViewedAt ? timeAgo(link.lastViewedAt, now) : null,
        failedUnlocks: link.failedUnlockCount > 0 && link.lastFailedUnlockAt
          ? `${plural(link.failedUnlockCount, "failed unlock")}, last ${timeAgo(link.lastFailedUnlockAt, now)}`
          : null,
      })),
    },
    { headers },
  );
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  try {
    const { timezone } = await caller.sites.get({ site });
    const { values, input } = readCreateForm(form);
    const scope = readScopeForm(form, timezone);
    const all = { ...values, ...scope.values };
    if (scope.expiresError) return invalid(all, "expiresAt", scope.expiresError);
    if (scope.boundsError) return invalid(all, "bounds", scope.boundsError);
    try {
      const link = await caller.sharedLinks.create({ site, ...input, ...scope.input });
      return redirect(`/sites/${params.domain}/settings/visibility`, { headers: { "Set-Cookie": await setFlash(`Shared link “${link.name}” created`) } });
    } catch (error) {
      return formFailure(error, all);
    }
  } catch (error) {
    return httpError(error, request);
  }
}

function invalid<V>(values: V, field: string, message: string) {
  return data({ ok: false as const, message, fieldErrors: { [field]: [message] } as Record<string, string[]>, values }, { status: 400 });
}

const FIELDS = new Set(["name", "password", "segmentId"]);

export default function Visibility() {
  const { domain, timezone, canManage, flash, segments, links } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formMethod === "POST" && !navigation.formAction?.includes("/shared-links/");
  const errors = result?.fieldErrors ?? {};
  const other = result && !Object.keys(errors).some((k) => FIELDS.has(k) || isScopeField(k)) ? result.message : null;
  const scopeValues = result ? { ...DEFAULT_SCOPE_VALUES, ...result.values } : DEFAULT_SCOPE_VALUES;
  const form = useRef<HTMLFormElement>(null);
  // After a successful create with JS on, the list reloads in place: clear the form for the next one.
  useEffect(() => {
    if (navigation.state === "idle" && !result) form.current?.reset();
  }, [navigation.state, result]);
  return (
    <>
      <Flash message={flash} />
      <section className="card" aria-labelledby="shared-links">
        <div className="card-header">
          <h2 id="shared-links">Shared links</h2>
        </div>
        <p className="muted">
          Anyone with a shared link sees a read-only dashboard of {domain}, without an account. Protect sensitive data with a password, limit
          it to a segment, and delete links that are no longer needed.
        </p>
        <LinksTable links={links} canManage={canManage} domain={domain} />
      </section>
      {canManage ? (
        <section className="card" aria-labelledby="new-link">
          <h2 id="new-link">New shared link</h2>
          <FormError message={other} />
          <Form method="post" className="form" noValidate ref={form}>
            <NameField errors={errors} defaultValue={result?.values.name} />
            <Field label="Password" name="password" type="password" autoComplete="new-password" hint={PASSWORD_HINT} errors={errors} />
            <SegmentSelect segments={segments} errors={errors} defaultValue={result?.values.segmentId} domain={domain} />
            {/* Kept open after a failed submit, so every value and error is in sight. */}
            <details className="scope-details" open={result ? true : undefined}>
              <summary>Expiry, dates, sections and permissions</summary>
              <p className="hint">By default a link never expires, shows all dates and sections, and lets recipients change the period and filter, but not download.</p>
              <ScopeFields values={scopeValues} errors={errors} timezone={timezone} editing={false} />
            </details>
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy}>
                {busy ? "Creating…" : "Create shared link"}
              </button>
            </div>
          </Form>
        </section>
      ) : null}
    </>
  );
}
