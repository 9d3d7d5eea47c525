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
        created: formatDate(link.createdAt, info.timezone),
        views: plural(link.viewCount, "view"),
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
  const { values, input } = readCreateForm(await readForm(request));
  const caller = await getCaller(request, context);
  try {
    const link = await caller.sharedLinks.create({ site: params.domain ?? "", ...input });
    return redirect(`/sites/${params.domain}/settings/visibility`, { headers: { "Set-Cookie": await setFlash(`Shared link “${link.name}” created`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

const FIELDS = new Set(["name", "password", "segmentId"]);

export default function Visibility() {
  const { domain, canManage, flash, segments, links } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formMethod === "POST" && !navigation.formAction?.includes("/shared-links/");
  const errors = result?.fieldErrors ?? {};
  const other = result && !Object.keys(errors).some((k) => FIELDS.has(k)) ? result.message : null;
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
