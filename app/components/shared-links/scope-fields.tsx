import { FieldError, type FieldErrors } from "~/components/form";
import type { ScopeValues } from "~/lib/link-scope-values";
import { SECTION_LABELS, SECTIONS } from "../../../server/schemas/link-scope.js";

interface Props {
  values: ScopeValues;
  errors: FieldErrors;
  timezone: string;
  /** The edit form offers pausing; a new link starts active. */
  editing: boolean;
}

const first = (errors: FieldErrors, ...keys: string[]) => keys.map((k) => errors[k]?.[0]).find(Boolean);

/**
 * Expiry, pause, date bounds, visible sections and what recipients may do (SPEC §3a). Plain
 * inputs, so the form works without JavaScript; the server checks everything again.
 */
export function ScopeFields({ values, errors, timezone, editing }: Props) {
  const expiresError = first(errors, "expiresAt");
  const fromError = first(errors, "dateBounds.from", "dateBounds");
  const toError = first(errors, "dateBounds.to");
  const boundsError = first(errors, "bounds");
  const sectionsError = Object.entries(errors).find(([k]) => k.startsWith("visibleSections"))?.[1]?.[0];
  const originsError = Object.entries(errors).find(([k]) => k.startsWith("embedOrigins"))?.[1]?.[0];
  return (
    <>
      {/* Says this form carries the scope: a post without it (an older tool) leaves the scope alone. */}
      <input type="hidden" name="scope" value="1" />
      <fieldset className="field scope-group">
        <legend>Availability</legend>
        <div className="field">
          <label htmlFor="field-expiresAt">Expires at</label>
          <p className="hint" id="field-expiresAt-hint">
            Optional. Date and time in the site’s time zone ({timezone}). After it the link shows “This shared link has expired”.
          </p>
          <input
            id="field-expiresAt"
            name="expiresAt"
            type="datetime-local"
            defaultValue={values.expiresAt}
            aria-describedby={`field-expiresAt-hint${expiresError ? " field-expiresAt-error" : ""}`}
            aria-invalid={expiresError ? true : undefined}
          />
          <FieldError id="field-expiresAt-error" message={expiresError} />
        </div>
        {editing ? (
          <label className="choice">
            <input type="checkbox" name="paused" defaultChecked={values.paused} />
            <span className="choice-text">
              Paused
              <span className="hint">The link shows “This shared link is paused” until you resume it. Resuming asks for the password again.</span>
            </span>
          </label>
        ) : null}
      </fieldset>

      <fieldset className="field scope-group bounds-choice">
        <legend>Dates shown</legend>
        <FieldError message={boundsError} />
        <label className="choice">
          <input type="radio" name="bounds" value="none" defaultChecked={values.bounds === "none"} />
          All dates (recipients pick the period)
        </label>
        <label className="choice">
          <input type="radio" name="bounds" value="fixed" defaultChecked={values.bounds === "fixed"} />
          A fixed period only, such as a quarter (no period picker)
        </label>
        <div className="inline-fields bounds-fixed">
          <div className="field">
            <label htmlFor="field-fixedFrom">From</label>
            <input id="field-fixedFrom" name="fixedFrom" type="date" defaultValue={values.fixedFrom} aria-invalid={values.bounds === "fixed" && fromError ? true : undefined} />
          </div>
          <div className="field">
            <label htmlFor="field-fixedTo">To (inclusive)</label>
            <input id="field-fixedTo" name="fixedTo" type="date" defaultValue={values.fixedTo} aria-invalid={values.bounds === "fixed" && toError ? true : undefined} />
          </div>
          <FieldError message={values.bounds === "fixed" ? (fromError ?? toError) : undefined} />
        </div>
        <label className="choice">
          <input type="radio" name="bounds" value="since" defaultChecked={values.bounds === "since"} />
          Nothing before a date
        </label>
        <div className="inline-fields bounds-since">
          <div className="field">
            <label htmlFor="field-sinceFrom">Earliest date</label>
            <input id="field-sinceFrom" name="sinceFrom" type="date" defaultValue={values.sinceFrom} aria-invalid={values.bounds === "since" && fromError ? true : undefined} />
          </div>
          <FieldError message={values.bounds === "since" ? fromError : undefined} />
        </div>
      </fieldset>

      <fieldset className="field scope-group">
        <legend>Sections shown</legend>
        <p className="hint">
          Totals and goals are always shown. A hidden section is not sent to recipients, and they cannot filter by it. Sections overlap: Sources
          list a visit’s UTM source when it has one, and Entry pages are pages too, so hide both of a pair to keep its values away.
        </p>
        <div className="check-grid">
          {SECTIONS.map((section) => (
            <label key={section} className="choice">
              <input type="checkbox" name="sections" value={section} defaultChecked={values.sections.includes(section)} />
              {SECTION_LABELS[section]}
            </label>
          ))}
        </div>
        <FieldError message={sectionsError} />
      </fieldset>

      <fieldset className="field scope-group">
        <legend>Recipients may</legend>
        <label className="choice">
          <input type="checkbox" name="allowPeriodChange" defaultChecked={values.allowPeriodChange} />
          Change the period (otherwise they see the last 30 days)
        </label>
        <label className="choice">
          <input type="checkbox" name="allowFilters" defaultChecked={values.allowFilters} />
          Add filters (click a country, page or source to narrow the view)
        </label>
        <label className="choice">
          <input type="checkbox" name="allowExport" defaultChecked={values.allowExport} />
          Download what they see as CSV
        </label>
      </fieldset>

      <fieldset className="field scope-group">
        <legend>Embedding</legend>
        <div className="field">
          <label htmlFor="field-embedOrigins">Sites allowed to embed this link</label>
          <p className="hint" id="field-embedOrigins-hint">
            Optional. One address per line, like https://client.example. Leave empty to let any site embed it.
          </p>
          <textarea
            id="field-embedOrigins"
            name="embedOrigins"
            rows={3}
            defaultValue={values.embedOrigins}
            aria-describedby={`field-embedOrigins-hint${originsError ? " field-embedOrigins-error" : ""}`}
            aria-invalid={originsError ? true : undefined}
          />
          <FieldError id="field-embedOrigins-error" message={originsError} />
        </div>
      </fieldset>
    </>
  );
}
