import { Form } from "@remix-run/react";
import type { InputHTMLAttributes, ReactNode } from "react";

export type FieldErrors = Record<string, string[] | undefined>;

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "name"> {
  label: string;
  name: string;
  errors?: FieldErrors;
  hint?: ReactNode;
}

/** A labelled input whose error is announced with it (aria-describedby) and shown right below. */
export function Field({ label, name, errors, hint, id = `field-${name}`, ...input }: FieldProps) {
  const error = errors?.[name]?.[0];
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(" ") || undefined}
        {...input}
      />
      <FieldError id={errorId} message={error} />
    </div>
  );
}

export function FieldError({ id, message }: { id?: string; message?: string }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id} role="alert">
      {message}
    </p>
  );
}

/** Errors that belong to no single field (or to a field the form does not show). */
export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <div className="alert" role="alert">
      {message}
    </div>
  );
}

export function Flash({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <div className="flash" role="status">
      {message}
    </div>
  );
}

/** A one-button form acting on one row of a table ("Remove", "Revoke"), which works without JavaScript. */
export function RowActionForm({ intent, field, value, label, children }: { intent: string; field: string; value: string; label: string; children: ReactNode }) {
  return (
    <Form method="post" className="inline-form">
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name={field} value={value} />
      <button type="submit" className="button-link danger" aria-label={label}>
        {children}
      </button>
    </Form>
  );
}
