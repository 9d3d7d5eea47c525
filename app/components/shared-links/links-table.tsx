import { Link } from "@remix-run/react";
import { CopyButton } from "../copy-button";
import { DataTable } from "../data-table";
import { DeleteLinkButton } from "./delete-dialog";

export interface LinkRow {
  id: string;
  name: string;
  url: string;
  hasPassword: boolean;
  segmentName: string | null;
  created: string;
  views: string;
  /** "3 unique viewers in 30 days". */
  viewers: string;
  lastViewed: string | null;
  /** "24 failed unlocks in the last hour": someone may be guessing the password. */
  spike: string | null;
  failedUnlocks: string | null;
  /** Made by an integration through the API (may carry a reserved name). */
  integration: boolean;
  state: "active" | "paused" | "expired";
  /** "Active", "Paused", "Expired", "Expires in 3 days". */
  stateLabel: string;
  /** What the link limits, in one line ("Jul 1 – Sep 30, 2026 · 4 of 12 sections · no filters"); "" for nothing. */
  scope: string;
}

/**
 * Between two badges or sub-lines: unseen (the layout already parts them), but in the text, so
 * screen readers and copy-paste do not run "Expired" and "Protected" together.
 */
const Sep = () => <span className="visually-hidden">, </span>;

/** Site settings → Visibility → Shared links. Viewers get the same table without the controls. */
export function LinksTable({ links, canManage, domain }: { links: LinkRow[]; canManage: boolean; domain: string }) {
  if (links.length === 0) {
    return <p className="empty">No shared links yet.{canManage ? " Create one below to share this dashboard." : ""}</p>;
  }
  return (
    <DataTable label="Shared links" className="links-table" columns={["Name", "Created", "Access", "Segment", "Views", "Share URL"]} actions={canManage}>
      {links.map((link) => (
        <tr key={link.id}>
          <td data-label="Name" className="link-name">
            <span className="link-title">{link.name}</span>
            {link.integration ? (
              <>
                <Sep />
                <span className="badge badge-role" title="Created by an integration through the API">
                  Integration
                </span>
              </>
            ) : null}
            <Sep />
            <div className="scope-summary">{link.scope || "All dates and sections"}</div>
          </td>
          <td data-label="Created">{link.created}</td>
          <td data-label="Access">
            <div className="badges">
              <span className={`badge badge-${link.state}`}>{link.stateLabel}</span>
              <Sep />
              <span className={`badge ${link.hasPassword ? "badge-protected" : "badge-open"}`}>{link.hasPassword ? "Protected" : "Open"}</span>
            </div>
            {link.spike ? (
              <div>
                <Sep />
                <span className="badge badge-spike" title={link.spike}>
                  Failed unlocks spiking
                </span>
              </div>
            ) : null}
            {link.failedUnlocks ? (
              <div className="muted small">
                <Sep />
                {link.failedUnlocks}
              </div>
            ) : null}
          </td>
          <td data-label="Segment">{link.segmentName ?? <span className="muted">All data</span>}</td>
          <td data-label="Views">
            {link.views}
            <div className="muted small">
              <Sep />
              {link.lastViewed ? `last ${link.lastViewed}` : "never viewed"}
            </div>
            <div className="muted small">
              <Sep />
              {link.viewers}
            </div>
            <Sep />
            <Link to={`/sites/${domain}/settings/visibility/shared-links/${link.id}/usage`} className="small" aria-label={`Usage of ${link.name}`}>
              Usage
            </Link>
          </td>
          <td data-label="Share URL">
            <div className="share-url">
              <code>{link.url}</code>
              <Sep />
              <CopyButton text={link.url} />
            </div>
          </td>
          {canManage ? (
            <td>
              <div className="row-actions">
                <Link to={`/sites/${domain}/settings/visibility/shared-links/${link.id}/edit`} aria-label={`Edit ${link.name}`}>
                  Edit
                </Link>
                <Link to={`/sites/${domain}/settings/visibility/shared-links/${link.id}/digest`} aria-label={`Email digest of ${link.name}`}>
                  Digest
                </Link>
                <DeleteLinkButton domain={domain} id={link.id} name={link.name} />
              </div>
            </td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}
