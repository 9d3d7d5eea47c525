import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";
import { Flash } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { newInvitationCookie, setFlash, takeFlash, takeNewInvitation } from "~/lib/cookies.server";
import { InvitationsSection, NewInvitationLink } from "~/components/sites/invitations-card";
import { MembersCard } from "~/components/sites/members-card";
import { formFailure, readForm, textFields } from "~/lib/forms.server";
import { publicConfig } from "~/lib/config.server";
import { httpError } from "~/lib/errors.server";
import { formatDate } from "~/lib/format";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const ref = { site: params.domain ?? "" };
  const [site, members] = await Promise.all([caller.sites.get(ref), caller.sites.members.list(ref)]).catch((error) => httpError(error, request));
  // Only admins see who is invited (and the links made while mail is off).
  const invitations = site.role === "viewer" ? [] : await caller.invitations.list(ref).catch((error) => httpError(error, request));
  const config = publicConfig();
  const snippet = `<script defer data-domain="${site.domain}" src="${config.publicUrl}/js/script.js"></script>`;
  const { flash, headers } = await takeFlash(request);
  const out = new Headers(headers);
  const { invitation: newInvitation, setCookie } = await takeNewInvitation(request, site.domain);
  if (setCookie) out.append("Set-Cookie", setCookie);
  return data(
    {
      site,
      snippet,
      flash,
      mailEnabled: config.mailEnabled,
      newInvitation: site.role === "viewer" ? null : newInvitation,
      created: formatDate(site.createdAt, site.timezone),
      members: members.map((m) => ({ userId: m.userId, email: m.email, role: m.role, added: formatDate(m.addedAt, site.timezone) })),
      invitations: invitations.map((i) => ({
        id: i.id,
        email: i.email,
        role: i.role,
        invitedBy: i.invitedBy,
        expired: i.expired,
        expires: `${formatDate(i.expiresAt, site.timezone)}${i.sentAt ? "" : " (not mailed)"}`,
      })),
    },
    { headers: out },
  );
}

/** Where a failed action's message goes: next to the people list, the invite form, or the pending invitations. */
type Section = "members" | "invite" | "invitations";

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const back = `/sites/${site}/settings/general`;
  const done = async (message: string, invitation?: { site: string; email: string; link: string | null }) => {
    const headers = new Headers();
    headers.append("Set-Cookie", await setFlash(message));
    if (invitation?.link) headers.append("Set-Cookie", await newInvitationCookie.serialize({ site: invitation.site, email: invitation.email, link: invitation.link }));
    return redirect(back, { headers });
  };
  const failed = (error: unknown, section: Section, values: { email?: string; role?: string } = {}) => formFailure(error, { section, ...values });
  const intent = form.get("intent");
  const fields = textFields(form, ["userId", "role", "id", "email"]);
  try {
    if (intent === "remove-member") {
      const removed = await caller.sites.members.remove({ site, userId: fields.userId });
      return done(`${removed.email} no longer has access`);
    }
    if (intent === "set-role") {
      const changed = await caller.sites.members.setRole({ site, userId: fields.userId, role: fields.role as "viewer" });
      return done(`${changed.email} is now ${changed.role === "admin" ? "an admin" : "a viewer"}`);
    }
    if (intent === "resend-invitation") {
      const sent = await caller.invitations.resend({ site, id: fields.id });
      return done(sent.mailed ? `Invitation sent to ${sent.email} again` : `New invitation link for ${sent.email} (the earlier one no longer works)`, { site: sent.site, email: sent.email, link: sent.link });
    }
    if (intent === "revoke-invitation") {
      const revoked = await caller.invitations.revoke({ site, id: fields.id });
      return done(`Invitation to ${revoked.email} revoked`);
    }
  } catch (error) {
    return failed(error, intent === "remove-member" || intent === "set-role" ? "members" : "invitations");
  }
  if (intent !== "invite") throw new Response("This form could not be read. Submit it from the page.", { status: 400 });
  const values = { email: fields.email, role: fields.role };
  try {
    const invited = await caller.invitations.create({ site, email: values.email, role: values.role as "viewer" });
    return done(invited.mailed ? `Invitation sent to ${invited.email}` : `Invitation link for ${invited.email} created`, { site: invited.site, email: invited.email, link: invited.link });
  } catch (error) {
    return failed(error, "invite", values);
  }
}

export default function General() {
  const { site, snippet, created, flash, members, invitations, mailEnabled, newInvitation } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  const section = result?.values.section;
  const canManage = site.role !== "viewer";
  // A message that belongs to no field shown on the page goes above the part it is about.
  const messageFor = (which: Section) => (result && section === which && !(which === "invite" && (errors.email || errors.role)) ? result.message : null);
  return (
    <>
      <Flash message={flash} />
      <section className="card" aria-labelledby="site-details">
        <h2 id="site-details">Site details</h2>
        <table className="data">
          <tbody>
            <tr>
              <th scope="row">Domain</th>
              <td>{site.domain}</td>
            </tr>
            <tr>
              <th scope="row">Reporting timezone</th>
              <td>{site.timezone}</td>
            </tr>
            <tr>
              <th scope="row">Your role</th>
              <td>
                <span className="badge badge-role">{site.role}</span>
              </td>
            </tr>
            <tr>
              <th scope="row">Added</th>
              <td>{created}</td>
            </tr>
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="tracking">
        <div className="card-header">
          <h2 id="tracking">Tracking script</h2>
          <CopyButton text={snippet} label="Copy snippet" />
        </div>
        <p className="muted">
          Paste this into the <code>&lt;head&gt;</code> of every page of {site.domain}. It sets no cookies and respects Do Not Track.
        </p>
        <pre className="snippet">
          <code>{snippet}</code>
        </pre>
      </section>
      {/* A viewer sees no invite form: a refusal of one (a page kept open while their role changed) shows here. */}
      <MembersCard members={members} canManage={canManage} message={messageFor("members") ?? (!canManage && result ? result.message : null)}>
        {canManage ? (
          <InvitationsSection
            invitations={invitations}
            newLink={newInvitation ? <NewInvitationLink email={newInvitation.email} link={newInvitation.link} /> : null}
            mailEnabled={mailEnabled}
            errors={section === "invite" ? errors : {}}
            message={messageFor("invite")}
            listMessage={messageFor("invitations")}
            values={section === "invite" ? result?.values : undefined}
          />
        ) : null}
      </MembersCard>
    </>
  );
}
