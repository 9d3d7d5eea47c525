import { data } from "@remix-run/node";
import { toFormError } from "./errors.server";
import { tryAgainIn } from "./format";

/** The submitted form, or a 400 for a body that is not one (JSON, plain text, broken multipart). */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    throw new Response("This form could not be read. Submit it from the page, as a regular form.", { status: 400 });
  }
}

/** Reads named text fields from a form; missing fields become "" so validation reports them. */
export function textFields<K extends string>(form: FormData, names: readonly K[]): Record<K, string> {
  const values = {} as Record<K, string>;
  for (const name of names) {
    const value = form.get(name);
    values[name] = typeof value === "string" ? value : "";
  }
  return values;
}

/**
 * The failed-submission response every form shares: the router's message and per-field errors,
 * the submitted values (never passwords) so nothing typed is lost, and the error's HTTP status.
 */
export function formFailure<V extends Record<string, unknown>>(error: unknown, values: V) {
  const failure = toFormError(error);
  const headers: HeadersInit = failure.retryAfter ? { "Retry-After": String(failure.retryAfter) } : {};
  if (failure.retryAfter) failure.message = `${failure.message} ${tryAgainIn(failure.retryAfter)}`;
  // A form that is shown again with errors next to its fields is a 400, whichever rule failed.
  const status = Object.keys(failure.fieldErrors).length > 0 ? 400 : failure.status;
  return data({ ok: false as const, message: failure.message, fieldErrors: failure.fieldErrors, values }, { status, headers });
}
