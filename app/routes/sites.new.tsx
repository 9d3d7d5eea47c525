import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Field, FieldError, Flash, FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "Add a site · Glimpse" }];

const TIMEZONES = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((tz) => tz !== "UTC")];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  await caller.sites.list().catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  return data({ flash, timezones: TIMEZONES }, { headers });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const values = textFields(await readForm(request), ["domain", "timezone"]);
  const caller = await getCaller(request, context);
  try {
    const site = await caller.sites.create(values);
    return redirect(`/sites/${site.domain}/settings/general`, {
      headers: { "Set-Cookie": await setFlash(`${site.domain} added. Paste the tracking script below into your pages to start collecting.`) },
    });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function NewSite() {
  const { flash, timezones } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  const known = new Set(["domain", "timezone"]);
  const other = result && !Object.keys(errors).some((k) => known.has(k)) ? result.message : null;
  return (
    <div className="app-main narrow">
      <Flash message={flash} />
      <h1>Add a site</h1>
      <div className="card">
        <FormError message={other} />
        <Form method="post" className="form" noValidate>
          <Field
            label="Domain"
            name="domain"
            placeholder="example.com"
            autoComplete="off"
            required
            hint="Just the domain, without https:// or www."
            defaultValue={result?.values.domain}
            errors={errors}
          />
          <div className="field">
            <label htmlFor="field-timezone">Reporting timezone</label>
            <p className="hint" id="field-timezone-hint">
              Days in your dashboard start at midnight in this timezone.
            </p>
            <select
              id="field-timezone"
              name="timezone"
              defaultValue={result?.values.timezone || "UTC"}
              aria-describedby="field-timezone-hint"
              aria-invalid={errors.timezone ? true : undefined}
            >
              {timezones.map((tz) => (
                <option key={tz} value={tz}>
                  {tz.replaceAll("_", " ")}
                </option>
              ))}
            </select>
            <FieldError message={errors.timezone?.[0]} />
          </div>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Adding…" : "Add site"}
            </button>
          </div>
        </Form>
      </div>
    </div>
  );
}
