import { describe, expect, it } from "vitest";
import { env } from "../env.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { DIGESTS_OFF } from "./preview.js";
import { startDigestScheduler } from "./scheduler.js";
import { servicesFor } from "../../test/support/services.js";

describe("digests without SMTP_URL", () => {
  it("are off: the API says so, recipients wait for a confirmation not sent yet, previews and confirmations are refused with a reason, no schedule runs", async () => {
    delete process.env.SMTP_URL;
    expect(env().mail).toBeNull();
    const db = await freshDb();
    const owner = await signedIn(db, "owner");
    const { domain } = await siteOwnedBy(db, owner.user.id);
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "No mail" });
    const ref = { site: domain, id: link.id };
    await owner.caller.sharedLinks.setDigestSchedule({ ...ref, frequency: "weekly" });
    const added = await owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "ann@board.test" });
    const { id } = added;
    // Added, waiting for a confirmation that goes out once mail is set up and the admin sends it.
    expect(added).toMatchObject({ state: "waiting", confirmationSent: false });
    expect(await owner.caller.sharedLinks.digest(ref)).toMatchObject({
      mailEnabled: false,
      frequency: "weekly",
      recipients: [{ email: "ann@board.test", state: "waiting", confirmationSentAt: null, canResendAt: null }],
    });
    const refused = await expectCode(owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: id }), "BAD_REQUEST");
    expect(refused.message).toBe(DIGESTS_OFF);
    expect((await expectCode(owner.caller.sharedLinks.sendDigestPreviewToMe(ref), "BAD_REQUEST")).message).toBe(DIGESTS_OFF);
    const resend = await expectCode(owner.caller.sharedLinks.resendDigestConfirmation({ ...ref, recipientId: id }), "BAD_REQUEST");
    expect(resend.message).toMatch(/^Digests are off on this server/);
    const lines: string[] = [];
    expect(startDigestScheduler(servicesFor(db), env(), (line) => lines.push(line))).toBeNull();
    expect(lines).toEqual(["Digests: off (set SMTP_URL to send them)"]);
  });
});
