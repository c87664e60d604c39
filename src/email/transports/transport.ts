/** A message ready to leave: the EmailService has added the sender. */
export interface OutgoingEmail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** One way of delivering email (EMAIL_BACKEND). `send` rejects when the message was not accepted. */
export interface EmailTransport {
  /** For log lines: "smtp mail.example.com:587", "sendgrid", "ses eu-west-1". */
  readonly description: string;
  send(message: OutgoingEmail): Promise<void>;
  close?(): void;
}

/** Timeout of one HTTP call to SendGrid or SES. */
export const HTTP_TIMEOUT_MS = 15_000;

/** Throws with status and the start of the body for a non-2xx answer (the body may explain, e.g. an unverified sender). */
export async function expectSuccess(res: Response, what: string): Promise<void> {
  if (res.status >= 200 && res.status < 300) {
    await res.arrayBuffer().catch(() => undefined);
    return;
  }
  const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
  throw new Error(`${what} answered ${res.status}${body ? `: ${body}` : ''}`);
}
