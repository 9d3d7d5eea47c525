import { z } from "zod";
import { email } from "./auth.js";
import { siteRef } from "./common.js";

export const addMemberInput = z.strictObject({
  site: siteRef,
  email,
  role: z.enum(["viewer", "admin"], { error: "Choose Viewer or Admin" }),
});

export const removeMemberInput = z.strictObject({ site: siteRef, userId: z.uuid({ error: "This person has no access to the site" }) });

export const setMemberRoleInput = z.strictObject({
  site: siteRef,
  userId: z.uuid({ error: "This person has no access to the site" }),
  role: z.enum(["viewer", "admin"], { error: "Choose Viewer or Admin" }),
});
