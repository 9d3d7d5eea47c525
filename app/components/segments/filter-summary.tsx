import { DIMENSION_LABELS, type Filter, OPERATOR_LABELS } from "../../../server/schemas/filters";

export function FilterSummary({ filters }: { filters: Filter[] }) {
  return (
    <ul className="segment-filters" aria-label="Filters">
      {filters.map((f, i) => (
        <li key={i}>
          {DIMENSION_LABELS[f.dimension]} {OPERATOR_LABELS[f.operator]} {f.values.join(" or ")}
        </li>
      ))}
    </ul>
  );
}
