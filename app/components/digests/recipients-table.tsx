import { Form } from "@remix-run/react";
import { DataTable } from "~/components/data-table";
import { RowActionForm } from "~/components/form";

export interface RecipientRow {
  id: string;
  email: string;
  name: string;
  state: "waiting" | "confirmed" | "unsubscribed";
  /** "Waiting for confirmation", "Confirmed" or "Unsubscribed". */
  label: string;
  /** One line under the label: when the confirmation went out, the last digest, … */
  detail: string | null;
  canPreview: boolean;
  /** The label of the button that sends the confirmation (again), when it may be sent now. */
  resend: string | null;
  /** Shown instead of the resend button while a resend has to wait. */
  resendNote: string | null;
}

const BADGES = { waiting: "badge badge-paused", confirmed: "badge badge-active", unsubscribed: "badge badge-open" } as const;

/** A link's digest recipients with their state and what can be done for each: preview (confirmed only), resend the confirmation (waiting only), remove. */
export function RecipientsTable({ recipients, busy }: { recipients: RecipientRow[]; busy: FormDataEntryValue | null | undefined }) {
  return (
    <DataTable label="Digest recipients" columns={["Email", "Name", "Status"]} actions>
      {recipients.map((r) => (
        <tr key={r.id}>
          <td data-label="Email" className="link-name">
            {r.email}
          </td>
          <td data-label="Name">{r.name || <span className="muted">—</span>}</td>
          <td data-label="Status">
            <span className={BADGES[r.state]}>{r.label}</span>
            {r.detail ? <span className="muted small recipient-detail">{r.detail}</span> : null}
          </td>
          <td>
            <div className="row-actions">
              {r.canPreview ? (
                <Form method="post" className="inline-form">
                  <input type="hidden" name="intent" value="preview" />
                  <input type="hidden" name="recipientId" value={r.id} />
                  <button type="submit" className="button-link" aria-label={`Send preview to ${r.email}`} disabled={busy === "preview"}>
                    Send preview
                  </button>
                </Form>
              ) : null}
              {r.resend ? (
                <Form method="post" className="inline-form">
                  <input type="hidden" name="intent" value="resend" />
                  <input type="hidden" name="recipientId" value={r.id} />
                  <button type="submit" className="button-link" aria-label={`${r.resend} to ${r.email}`} disabled={busy === "resend"}>
                    {r.resend}
                  </button>
                </Form>
              ) : r.resendNote ? (
                <span className="muted small">{r.resendNote}</span>
              ) : null}
              <RowActionForm intent="remove" field="recipientId" value={r.id} label={`Remove ${r.email}`}>
                Remove
              </RowActionForm>
            </div>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
