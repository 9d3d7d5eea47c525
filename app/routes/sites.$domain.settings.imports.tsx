import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Flash, FormError } from "~/components/form";
import { formatRange } from "~/components/dashboard/format";
import { ImportList } from "~/components/imports/import-list";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

const UNDER_WAY = new Set(["uploading", "pending", "running"]);

/** While an import runs the page reloads itself every few seconds, so progress shows without JavaScript. */
export const meta: MetaFunction<typeof loader> = ({ data, params }) => [
  { title: `Imports & exports · ${params.domain} · Glimpse` },
  ...(data?.imports.some((i) => UNDER_WAY.has(i.status)) ? [{ httpEquiv: "refresh", content: "3" } as const] : []),
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const page = await caller.imports.list({ site }).catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  const started = new URL(request.url).searchParams.has("started");
  return data({ domain: site.toLowerCase(), ...page, flash: flash ?? (started ? "Upload received: the import runs in the background and shows its progress below." : null) }, { headers });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const include = form.get("include") === "on";
  try {
    await caller.imports.setIncludeImported({ site: params.domain ?? "", include });
    // Dashboards keep a view's figures a few seconds (stats/recent.ts): the switch shows within 10 s.
    const message = include ? "Dashboards include imported data" : "Dashboards leave imported data out";
    return redirect(`/sites/${params.domain}/settings/imports`, { headers: { "Set-Cookie": await setFlash(message) } });
  } catch (error) {
    return formFailure(error, { include });
  }
}

export default function Imports() {
  const { domain, imports, includeImported, uploadLimitBytes, exportDays, flash } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const limit = `${Math.round(uploadLimitBytes / 1024 / 1024)} MB`;
  return (
    <>
      <Flash message={flash} />
      <section className="card" aria-labelledby="import-title">
        <h2 id="import-title">Import from Plausible</h2>
        <p className="muted">
          Upload the zip of Plausible&rsquo;s CSV export (Site settings → Imports &amp; Exports in Plausible), or its CSV files, up to {limit}. Only days
          before {domain}&rsquo;s first own visit are imported; every dashboard, shared ones included, then shows them.
        </p>
        {/* A plain form: the upload streams to its own endpoint, with or without JavaScript. */}
        <form method="post" action={`/api/sites/${domain}/imports`} encType="multipart/form-data" className="form">
          <div className="field">
            <label htmlFor="import-files">Export zip or CSV files</label>
            <input id="import-files" type="file" name="files" accept=".zip,.csv" multiple required aria-describedby="import-files-hint" />
            <p className="hint" id="import-files-hint">
              Files named like imported_visitors_20240101_20241231.csv, one per table.
            </p>
          </div>
          <div className="form-actions">
            <button type="submit" className="button">
              Upload and import
            </button>
          </div>
        </form>
      </section>

      <section className="card" aria-labelledby="imports-title">
        <h2 id="imports-title">Imports</h2>
        <ImportList domain={domain} imports={imports} />
      </section>

      <section className="card" aria-labelledby="include-title">
        <h2 id="include-title">Imported data on dashboards</h2>
        <FormError message={result?.message} />
        <Form method="post" className="form">
          <label className="choice">
            <input type="checkbox" name="include" defaultChecked={includeImported} />
            <span className="choice-text">
              Include imported data
              <span className="hint">Off: every dashboard of the site, shared ones included, shows its own data only. Imports stay and can be switched back on.</span>
            </span>
          </label>
          <div className="form-actions">
            <button type="submit" className="button button-secondary" disabled={navigation.state === "submitting"}>
              Save
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export to CSV</h2>
        <p className="muted">
          All of {domain}&rsquo;s own data as Plausible&rsquo;s ten CSV tables of daily figures, in one zip: import it into Plausible or another Glimpse.
          Imported days are not part of it.
        </p>
        <p>
          {exportDays ? (
            <>
              It holds {formatRange(exportDays.from, exportDays.to)}: today is not over yet.
            </>
          ) : (
            <>Nothing to export yet: {domain} has no data of its own before today, so the zip would hold the ten tables without a row.</>
          )}
        </p>
        <p>
          <a className="button button-secondary" href={`/api/sites/${domain}/export.zip`} download>
            Export to CSV
          </a>
        </p>
      </section>
    </>
  );
}
