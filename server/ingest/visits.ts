import type { Selectable } from "kysely";
import type { EventsTable, VisitsTable } from "../../db/schema.js";
import { newSessionId } from "./salts.js";
import { type PreparedEvent, VISIT_IDLE_MS } from "./model.js";

/** A visit as stored, with its times as dates. */
export type Visit = Omit<VisitsTable, "started_at" | "ended_at"> & { started_at: Date; ended_at: Date };

/** An events row as the batch writes it (the id is the database's). */
export type EventRow = Omit<Selectable<EventsTable>, "id" | "props"> & { props: Record<string, string> | null };

export interface Placement {
  /** Visits the batch starts, in their final state. */
  created: Visit[];
  /** Stored visits the batch extends, in their final state. */
  changed: Visit[];
  /** One row per event, in the order the events came. */
  rows: EventRow[];
}

/** A visitor's visits of one day: a visit never spans two (the visitor id changes at midnight). */
export const visitKey = (siteId: string, visitorId: number, day: string) => `${siteId}\n${visitorId}\n${day}`;

/**
 * Puts each event into a visit, in the order the events were accepted, by exactly the rule the
 * per-event reference path (in the tests) applies one transaction at a time: an event joins its
 * visitor's visit of the same day that was active within the last 30 minutes of it (the latest
 * such one), stretching its start, end and exit page as needed; otherwise it starts a visit.
 * `stored` must hold every stored visit of the batch's visitors that ended at most 30 minutes
 * before their earliest event.
 */
export function placeEvents(events: readonly PreparedEvent[], stored: readonly Visit[]): Placement {
  const visitsOf = new Map<string, Visit[]>();
  for (const visit of stored) {
    const key = visitKey(visit.site_id, visit.visitor_id, visit.day);
    visitsOf.set(key, [...(visitsOf.get(key) ?? []), visit]);
  }
  const storedVisits = new Set(stored);
  const created: Visit[] = [];
  const changed = new Set<Visit>();
  const rows: EventRow[] = [];

  for (const event of events) {
    const key = visitKey(event.siteId, event.visitorId, event.day);
    const visits = visitsOf.get(key) ?? [];
    const at = event.ts.getTime();
    let open: Visit | undefined;
    for (const visit of visits) {
      if (visit.ended_at.getTime() >= at - VISIT_IDLE_MS && (!open || visit.ended_at > open.ended_at)) open = visit;
    }
    if (open) {
      const latest = at >= open.ended_at.getTime();
      if (at < open.started_at.getTime()) open.started_at = event.ts;
      if (latest) open.ended_at = event.ts;
      if (event.pageview) open.pageviews += 1;
      open.events += 1;
      if (event.pageview && latest) open.exit_page = event.pathname;
      if (storedVisits.has(open)) changed.add(open);
    } else {
      open = {
        ...event.firstEvent,
        site_id: event.siteId,
        session_id: newSessionId(),
        visitor_id: event.visitorId,
        day: event.day,
        started_at: event.ts,
        ended_at: event.ts,
        pageviews: event.pageview ? 1 : 0,
        events: 1,
        exit_page: event.pathname,
      };
      created.push(open);
      visits.push(open);
      visitsOf.set(key, visits);
    }
    rows.push({
      site_id: event.siteId,
      ts: event.ts,
      day: event.day,
      name: event.name,
      pathname: event.pathname,
      visitor_id: event.visitorId,
      session_id: open.session_id,
      entry_page: open.entry_page,
      referrer_source: open.referrer_source,
      referrer: open.referrer,
      utm_source: open.utm_source,
      utm_medium: open.utm_medium,
      utm_campaign: open.utm_campaign,
      country: open.country,
      device: open.device,
      browser: open.browser,
      os: open.os,
      props: event.props,
    });
  }
  return { created, changed: [...changed], rows };
}
