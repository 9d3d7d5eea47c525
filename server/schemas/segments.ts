import { z } from "zod";
import { id, siteRef, text } from "./common.js";
import { filterList } from "./filters.js";

export const MAX_SEGMENT_FILTERS = 10;

const filters = filterList(MAX_SEGMENT_FILTERS).min(1, "Add at least one filter");

export const createSegmentInput = z.strictObject({
  site: siteRef,
  name: text("Name", 100),
  filters,
});

export const updateSegmentInput = z.strictObject({
  site: siteRef,
  id: id("Segment"),
  name: text("Name", 100).optional(),
  filters: filters.optional(),
});

export const segmentRefInput = z.strictObject({ site: siteRef, id: id("Segment") });
