import { Form, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import { CopyButton } from "~/components/copy-button";
import { DataTable } from "~/components/data-table";
import { Field, FieldError, type FieldErrors, FormError, RowActionForm } from "~/components/form";

export interface InvitationRow {
  id: string;
  email: string;
  role: string;
  invitedBy: string;
  expires: string;
  expired: boolean;
}

/** The link of an invitation made while mail is off: shown once, to pass on by hand. */
export function NewInvitationLink({ email, link }: { email: string; link: string }) {
  return (
    <div className="new-invitation" role="status" aria-labelledby="new-invitation-title">
      <h3 id="new-invitation-title" className="new-invitation__title">
        Invitation link for {email}
      </h3>
      <p className="small">This server sends no mail, so pass this link on yourself. It works once, for 7 days, and is shown only now.</p>
      <div className="invitation-url">
        <code>{link}</code>
        <CopyButton text={link} label="Copy link" />
      </div>
    </div>
  );
}

/** "Invite someone" and the pending invitations, with Resend (a new link) and Revoke. */
export function InvitationsSection({ invitations, newLink, mailEnabled, errors, message, listMessage, values }: {
  invitations: InvitationRow[];
  /** The link just made while mail is off, shown once. */
  newLink?: ReactNode;
  mailEnabled: boolean;
  errors: FieldErrors;
  /** About the invite form. */
  message?: string | null;
  /** About a pending invitation (a refused Resend). */
  listMessage?: string | null;
  values?: { email?: string; role?: string };
}) {
  const busy = useNavigation().formData?.get("intent") === "invite";
  return (
    <>
      {invitations.length === 0 ? (
        // A Resend or Revoke from a page that was open elsewhere, for an invitation already gone.
        <FormError message={listMessage} />
      ) : null}
      {invitations.length > 0 ? (
        <>
          <h3 className="subheading">Pending invitations</h3>
          <FormError message={listMessage} />
          <DataTable label="Pending invitations" columns={["Email", "Role", "Invited by", "Expires"]} actions className="invitations-table">
            {invitations.map((i) => (
              <tr key={i.id}>
                <td data-label="Email" className="link-name">
                  {i.email}
                </td>
                <td data-label="Role">
                  <span className="badge badge-role">{i.role}</span>
                </td>
                <td data-label="Invited by">{i.invitedBy}</td>
                <td data-label="Expires">{i.expired ? <span className="badge badge-expired">Expired</span> : i.expires}</td>
                <td>
                  <div className="row-actions">
                    <Form method="post" className="inline-form">
                      <input type="hidden" name="intent" value="resend-invitation" />
                      <input type="hidden" name="id" value={i.id} />
                      <button type="submit" className="button-link" aria-label={`${mailEnabled ? "Resend" : "New link for"} the invitation to ${i.email}`}>
                        {mailEnabled ? "Resend" : "New link"}
                      </button>
                    </Form>
                    <RowActionForm intent="revoke-invitation" field="id" value={i.id} label={`Revoke the invitation to ${i.email}`}>
                      Revoke
                    </RowActionForm>
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
      {newLink}
      <h3 className="subheading" id="invite-title">
        Invite someone
      </h3>
      <p className="muted small">
        {mailEnabled
          ? "They get an email with a link that works once, for 7 days. With a Glimpse account they log in to accept; without one they choose a password."
          : "This server sends no mail (no SMTP_URL): you get a link to pass on. It works once, for 7 days."}
      </p>
      <FormError message={message} />
      {/* A new key once an invitation is made: with JavaScript the page is not reloaded, and the fields must empty. */}
      <Form key={invitations.map((i) => i.id).join(",")} method="post" className="form invite-form" noValidate aria-labelledby="invite-title">
        <input type="hidden" name="intent" value="invite" />
        <Field label="Email" name="email" type="email" autoComplete="off" required maxLength={254} defaultValue={values?.email} errors={errors} />
        <div className="field">
          <label htmlFor="field-role">Role</label>
          <select id="field-role" name="role" defaultValue={values?.role === "admin" ? "admin" : "viewer"} aria-describedby={errors.role ? "field-role-error" : undefined}>
            <option value="viewer">Viewer – sees the dashboard</option>
            <option value="admin">Admin – also manages shared links, segments and people</option>
          </select>
          <FieldError id="field-role-error" message={errors.role?.[0]} />
        </div>
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? "Inviting…" : mailEnabled ? "Send invitation" : "Create invitation link"}
          </button>
        </div>
      </Form>
    </>
  );
}
