import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { formatRange } from "~/components/dashboard/format";
import { type RecipientRow, RecipientsTable } from "~/components/digests/recipients-table";
import { Field, Flash, FormError } from "~/components/form";
import { type Caller, getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formatDate, formatDateTime } from "~/lib/format";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { CONFIRM_DAYS, DIGEST_FREQUENCIES, FREQUENCY_HINTS, FREQUENCY_LABELS, MAX_RECIPIENTS, RECIPIENT_STATE_LABELS } from "../../server/schemas/digests";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Email digest of ${data?.link.name ?? "a shared link"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const id = params.id ?? "";
  const [info, link] = await Promise.all([caller.sites.get({ site }), caller.sharedLinks.get({ site, id })]).catch((error) => httpError(error, request));
  if (info.role === "viewer") throw new Response("Only admins can manage digests", { status: 403 });
  const [digest, me] = await Promise.all([caller.sharedLinks.digest({ site, id }), caller.auth.me()]).catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  const tz = info.timezone;
  const now = Date.now();
  return data(
    {
      flash,
      domain: info.domain,
      timezone: tz,
      link: { id: link.id, name: link.name, state: link.state },
      mailEnabled: digest.mailEnabled,
      frequency: digest.frequency,
      next: digest.next ? { at: formatDateTime(digest.next.sendsAt, tz), range: formatRange(digest.next.from, digest.next.to) } : null,
      myEmail: me?.email ?? "",
      recipients: digest.recipients.map((r) => recipientRow(r, { tz, mailEnabled: digest.mailEnabled, now })),
    },
    { headers },
  );
}

type Recipient = Awaited<ReturnType<Caller["sharedLinks"]["digest"]>>["recipients"][number];

/** A recipient as the list shows them: state, one line of detail, and what can be sent to them now. */
function recipientRow(r: Recipient, { tz, mailEnabled, now }: { tz: string; mailEnabled: boolean; now: number }): RecipientRow {
  const waiting = r.state === "waiting";
  let detail: string;
  if (r.state === "unsubscribed") detail = `since ${formatDate(r.unsubscribedAt!, tz)}`;
  else if (r.state === "confirmed") detail = r.lastSentAt ? `last digest ${formatDate(r.lastSentAt, tz)}` : "no digest yet";
  else if (!r.confirmationSentAt) detail = "confirmation not sent yet";
  else if (r.confirmationExpiresAt && Date.parse(r.confirmationExpiresAt) <= now) detail = `link expired ${formatDate(r.confirmationExpiresAt, tz)}`;
  else detail = `asked ${formatDateTime(r.confirmationSentAt, tz)}`;
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    state: r.state,
    label: RECIPIENT_STATE_LABELS[r.state],
    detail,
    canPreview: r.state === "confirmed" && mailEnabled,
    resend: waiting && mailEnabled && !r.canResendAt ? (r.confirmationSentAt ? "Send confirmation again" : "Send confirmation") : null,
    resendNote: waiting && mailEnabled && r.canResendAt ? `resend possible after ${formatDateTime(r.canResendAt, tz)}` : null,
  };
}

