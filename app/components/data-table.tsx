import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

/**
 * The settings lists. Below 720 px `.stack` turns each row into a card whose cells are labelled
 * from their `data-label`, so rows give every cell the column's name. `actions` adds a last column
 * whose header only screen readers hear.
 */
export function DataTable({ label, columns, actions = false, className, children }: {
  label: string;
  columns: string[];
  actions?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className ? `data stack ${className}` : "data stack"} aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** The last cell of a settings row: links to the item's edit page and its delete confirmation. */
export function EditDeleteCell({ base, name }: { base: string; name: string }) {
  return (
    <td>
      <div className="row-actions">
        <Link to={`${base}/edit`} aria-label={`Edit ${name}`}>
          Edit
        </Link>
        <Link to={`${base}/delete`} className="danger-link" aria-label={`Delete ${name}`}>
          Delete
        </Link>
      </div>
    </td>
  );
}
