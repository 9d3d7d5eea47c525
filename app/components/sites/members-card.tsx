import { Form, useNavigation } from "@remix-run/react";
import { DataTable } from "~/components/data-table";
import { Field, FieldError, type FieldErrors, FormError, RowActionForm } from "~/components/form";

export interface MemberRow {
  userId: string;
  email: string;
  role: string;
  added: string;
}

/** Who can see this site's dashboard (viewers) and manage its links and segments (admins, owners). */
export function MembersCard({ members, canManage, errors, message, email }: { members: MemberRow[]; canManage: boolean; errors: FieldErrors; message?: string | null; email?: string }) {
  const busy = useNavigation().formData?.get("intent") === "add-member";
  return (
    <section className="card" aria-labelledby="people">
      <h2 id="people">People</h2>
      <p className="muted">Viewers see this site's dashboard and its list of shared links. Admins also manage shared links and segments.</p>
      <DataTable label="People with access" columns={["Email", "Role", "Added"]} actions={canManage}>
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
                  <RowActionForm intent="remove-member" field="userId" value={m.userId} label={`Remove ${m.email}`}>
                    Remove
                  </RowActionForm>
                )}
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
      {canManage ? (
        <>
          <h3 className="subheading">Add someone</h3>
          <FormError message={message} />
          <Form method="post" className="form" noValidate>
            <input type="hidden" name="intent" value="add-member" />
            <Field label="Email of their Glimpse account" name="email" type="email" autoComplete="off" required defaultValue={email} errors={errors} />
            <div className="field">
              <label htmlFor="field-role">Role</label>
              <select id="field-role" name="role" defaultValue="viewer">
                <option value="viewer">Viewer – sees the dashboard</option>
                <option value="admin">Admin – also manages shared links and segments</option>
              </select>
              <FieldError message={errors.role?.[0]} />
            </div>
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy}>
                {busy ? "Adding…" : "Add person"}
              </button>
            </div>
          </Form>
        </>
      ) : null}
    </section>
  );
}
