import type { PreparedEvent } from "./model.js";

/**
 * What holding a string costs beyond its text: V8's string header and the slot that points at it.
 * With EVENT_OVERHEAD (the event's objects, its date, its numbers) this was measured against the
 * heap: 2,000 held events of 30 ASCII properties of 480 characters took 15.6 KB each, counted here
 * as 17.6 KB; with CJK text they took 30 KB each, counted as 46 KB. A plain pageview counts 1.1 KB.
 */
const STRING_OVERHEAD = 32;
const EVENT_OVERHEAD = 512;

export interface EventSize {
  /**
   * The UTF-8 length of the event's text (name, page, the visit's dimensions, properties): what
   * it adds to the JSON of the statements that write it, beyond the columns every event has.
   */
  text: number;
  /** What holding the event costs: its text (never less than V8 needs for it) plus a fixed amount per string and per event. */
  held: number;
}

export function eventSize(event: PreparedEvent): EventSize {
  let text = 0;
  let strings = 0;
  const add = (value: string) => {
    text += Buffer.byteLength(value, "utf8");
    strings += 1;
  };
  for (const value of [event.siteId, event.timezone, event.day, event.name, event.pathname]) add(value);
  for (const value of Object.values(event.firstEvent)) add(value);
  if (event.props) {
    for (const [key, value] of Object.entries(event.props)) {
      add(key);
      add(value);
    }
  }
  return { text, held: text + strings * STRING_OVERHEAD + EVENT_OVERHEAD };
}
