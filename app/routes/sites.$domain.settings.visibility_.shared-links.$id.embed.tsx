import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";
import { FieldError, FormError } from "~/components/form";
import { embedSnippet } from "~/components/shared-links/embed-snippet";
import { getCaller } from "~/lib/caller.server";
import { httpError } from "~/lib/errors.server";
import { formatDateTime } from "~/lib/format";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { PERIOD_LABELS, PERIODS } from "../../server/schemas/stats";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Embed code for ${data?.link.name ?? "a shared link"} · Glimpse` }];

const HOURS = [1, 4, 8, 24];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, link] = await Promise.all([caller.sites.get({ site }), caller.sharedLinks.get({ site, id: params.id ?? "" })]).catch((error) =>
    httpError(error, request),
  );
  if (info.role === "viewer") throw new Response("Only admins can make embed codes", { status: 403 });
  return { domain: info.domain, timezone: info.timezone, link: { id: link.id, name: link.name, url: link.url, hasPassword: link.hasPassword, state: link.state } };
}

/** Mints a token and shows its code once, like a new API key: nothing to redirect to. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const values = textFields(await readForm(request), ["hours", "period"]);
  const hours = Number(values.hours);
  const period = PERIODS.find((p) => p === values.period && p !== "custom");
  const caller = await getCaller(request, context);
  try {
    const minted = await caller.sharedLinks.createEmbedToken({
      site: params.domain ?? "",
      id: params.id ?? "",
      ttlMinutes: HOURS.includes(hours) ? hours * 60 : 60,
      ...(period && { period: { key: period } }),
    });
    return data({ ok: true as const, minted, values });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function EmbedCode() {
  const { domain, timezone, link } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const back = `/sites/${domain}/settings/visibility/shared-links/${link.id}/edit`;
  const minted = result?.ok ? result.minted : null;
  const error = result && !result.ok ? result.message : null;
  const snippet = minted ? embedSnippet(`${minted.url}?theme=light`) : null;
  return (
    <>
      <p className="breadcrumbs">
        <Link to={back}>← Edit “{link.name}”</Link>
      </p>
      <section className="card" aria-labelledby="embed-code-title">
        <h2 id="embed-code-title">Embed code for “{link.name}”</h2>
        <p className="muted">
          An embed code carries a signed token that opens this link inside another site’s frame{link.hasPassword ? " without its password" : ""}. It
          stops working when it runs out, when the link is paused, expires or is deleted, and when its password changes. For a page that stays
          up, have your server ask for a fresh token for each visit with <code>sharedLinks.createEmbedToken</code> (see the README).
        </p>
        <FormError message={error} />
        <Form method="post" className="form">
          <div className="field">
            <label htmlFor="field-hours">Valid for</label>
            <select id="field-hours" name="hours" defaultValue={result?.values.hours ?? "1"}>
              {HOURS.map((h) => (
                <option key={h} value={h}>
                  {h === 1 ? "1 hour" : `${h} hours`}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="field-period">Period</label>
            <p className="hint" id="field-period-hint">
              Lock the embed to one period, or let its viewers choose (within what the link allows).
            </p>
            <select id="field-period" name="period" aria-describedby="field-period-hint" defaultValue={result?.values.period ?? ""}>
              <option value="">Viewers choose</option>
              {PERIODS.filter((p) => p !== "custom").map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABELS[p]}
                </option>
              ))}
            </select>
            <FieldError message={result && !result.ok ? result.fieldErrors.period?.[0] : undefined} />
          </div>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Making…" : "Make embed code"}
            </button>
          </div>
        </Form>
      </section>
      {minted && snippet ? (
        <section className="card new-key" aria-labelledby="embed-code-result">
          <div className="card-header">
            <h2 id="embed-code-result">Your embed code</h2>
            <CopyButton text={snippet} label="Copy embed code" />
          </div>
          <p className="muted">Valid until {formatDateTime(minted.expiresAt, timezone)}. Paste it where the dashboard should appear.</p>
          <pre className="snippet">
            <code>{snippet}</code>
          </pre>
        </section>
      ) : null}
    </>
  );
}
