import { z } from "zod";
import { isStorableText, password, text } from "./common.js";

export const email = z
  .string({ error: "Email is required" })
  .trim()
  .min(1, "Email is required")
  .max(254, "Email must be at most 254 characters")
  .pipe(z.email({ error: "Enter a valid email address, like you@example.com" }));

export const signupInput = z.strictObject({ email, password });

/** Login does not apply the password policy: any failure reads the same. */
export const loginInput = z.strictObject({
  email: z
    .string({ error: "Email is required" })
    .trim()
    .min(1, "Email is required")
    .max(254, "Invalid email or password")
    .refine(isStorableText, "Invalid email or password"),
  password: z.string({ error: "Password is required" }).min(1, "Password is required").max(1024, "Invalid email or password"),
});

export const createApiKeyInput = z.strictObject({
  name: text("Name", 100),
  integration: z.boolean().optional(),
});

export const revokeApiKeyInput = z.strictObject({ id: z.uuid({ error: "API key not found" }) });

/** A random token from a link (reset, invitation): anything else is simply not one. */
export const linkToken = z.string({ error: "This link is not valid" }).regex(/^[A-Za-z0-9_-]{20,100}$/, "This link is not valid");

export const requestPasswordResetInput = z.strictObject({ email });

export const resetTokenInput = z.strictObject({ token: linkToken });

/** A signed confirmation token (server/auth/email-confirmation.ts): longer than a random one. */
export const emailConfirmationInput = z.strictObject({
  token: z.string({ error: "This confirmation link is not valid" }).min(1, "This confirmation link is not valid").max(500, "This confirmation link is not valid"),
});

export const resetPasswordInput = z.strictObject({ token: linkToken, password });

export const changePasswordInput = z.strictObject({
  currentPassword: z.string({ error: "Enter your current password" }).min(1, "Enter your current password").max(1024, "The current password is not right"),
  password,
  endOtherSessions: z.boolean().optional().default(true),
});

/** A 6-digit code from an app, or a recovery code (`xxxxx-xxxxx`); spaces are allowed. */
export const secondFactorCode = z.string({ error: "Enter your code" }).trim().min(1, "Enter your code").max(40, "That code is not right");

/** The signed note of the password step; without one (its cookie ran out) the sign-in starts again. */
const PENDING_GONE = "Your sign-in took too long or is no longer valid. Log in again.";
export const loginCodeInput = z.strictObject({ pending: z.string({ error: PENDING_GONE }).min(1, PENDING_GONE).max(1000, PENDING_GONE), code: secondFactorCode });

const currentPassword = z.string({ error: "Enter your password" }).min(1, "Enter your password").max(1024, "The password is not right");

export const confirmTwoFactorInput = z.strictObject({ code: secondFactorCode, password: currentPassword });

export const disableTwoFactorInput = z.strictObject({ password: currentPassword, code: secondFactorCode });
