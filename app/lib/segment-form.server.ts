import type { FilterRow } from "./filter-rows";
import { MAX_SEGMENT_FILTERS } from "../../server/schemas/segments.js";

/**
 * Reads the segment form: a name and numbered filter rows. Rows can be added and removed with
 * submit buttons (intent), so editing works without JavaScript.
 */
export function readSegmentForm(form: FormData) {
  const name = String(form.get("name") ?? "");
  const count = Math.min(Number(form.get("rows")) || 1, MAX_SEGMENT_FILTERS);
  let rows: FilterRow[] = [];
  for (let i = 0; i < count; i += 1) {
    rows.push({
      dimension: String(form.get(`filters.${i}.dimension`) ?? ""),
      operator: String(form.get(`filters.${i}.operator`) ?? "is"),
      value: String(form.get(`filters.${i}.value`) ?? ""),
    });
  }
  const intent = String(form.get("intent") ?? "save");
  if (intent === "add-row" && rows.length < MAX_SEGMENT_FILTERS) rows = [...rows, { dimension: "country", operator: "is", value: "" }];
  const removed = /^remove-row-(\d+)$/.exec(intent);
  if (removed && rows.length > 1) rows = rows.filter((_, i) => i !== Number(removed[1]));
  const filters = rows.map((row) => ({
    dimension: row.dimension,
    operator: row.operator,
    values: row.value.split(",").map((v) => v.trim()).filter(Boolean),
  }));
  return { intent: intent === "save" ? "save" : "edit-rows", values: { name, rows }, input: { name, filters } };
}
