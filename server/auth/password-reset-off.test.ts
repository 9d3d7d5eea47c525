import { describe, expect, it } from "vitest";
import { env } from "../env.js";
import { anonymous, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { createCaller } from "../root.js";
import { testContext } from "../../test/support/services.js";
import { createPasswordReset } from "./password-reset.js";

describe("password reset without SMTP_URL", () => {
  it("says mail is off and makes no link; an operator's link works like a mailed one", async () => {
    delete process.env.SMTP_URL;
    expect(env().mail).toBeNull();
    const db = await freshDb();
    const person = await signedIn(db, "no-mail");
    expect(await anonymous(db, "192.0.2.8").auth.requestPasswordReset({ email: person.user.email })).toEqual({ mailEnabled: false });
    expect(await db.selectFrom("password_resets").select("token_hash").where("user_id", "=", person.user.id).execute()).toEqual([]);
    const token = await createPasswordReset(db, person.user.id, new Date());
    await anonymous(db, "192.0.2.8").auth.resetPassword({ token, password: "chosen by the operator's link" });
    expect(await createCaller(testContext({ db, sessionToken: person.token })).auth.me()).toBeNull();
  });
});
