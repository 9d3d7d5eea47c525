import { Field, FieldError, type FieldErrors } from "~/components/form";

export interface SegmentOption {
  id: string;
  name: string;
}

export const PASSWORD_HINT = "Optional. At least 12 characters; case-sensitive; spaces count. Share it separately from the link.";

export function NameField({ errors, defaultValue }: { errors: FieldErrors; defaultValue?: string }) {
  return (
    <Field
      label="Name"
      name="name"
      required
      maxLength={100}
      autoComplete="off"
      placeholder="e.g. Client A – monthly report"
      hint="Who the link is for. Unique within this site."
      defaultValue={defaultValue}
      errors={errors}
    />
  );
}

export function SegmentSelect({ segments, errors, defaultValue, domain }: { segments: SegmentOption[]; errors: FieldErrors; defaultValue?: string; domain: string }) {
  const error = errors.segmentId?.[0];
  return (
    <div className="field">
      <label htmlFor="field-segmentId">Segment</label>
      <p className="hint" id="field-segmentId-hint">
        Recipients see only data matching the segment; they cannot remove it.{" "}
        {segments.length === 0 ? <a href={`/sites/${domain}/settings/segments`}>Create a segment</a> : null}
      </p>
      <select
        id="field-segmentId"
        name="segmentId"
        defaultValue={defaultValue ?? ""}
        aria-describedby={`field-segmentId-hint${error ? " field-segmentId-error" : ""}`}
        aria-invalid={error ? true : undefined}
      >
        <option value="">All data</option>
        {segments.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <FieldError id="field-segmentId-error" message={error} />
    </div>
  );
}