const INTENTS = ["schedule", "add", "remove", "preview", "preview-me", "resend"] as const;

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = textFields(form, ["intent", "frequency", "email", "name", "recipientId"]);
  const ref = { site: params.domain ?? "", id: params.id ?? "" };
  const here = new URL(request.url).pathname;
  const caller = await getCaller(request, context);
  const intent = INTENTS.find((i) => i === values.intent);
  if (!intent) return data({ ok: false as const, message: "Choose what to do with the buttons on this page.", fieldErrors: {}, values }, { status: 400 });
  const done = async (message: string) => redirect(here, { headers: { "Set-Cookie": await setFlash(message) } });
  try {
    if (intent === "schedule") {
      const frequency = values.frequency === "off" ? null : DIGEST_FREQUENCIES.find((f) => f === values.frequency);
      if (frequency === undefined) return data({ ok: false as const, message: "Choose weekly, monthly or off.", fieldErrors: { frequency: ["Choose weekly, monthly or off"] }, values }, { status: 400 });
      await caller.sharedLinks.setDigestSchedule({ ...ref, frequency });
      return done(frequency ? `Digest set to ${FREQUENCY_LABELS[frequency].toLowerCase()}` : "Digest turned off");
    }
    if (intent === "add") {
      const added = await caller.sharedLinks.addDigestRecipient({ ...ref, email: values.email, name: values.name.trim() });
      return done(
        added.confirmationSent
          ? `${added.email} added. They get an email asking them to confirm, and digests only once they do.`
          : `${added.email} added. Once mail is set up, send them the confirmation from the list.`,
      );
    }
    if (intent === "remove") {
      await caller.sharedLinks.removeDigestRecipient({ ...ref, recipientId: values.recipientId });
      return done("Recipient removed");
    }
    if (intent === "resend") {
      const sent = await caller.sharedLinks.resendDigestConfirmation({ ...ref, recipientId: values.recipientId });
      return done(`Confirmation sent to ${sent.email}`);
    }
    const sent =
      intent === "preview-me"
        ? await caller.sharedLinks.sendDigestPreviewToMe(ref)
        : await caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: values.recipientId });
    return done(`Preview of ${formatRange(sent.from, sent.to)} sent to ${sent.email}`);
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function LinkDigest() {
  const { flash, domain, link, mailEnabled, frequency, next, recipients, myEmail } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const failed = result && !result.ok ? result : null;
  const errorsFor = (intent: string): Record<string, string[] | undefined> => (failed?.values.intent === intent ? failed.fieldErrors : {});
  const messageFor = (intent: string) => (failed?.values.intent === intent && Object.keys(failed.fieldErrors).length === 0 ? failed.message : null);
  const back = `/sites/${domain}/settings/visibility/shared-links/${link.id}/edit`;
  const chosen = failed?.values.intent === "schedule" ? failed.values.frequency : (frequency ?? "off");
  const confirmed = recipients.filter((r) => r.state === "confirmed").length;
  const waiting = recipients.filter((r) => r.state === "waiting").length;
  return (
    <>
      <p className="breadcrumbs">
        <Link to={back}>← Edit “{link.name}”</Link>
      </p>
      <Flash message={flash} />
      {failed && !["schedule", "add"].includes(failed.values.intent) ? <FormError message={failed.message} /> : null}
      <section className="card" aria-labelledby="digest-title">
        <h2 id="digest-title">Email digest of “{link.name}”</h2>
        <p className="muted">
          A summary of this shared dashboard by email: its totals with their change, the top rows of each section the link shows, and the link
          itself — never its password. A new recipient confirms by email before anything else reaches them, and every email has a one-click
          unsubscribe.
        </p>
        {mailEnabled ? null : (
          <div className="alert alert-info" role="status">
            <strong>Digests are off on this server.</strong> It has no mail server to send them through: set <code>SMTP_URL</code> (and{" "}
            <code>MAIL_FROM</code>) as the README explains. You can choose a schedule and recipients now; nothing is sent until then.
          </div>
        )}
        {link.state !== "active" ? (
          <div className="alert alert-warning" role="status">
            This link is {link.state}, so no digest is sent{link.state === "paused" ? " until it is resumed" : ""}.
          </div>
        ) : null}
        <FormError message={messageFor("schedule")} />
        <Form method="post" className="form">
          <input type="hidden" name="intent" value="schedule" />
          <fieldset className="field" aria-describedby={errorsFor("schedule").frequency ? "field-frequency-error" : undefined}>
            <legend>Schedule</legend>
            <label className="choice">
              <input type="radio" name="frequency" value="off" defaultChecked={chosen === "off"} />
              <span>Off</span>
            </label>
            {DIGEST_FREQUENCIES.map((f) => (
              <label className="choice" key={f}>
                <input type="radio" name="frequency" value={f} defaultChecked={chosen === f} />
                <span>
                  {FREQUENCY_LABELS[f]} <span className="muted small">— {FREQUENCY_HINTS[f]}</span>
                </span>
              </label>
            ))}
            {errorsFor("schedule").frequency ? (
              <p className="field-error" id="field-frequency-error" role="alert">
                {errorsFor("schedule").frequency?.[0]}
              </p>
            ) : null}
          </fieldset>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy === "schedule"}>
              {busy === "schedule" ? "Saving…" : "Save schedule"}
            </button>
          </div>
        </Form>
        {frequency ? (
          <p className="muted small">
            {next
              ? `Next digest: ${next.at}, for ${next.range}${mailEnabled ? "" : " (once mail is set up)"}.`
              : confirmed === 0
                ? "No digest goes out until a recipient has confirmed."
                : "No digest goes out while the link is not active."}
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="recipients-title">
        <h2 id="recipients-title">
          Recipients{" "}
          <span className="muted small">
            ({confirmed} confirmed{waiting ? `, ${waiting} waiting` : ""})
          </span>
        </h2>
        {recipients.length === 0 ? <p className="empty">No recipients yet.</p> : <RecipientsTable recipients={recipients} busy={busy} />}
        {mailEnabled && link.state === "active" ? (
          <Form method="post" className="form-actions preview-me">
            <input type="hidden" name="intent" value="preview-me" />
            <button type="submit" className="button button-secondary" disabled={busy === "preview-me"}>
              {busy === "preview-me" ? "Sending…" : "Send preview to me"}
            </button>
            <span className="muted small">The latest period’s digest, to {myEmail}. Previews go only to you and to recipients who confirmed.</span>
          </Form>
        ) : null}
      </section>
      <section className="card" aria-labelledby="add-recipient">
        <h2 id="add-recipient">Add a recipient</h2>
        <FormError message={messageFor("add")} />
        {/* A new key after each addition empties the fields (with JavaScript, the page is not reloaded). */}
        <Form key={recipients.length} method="post" className="form" noValidate aria-labelledby="add-recipient">
          <input type="hidden" name="intent" value="add" />
          <Field
            label="Email"
            name="email"
            type="email"
            required
            maxLength={254}
            autoComplete="off"
            placeholder="name@example.com"
            defaultValue={failed?.values.intent === "add" ? failed.values.email : undefined}
            errors={errorsFor("add")}
          />
          <Field
            label="Name (optional)"
            name="name"
            maxLength={100}
            autoComplete="off"
            hint="Shown with the address in the email’s To line."
            defaultValue={failed?.values.intent === "add" ? failed.values.name : undefined}
            errors={errorsFor("add")}
          />
          <p className="muted small">
            They get one email that asks them to confirm (the link in it works for {CONFIRM_DAYS} days), and nothing else until they do. Up to{" "}
            {MAX_RECIPIENTS} recipients. Someone who unsubscribed can only subscribe again from the link in one of their emails.
          </p>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy === "add"}>
              {busy === "add" ? "Adding…" : "Add recipient"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
