import { describe, expect, it } from "vitest";
import { env } from "../env.js";
import { anonymous, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { createCaller } from "../root.js";
import { testContext } from "../../test/support/services.js";
import { createPasswordReset, operatorResetLink } from "./password-reset.js";
import { totpCodeAt } from "./totp.js";

const PASSWORD = "correct horse battery staple";

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

  it("takes an account back from whoever signed up with the address first: the operator's link is the first proof, and the keys and two-factor sign-in from before end", async () => {
    delete process.env.SMTP_URL;
    const db = await freshDb();
    // Mail is off, so nothing is refused to an unproven account: the squatter makes a key and turns on two-factor sign-in.
    const email = `squatted-${Date.now()}@example.test`;
    const { token: session } = await anonymous(db, "203.0.113.80").auth.signup({ email, password: PASSWORD });
    const squatter = createCaller(testContext({ db, sessionToken: session, ip: "203.0.113.80", pauses: false }));
    const { key } = await squatter.auth.apiKeys.create({ name: "kept" });
    await squatter.auth.twoFactor.start();
    const { setup } = await squatter.auth.twoFactor.status();
    await squatter.auth.twoFactor.confirm({ code: await totpCodeAt(setup!.secret, new Date()), password: PASSWORD });
    const byKey = () => createCaller(testContext({ db, apiKey: key })).auth.me();
    expect(await byKey()).toMatchObject({ email });

    // The owner asks the operator, who prints a link: using it proves the address.
    const link = await operatorResetLink(db, email, new Date());
    const token = new URL(link!).pathname.split("/").pop()!;
    expect(await anonymous(db, "192.0.2.60").auth.resetPassword({ token, password: "the owner's own password" })).toEqual({ email, unprovenCleared: true });
    expect(await byKey()).toBeNull();
    expect((await anonymous(db, "192.0.2.61").auth.login({ email, password: "the owner's own password" })).twoFactor).toBe(false);
    expect(await db.selectFrom("recovery_codes").select("user_id").execute()).toEqual([]);
  });
});
