import { Form, useNavigation } from "@remix-run/react";
import { Field, type FieldErrors, FieldError } from "~/components/form";
import { GOAL_KIND_LABELS, GOAL_KINDS, type GoalKind } from "../../../server/schemas/goals";

export interface GoalFormValues {
  kind: string;
  eventName: string;
  pagePath: string;
  name: string;
}

interface Props {
  values: GoalFormValues;
  errors: FieldErrors;
  submitLabel: string;
  /** Editing keeps the kind: the form shows it instead of offering a choice. */
  fixedKind?: GoalKind;
}

/**
 * A goal is a custom event name or a pageview path. Both fields are in the form (it must work
 * without JavaScript); the one the chosen kind does not use is hidden by CSS and ignored.
 */
export function GoalForm({ values, errors, submitLabel, fixedKind }: Props) {
  const busy = useNavigation().state === "submitting";
  const kind = fixedKind ?? (GOAL_KINDS.find((k) => k === values.kind) ?? "event");
  return (
    <Form method="post" className="form goal-form" noValidate>
      {fixedKind ? (
        <input type="hidden" name="kind" value={fixedKind} />
      ) : (
        <fieldset className="field goal-kinds">
          <legend>Goal type</legend>
          {GOAL_KINDS.map((k) => (
            <label key={k} className="choice">
              <input type="radio" name="kind" value={k} defaultChecked={kind === k} />
              <span className="choice-text">
                {GOAL_KIND_LABELS[k]}
                <span className="muted small">{k === "event" ? "An event your site sends, such as Signup" : "A visit to a page, such as /pricing"}</span>
              </span>
            </label>
          ))}
          <FieldError message={errors.kind?.[0]} />
        </fieldset>
      )}
      {!fixedKind || fixedKind === "event" ? (
        <div className="goal-field goal-field--event">
          <Field
            label="Event name"
            name="eventName"
            defaultValue={values.eventName}
            errors={errors}
            maxLength={120}
            placeholder="Signup"
            hint={
              <>
                Exactly as your site sends it, for example <code>glimpse("Signup")</code>. Case matters.
              </>
            }
          />
        </div>
      ) : null}
      {!fixedKind || fixedKind === "page" ? (
        <div className="goal-field goal-field--page">
          <Field
            label="Page path"
            name="pagePath"
            defaultValue={values.pagePath}
            errors={errors}
            maxLength={2000}
            placeholder="/pricing"
            hint={
              <>
                A path on your site. <code>*</code> matches anything: <code>/blog/*</code> counts a visit to any blog post.
              </>
            }
          />
        </div>
      ) : null}
      <Field
        label="Display name (optional)"
        name="name"
        defaultValue={values.name}
        errors={errors}
        maxLength={120}
        hint="How dashboards and filters call it. Left empty: the event name, or “Visit /path”."
      />
      <div className="form-actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </Form>
  );
}
