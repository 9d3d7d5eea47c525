import { Form, Link, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";

export const DELETE_WARNING = "The stats will not be accessible with this link anymore.";

/**
 * Without JavaScript this is a link to the confirmation page; with it, the same confirmation opens
 * in a dialog and posts to the same action.
 */
export function DeleteLinkButton({ domain, id, name }: { domain: string; id: string; name: string }) {
  const [enhanced, setEnhanced] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const action = `/sites/${domain}/settings/visibility/shared-links/${id}/delete`;
  const busy = useNavigation().formAction === action;
  useEffect(() => setEnhanced(true), []);
  if (!enhanced) {
    return (
      <Link to={action} className="danger-link" aria-label={`Delete ${name}`}>
        Delete
      </Link>
    );
  }
  return (
    <>
      <button type="button" className="button-link danger" aria-label={`Delete ${name}`} onClick={() => dialog.current?.showModal()}>
        Delete
      </button>
      <dialog ref={dialog} aria-labelledby={`delete-title-${id}`}>
        <h2 id={`delete-title-${id}`}>Delete “{name}”?</h2>
        <p>{DELETE_WARNING} This cannot be undone.</p>
        <Form method="post" action={action} className="form-actions">
          <button type="submit" className="button button-danger" disabled={busy}>
            {busy ? "Deleting…" : "Delete link"}
          </button>
          <button type="button" className="button button-secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </Form>
      </dialog>
    </>
  );
}
