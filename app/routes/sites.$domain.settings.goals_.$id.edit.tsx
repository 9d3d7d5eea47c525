import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormError } from "~/components/form";
import { GoalForm } from "~/components/goals/goal-form";
import { getCaller } from "~/lib/caller.server";
import { setFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm } from "~/lib/forms.server";
import { readGoalForm } from "~/lib/goal-form.server";
import { GOAL_KIND_LABELS } from "../../server/schemas/goals";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Edit ${data?.goal.name ?? "goal"} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, goal] = await Promise.all([caller.sites.get({ site }), caller.goals.get({ site, id: params.id ?? "" })]).catch((error) => httpError(error, request));
  if (info.role === "viewer") throw new Response("Only admins can edit goals", { status: 403 });
  return { domain: info.domain, goal };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { values, input } = readGoalForm(await readForm(request));
  const caller = await getCaller(request, context);
  try {
    // The kind is fixed; an empty display name keeps the current one.
    const { kind: _kind, ...change } = input;
    const goal = await caller.goals.update({ site: params.domain ?? "", id: params.id ?? "", ...change } as never);
    return redirect(`/sites/${params.domain}/settings/goals`, { headers: { "Set-Cookie": await setFlash(`Goal “${goal.name}” updated`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function EditGoal() {
  const { domain, goal } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  const other = result?.message && Object.keys(errors).length === 0 ? result.message : null;
  const values = result?.values ?? { kind: goal.kind, eventName: goal.eventName ?? "", pagePath: goal.pagePath ?? "", name: goal.name };
  return (
    <>
      <p className="breadcrumbs">
        <Link to={`/sites/${domain}/settings/goals`}>← Goals</Link>
      </p>
      <section className="card" aria-labelledby="edit-goal">
        <h2 id="edit-goal">
          Edit “{goal.name}” <span className="badge badge-role">{GOAL_KIND_LABELS[goal.kind]}</span>
        </h2>
        {goal.usedBy.length > 0 ? (
          <p className="alert alert-warning">
            Segments filter on this goal by its name ({goal.usedBy.map((s) => `“${s.name}”`).join(", ")}), so the name stays. What it matches can
            change; dashboards and shared links follow at once.
          </p>
        ) : null}
        <FormError message={other} />
        <GoalForm values={values} errors={errors} submitLabel="Save goal" fixedKind={goal.kind} />
      </section>
    </>
  );
}
