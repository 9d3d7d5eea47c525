import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { DataTable } from "~/components/data-table";
import { FormError, RowActionForm } from "~/components/form";

export interface MemberRow {
  userId: string;
  email: string;
  role: string;
  added: string;
}

/** Who can see this site's dashboard (viewers) and manage its links and segments (admins, owners). */
export function MembersCard({ members, canManage, message, children }: { members: MemberRow[]; canManage: boolean; message?: string | null; children?: ReactNode }) {
  return (
    <section className="card" aria-labelledby="people">
      <h2 id="people">People</h2>
      <p className="muted">Viewers see this site's dashboard and its list of shared links. Admins also manage shared links, segments and who has access.</p>
      <FormError message={message} />
      <DataTable label="People with access" columns={["Email", "Role", "Added"]} actions={canManage} className="members-table">
        {members.map((m) => (
          <tr key={m.userId}>
            <td data-label="Email" className="link-name">
              {m.email}
            </td>
            <td data-label="Role">
              <span className="badge badge-role">{m.role}</span>
            </td>
            <td data-label="Added">{m.added}</td>
            {canManage ? (
              <td>
                {m.role === "owner" ? null : (
                  <div className="row-actions">
                    <RoleForm userId={m.userId} email={m.email} role={m.role === "admin" ? "viewer" : "admin"} />
                    <RowActionForm intent="remove-member" field="userId" value={m.userId} label={`Remove ${m.email}`}>
                      Remove
                    </RowActionForm>
                  </div>
                )}
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
      {children}
    </section>
  );
}

function RoleForm({ userId, email, role }: { userId: string; email: string; role: "viewer" | "admin" }) {
  const label = role === "admin" ? "Make admin" : "Make viewer";
  return (
    <Form method="post" className="inline-form">
      <input type="hidden" name="intent" value="set-role" />
      <input type="hidden" name="userId" value={userId} />
      <input type="hidden" name="role" value={role} />
      {/* The visible words start the accessible name, so voice control finds the button by them. */}
      <button type="submit" className="button-link" aria-label={`${label} (${email})`}>
        {label}
      </button>
    </Form>
  );
}
