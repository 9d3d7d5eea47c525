import { textFields } from "./forms.server";

/**
 * The goal form as the router's input: only the field of the chosen kind is sent, and an empty
 * display name means "use the default".
 */
export function readGoalForm(form: FormData) {
  const values = textFields(form, ["kind", "eventName", "pagePath", "name"]);
  const kind = values.kind;
  return {
    values,
    input: {
      kind,
      ...(kind === "event" && { eventName: values.eventName }),
      ...(kind === "page" && { pagePath: values.pagePath }),
      ...(values.name.trim() !== "" && { name: values.name }),
    },
  };
}
