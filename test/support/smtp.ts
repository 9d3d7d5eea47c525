import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server in the test process: what it received is parsed like a mail client would, so
 * tests read the delivered message, not what we meant to send. Set `refuse` to a reason and it
 * answers every message with a temporary failure (451).
 */
export async function startSmtp() {
  const inbox = {
    received: [] as ParsedMail[],
    refuse: null as string | null,
    url: "",
    /** Takes every message received so far. */
    take: () => inbox.received.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (inbox.refuse) return callback(Object.assign(new Error(inbox.refuse), { responseCode: 451 }));
        simpleParser(Buffer.concat(chunks)).then((mail) => {
          inbox.received.push(mail);
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  inbox.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return inbox;
}

export type Inbox = Awaited<ReturnType<typeof startSmtp>>;

/** The addresses a message went to. */
export const recipientsOf = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a?.value.map((v) => v.address ?? "") ?? []);

/** A header as it was sent (the parser reshapes the List-* ones). */
export const headerOf = (mail: ParsedMail, name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, "") ?? null;

/** The token of the confirmation link in a confirmation email. */
export function confirmTokenOf(mail: ParsedMail): string {
  const match = /\/subscribe\/([A-Za-z0-9_-]{32})(?:[?\s]|$)/.exec(mail.text ?? "");
  if (!match) throw new Error(`no confirmation link in “${mail.subject}”`);
  return match[1]!;
}
