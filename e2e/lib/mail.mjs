// The real SMTP server the mail specs send to: every mail it takes, parsed, in the order it came.
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** Listens on the port the runner gives the spec (E2E_SMTP_PORT); `inbox` fills as mails arrive. */
export async function startMailCatcher() {
  const inbox = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        inbox.push(mail);
        callback();
      }, callback);
    },
  });
  const port = Number(process.env.E2E_SMTP_PORT);
  assert.ok(port > 0, "the runner gives this spec an SMTP port");
  await new Promise((resolve) => smtp.listen(port, "127.0.0.1", resolve));
  return {
    inbox,
    /** The `count`-th mail, once that many have arrived (at most 5 s). */
    async waitForMail(count) {
      for (let i = 0; i < 100 && inbox.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(inbox.length, count, "mails received");
      return inbox[count - 1];
    },
    close: () => new Promise((resolve) => smtp.close(resolve)),
  };
}
