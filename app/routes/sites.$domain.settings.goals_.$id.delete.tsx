import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormError } from "~/components/form";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure } from "~/lib/forms.server";
import { GOAL_KIND_LABELS } from "../../server/schemas/goals";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Delete ${data?.goal.name ?? "goal"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, goal] = await Promise.all([caller.sites.get({ site }), caller.goals.get({ site, id: params.id ?? "" })]).catch((error) => httpError(error, request));
  if (info.role === "viewer") throw new Response("Only admins can delete goals", { status: 403 });
  return { domain: info.domain, goal };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  try {
    const deleted = await caller.goals.delete({ site: params.domain ?? "", id: params.id ?? "" });
    return redirect(`/sites/${params.domain}/settings/goals`, { headers: { "Set-Cookie": await setFlash(`Goal “${deleted.name}” deleted`) } });
  } catch (error) {
    return formFailure(error, {});
  }
}

export default function DeleteGoal() {
  const { domain, goal } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const blocked = goal.usedBy.length > 0;
  return (
    <section className="card" aria-labelledby="delete-goal">
      <h2 id="delete-goal">Delete goal “{goal.name}”?</h2>
      <p className="muted">
        {GOAL_KIND_LABELS[goal.kind]}: <code className="goal-match">{goal.match}</code>. The events stay; dashboards stop showing conversions for it.
      </p>
      <FormError message={result?.message} />
      {blocked && !result ? (
        <div className="alert alert-warning">
          <p>This goal cannot be deleted while segments filter on it; they would quietly start matching nothing:</p>
          <ul>
            {goal.usedBy.map((s) => (
              <li key={s.id}>
                <Link to={`/sites/${domain}/settings/segments/${s.id}/edit`}>{s.name}</Link>
              </li>
            ))}
          </ul>
          <p>Change or delete those segments first.</p>
        </div>
      ) : null}
      <Form method="post" className="form-actions">
        <button type="submit" className="button button-danger">
          Delete goal
        </button>
        <Link to={`/sites/${domain}/settings/goals`} className="button button-secondary">
          Cancel
        </Link>
      </Form>
    </section>
  );
}
