import { authRouter } from "./routers/auth.js";
import { segmentsRouter } from "./routers/segments.js";
import { sharedLinksRouter } from "./routers/shared-links.js";
import { sitesRouter } from "./routers/sites.js";
import { systemRouter } from "./routers/system.js";
import { createCallerFactory, router } from "./trpc.js";

export const appRouter = router({
  auth: authRouter,
  sites: sitesRouter,
  segments: segmentsRouter,
  sharedLinks: sharedLinksRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
