import { authRouter } from "./routers/auth.js";
import { digestsRouter } from "./routers/digests.js";
import { eventsRouter } from "./routers/events.js";
import { goalsRouter } from "./routers/goals.js";
import { importsRouter } from "./routers/imports.js";
import { invitationsRouter } from "./routers/invitations.js";
import { segmentsRouter } from "./routers/segments.js";
import { shareRouter } from "./routers/share.js";
import { sharedLinksRouter } from "./routers/shared-links.js";
import { sitesRouter } from "./routers/sites.js";
import { statsRouter } from "./routers/stats.js";
import { systemRouter } from "./routers/system.js";
import { createCallerFactory, router } from "./trpc.js";

export const appRouter = router({
  auth: authRouter,
  sites: sitesRouter,
  invitations: invitationsRouter,
  segments: segmentsRouter,
  goals: goalsRouter,
  imports: importsRouter,
  sharedLinks: sharedLinksRouter,
  events: eventsRouter,
  stats: statsRouter,
  share: shareRouter,
  digests: digestsRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
