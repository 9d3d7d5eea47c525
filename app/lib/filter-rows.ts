/** One filter row of the segment form, as typed: the form keeps what was submitted, valid or not. */
export interface FilterRow {
  dimension: string;
  operator: string;
  value: string;
}
