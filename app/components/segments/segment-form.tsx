import { Form, useNavigation } from "@remix-run/react";
import { Field, FieldError, type FieldErrors } from "~/components/form";
import { DIMENSION_LABELS, FILTER_DIMENSIONS, OPERATOR_LABELS, OPERATORS } from "../../../server/schemas/filters";
import { MAX_SEGMENT_FILTERS } from "../../../server/schemas/segments";
import type { FilterRow } from "~/lib/filter-rows";

const HINTS: Partial<Record<string, string>> = {
  country: "Two-letter codes, e.g. DE, US",
  device: "Desktop, Mobile or Tablet",
  page: "A path such as /pricing",
  entry_page: "A path such as /blog",
  source: "e.g. Google, Direct / None, X/Twitter",
  goal: "A goal's name, e.g. Signup (is or is not)",
};

/** Name plus filter rows; every row is ANDed. Row buttons are submit buttons, so no JavaScript is needed. */
export function SegmentForm({ name, rows, errors, submitLabel }: { name: string; rows: FilterRow[]; errors: FieldErrors; submitLabel: string }) {
  const navigation = useNavigation();
  const saving = navigation.state === "submitting" && navigation.formData?.get("intent") === "save";
  return (
    <Form method="post" className="form" noValidate>
      <input type="hidden" name="rows" value={rows.length} />
      <Field label="Name" name="name" required maxLength={100} autoComplete="off" placeholder="e.g. Mobile visitors" defaultValue={name} errors={errors} />
      <fieldset className="field">
        <legend>Filters</legend>
        <p className="hint">A visit belongs to the segment when it matches every row. Separate several values with commas (any of them matches).</p>
        <p className="hint">
          Page rows select whole visits: “Page is not /pricing” keeps every visit that viewed some other page, including visits that also
          viewed /pricing, so Entry pages and Sources can still show them. The Top pages card leaves /pricing out. To keep a card away from
          recipients, hide its section on the shared link instead.
        </p>
        <FieldError message={errors.filters?.[0]} />
        <ol className="filter-rows">
          {rows.map((row, i) => (
            <li key={`${i}-${rows.length}`} className="filter-row">
              <div className="field">
                <label htmlFor={`filter-${i}-dimension`}>Dimension</label>
                <select id={`filter-${i}-dimension`} name={`filters.${i}.dimension`} defaultValue={row.dimension}>
                  {FILTER_DIMENSIONS.map((d) => (
                    <option key={d} value={d}>
                      {DIMENSION_LABELS[d]}
                    </option>
                  ))}
                </select>
                <FieldError message={errors[`filters.${i}.dimension`]?.[0]} />
              </div>
              <div className="field">
                <label htmlFor={`filter-${i}-operator`}>Operator</label>
                <select id={`filter-${i}-operator`} name={`filters.${i}.operator`} defaultValue={row.operator}>
                  {OPERATORS.map((o) => (
                    <option key={o} value={o}>
                      {OPERATOR_LABELS[o]}
                    </option>
                  ))}
                </select>
                <FieldError message={errors[`filters.${i}.operator`]?.[0]} />
              </div>
              <div className="field filter-value">
                <label htmlFor={`filter-${i}-value`}>Value</label>
                <input
                  id={`filter-${i}-value`}
                  name={`filters.${i}.value`}
                  type="text"
                  defaultValue={row.value}
                  placeholder={HINTS[row.dimension] ?? "Value"}
                  aria-invalid={errors[`filters.${i}.values`] || errors[`filters.${i}.values.0`] ? true : undefined}
                />
                <FieldError message={(errors[`filters.${i}.values`] ?? errors[`filters.${i}.values.0`])?.[0]} />
              </div>
              {rows.length > 1 ? (
                <button type="submit" name="intent" value={`remove-row-${i}`} className="button button-secondary button-small filter-remove" formNoValidate>
                  Remove<span className="visually-hidden"> filter {i + 1}</span>
                </button>
              ) : null}
            </li>
          ))}
        </ol>
        {rows.length < MAX_SEGMENT_FILTERS ? (
          <div>
            <button type="submit" name="intent" value="add-row" className="button button-secondary button-small" formNoValidate>
              + Add filter
            </button>
          </div>
        ) : null}
      </fieldset>
      <div className="form-actions">
        <button type="submit" name="intent" value="save" className="button" disabled={saving}>
          {saving ? "Saving…" : submitLabel}
        </button>
      </div>
    </Form>
  );
}
