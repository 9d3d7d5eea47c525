import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";
import { DataTable } from "~/components/data-table";
import { Field, Flash, FormError, RowActionForm } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { newApiKeyCookie, setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formatDateTime, timeAgo } from "~/lib/format";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = () => [{ title: "API keys · Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const keys = await caller.auth.apiKeys.list().catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  const created = await newApiKeyCookie.parse(request.headers.get("Cookie"));
  const out = new Headers(headers);
  if (created) out.append("Set-Cookie", await newApiKeyCookie.serialize("", { maxAge: 0 }));
  const now = new Date();
  return data(
    {
      flash,
      newKey: typeof created === "string" ? created : null,
      keys: keys.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        integration: k.integration,
        created: formatDateTime(k.createdAt),
        lastUsed: k.lastUsedAt ? timeAgo(k.lastUsedAt, now) : "never",
        revoked: k.revokedAt ? formatDateTime(k.revokedAt) : null,
      })),
    },
    { headers: out },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  if (form.get("intent") === "revoke") {
    const revoked = await caller.auth.apiKeys.revoke({ id: String(form.get("id") ?? "") }).catch((error) => httpError(error, request));
    return redirect("/account/api-keys", { headers: { "Set-Cookie": await setFlash(`API key “${revoked.name}” revoked`) } });
  }
  const values = textFields(form, ["name"]);
  try {
    const { key, apiKey } = await caller.auth.apiKeys.create({ name: values.name, integration: form.get("integration") === "on" });
    const headers = new Headers();
    headers.append("Set-Cookie", await newApiKeyCookie.serialize(key));
    headers.append("Set-Cookie", await setFlash(`API key “${apiKey.name}” created`));
    return redirect("/account/api-keys", { headers });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function ApiKeys() {
  const { flash, newKey, keys } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors ?? {};
  return (
    <>
      <div className="page-header">
        <div>
          <h1>API keys</h1>
          <p>Internal tools use a key to call the Glimpse API with your permissions.</p>
        </div>
      </div>
      <Flash message={flash} />
      {newKey ? (
        <section className="card new-key" aria-labelledby="new-key-title">
          <h2 id="new-key-title">Your new API key</h2>
          <p>Copy it now: it is shown only once and Glimpse keeps only a hash of it.</p>
          <div className="share-url">
            <code className="api-key">{newKey}</code>
            <CopyButton text={newKey} />
          </div>
        </section>
      ) : null}
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {keys.length === 0 ? (
          <p className="empty">No API keys yet.</p>
        ) : (
          <DataTable label="API keys" columns={["Name", "Key", "Created", "Last used"]} actions>
            {keys.map((k) => (
              <tr key={k.id}>
                <td data-label="Name" className="link-name">
                  {k.name} {k.integration ? <span className="badge badge-role">integration</span> : null}
                </td>
                <td data-label="Key">
                  <code>{k.prefix}…</code>
                </td>
                <td data-label="Created">{k.created}</td>
                <td data-label="Last used">{k.lastUsed}</td>
                <td>
                  {k.revoked ? (
                    <span className="muted small">Revoked {k.revoked}</span>
                  ) : (
                    <RowActionForm intent="revoke" field="id" value={k.id} label={`Revoke ${k.name}`}>
                      Revoke
                    </RowActionForm>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      <section className="card" aria-labelledby="create-key">
        <h2 id="create-key">Create a key</h2>
        <FormError message={result && !errors.name ? result.message : null} />
        <Form method="post" className="form" noValidate>
          <input type="hidden" name="intent" value="create" />
          <Field label="Name" name="name" required maxLength={100} placeholder="e.g. Link audit script" defaultValue={result?.values.name} errors={errors} />
          <label className="choice">
            <input type="checkbox" name="integration" />
            <span>
              Integration key <span className="muted small">— may create links with reserved names (such as “WordPress - Shared Dashboard”), which are hidden from the settings list.</span>
            </span>
          </label>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Creating…" : "Create key"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
