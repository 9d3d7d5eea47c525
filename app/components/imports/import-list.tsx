import { Link } from "@remix-run/react";
import { describeAdded, type ImportSummary } from "../../../server/schemas/imports.js";
import { DataTable } from "../data-table";

/** What an import is doing or did, in words (and a progress bar while it runs). */
function Status({ item }: { item: ImportSummary }) {
  switch (item.status) {
    case "uploading":
      return <span>Uploading…</span>;
    case "pending":
      return <span>Waiting to start</span>;
    case "running":
      return (
        <span className="import-progress">
          <progress max={100} value={item.progress} aria-label={`Import progress: ${item.progress}%`} /> Importing, {item.progress}%
        </span>
      );
    case "completed":
      return (
        <span>
          Completed{item.skipped ? <span className="muted import-skipped">{item.skipped}</span> : null}
        </span>
      );
    case "failed":
      return (
        <span className="import-error" role="note">
          Failed: {item.error}
        </span>
      );
  }
}

export function ImportList({ domain, imports }: { domain: string; imports: ImportSummary[] }) {
  if (imports.length === 0) return <p className="empty">No imports yet.</p>;
  return (
    <DataTable label="Imports" columns={["Source", "Date range", "Adds", "Status"]} actions>
      {imports.map((item) => (
        <tr key={item.id}>
          <td data-label="Source">
            {item.source}
            {item.files ? <span className="muted import-files">{item.files}</span> : null}
          </td>
          <td data-label="Date range">
            {item.from && item.to ? (
              <>
                <span className="nowrap">{item.from}</span> to <span className="nowrap">{item.to}</span>
              </>
            ) : (
              <span className="muted">—</span>
            )}
          </td>
          <td data-label="Adds">{item.status === "completed" ? describeAdded(item) : <span className="muted">—</span>}</td>
          <td data-label="Status">
            <Status item={item} />
          </td>
          <td>
            <div className="row-actions">
              <Link to={`/sites/${domain}/settings/imports/${item.id}/delete`} className="danger-link" aria-label={`Delete import of ${item.createdAt.slice(0, 10)}`}>
                Delete
              </Link>
            </div>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
