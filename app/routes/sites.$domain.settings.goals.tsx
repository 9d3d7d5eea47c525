import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { DataTable, EditDeleteCell } from "~/components/data-table";
import { Flash, FormError } from "~/components/form";
import { GoalForm } from "~/components/goals/goal-form";
import { getCaller } from "~/lib/caller.server";
import { setFlash, takeFlash } from "~/lib/cookies.server";
import { httpError } from "~/lib/errors.server";
import { formFailure, readForm } from "~/lib/forms.server";
import { readGoalForm } from "~/lib/goal-form.server";
import { GOAL_KIND_LABELS } from "../../server/schemas/goals";
import { refusalHeaders } from "~/lib/refusal-headers";

export const headers = refusalHeaders;

export const meta: MetaFunction = ({ params }) => [{ title: `Goals · ${params.domain} · Glimpse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const site = params.domain ?? "";
  const [info, goals] = await Promise.all([caller.sites.get({ site }), caller.goals.list({ site })]).catch((error) => httpError(error, request));
  const { flash, headers } = await takeFlash(request);
  return data({ domain: info.domain, canManage: info.role !== "viewer", goals, flash }, { headers });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { values, input } = readGoalForm(await readForm(request));
  const caller = await getCaller(request, context);
  try {
    const goal = await caller.goals.create({ site: params.domain ?? "", ...input } as never);
    return redirect(`/sites/${params.domain}/settings/goals`, { headers: { "Set-Cookie": await setFlash(`Goal “${goal.name}” added`) } });
  } catch (error) {
    return formFailure(error, values);
  }
}

export default function Goals() {
  const { domain, canManage, goals, flash } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  const other = result?.message && Object.keys(errors).length === 0 ? result.message : null;
  return (
    <>
      <Flash message={flash} />
      <section className="card" aria-labelledby="goals-title">
        <h2 id="goals-title">Goals</h2>
        <p className="muted">
          A goal counts conversions: a custom event your site sends (a signup, a purchase) or a visit to a page. Every dashboard of {domain}, shared
          ones included, shows the visitors who converted and the conversion rate.
        </p>
        {goals.length === 0 ? (
          <p className="empty">No goals yet.</p>
        ) : (
          <DataTable label="Goals" columns={["Name", "Type", "Matches", "Used by"]} actions={canManage}>
            {goals.map((g) => (
              <tr key={g.id}>
                <td data-label="Name" className="link-name">
                  {g.name}
                </td>
                <td data-label="Type">{GOAL_KIND_LABELS[g.kind]}</td>
                <td data-label="Matches">
                  <code className="goal-match">{g.match}</code>
                </td>
                <td data-label="Used by">{g.usedBy.length === 0 ? <span className="muted">No segments</span> : g.usedBy.map((s) => s.name).join(", ")}</td>
                {canManage ? <EditDeleteCell base={`/sites/${domain}/settings/goals/${g.id}`} name={g.name} /> : null}
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      {canManage ? (
        <section className="card" aria-labelledby="new-goal">
          <h2 id="new-goal">New goal</h2>
          <FormError message={other} />
          <GoalForm values={result?.values ?? { kind: "event", eventName: "", pagePath: "", name: "" }} errors={errors} submitLabel="Add goal" />
        </section>
      ) : null}
    </>
  );
}
