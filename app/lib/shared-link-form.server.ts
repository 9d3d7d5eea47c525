import { textFields } from "./forms.server";

/** The create form as the router's input: empty password means none, empty segment means all data. */
export function readCreateForm(form: FormData) {
  const values = textFields(form, ["name", "segmentId"]);
  const password = form.get("password");
  return {
    values,
    input: {
      name: values.name,
      password: typeof password === "string" && password !== "" ? password : undefined,
      segmentId: values.segmentId || null,
    },
  };
}

/**
 * The edit form: "keep" with an empty field leaves the password alone, any typed password replaces
 * it, and "remove" makes the link open.
 */
export function readEditForm(form: FormData) {
  const values = textFields(form, ["name", "segmentId", "passwordAction"]);
  const typed = form.get("password");
  const password = typeof typed === "string" ? typed : "";
  let passwordChange: string | null | undefined;
  let passwordError: string | null = null;
  if (values.passwordAction === "remove") passwordChange = null;
  else if (password !== "") passwordChange = password;
  else if (values.passwordAction === "replace") passwordError = "Enter the new password, or choose to keep the current one";
  return {
    values,
    passwordError,
    input: { name: values.name, segmentId: values.segmentId || null, ...(passwordChange !== undefined && { password: passwordChange }) },
  };
}
