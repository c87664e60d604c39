import { EmailTransport, expectSuccess, HTTP_TIMEOUT_MS, OutgoingEmail } from './transport';

export const SENDGRID_API_URL_DEFAULT = 'https://api.sendgrid.com';

/** SendGrid's v3 Web API: POST {SENDGRID_API_URL}/v3/mail/send with the API key as Bearer token. */
export class SendGridTransport implements EmailTransport {
  readonly description = 'sendgrid';
  private readonly endpoint: string;

  constructor(
    private readonly apiKey: string,
    baseUrl: string,
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/v3/mail/send`;
  }

  async send(message: OutgoingEmail): Promise<void> {
    const content = [{ type: 'text/plain', value: message.text }];
    if (message.html) content.push({ type: 'text/html', value: message.html });
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: message.to }] }],
        from: { email: message.from },
        subject: message.subject,
        content,
      }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await expectSuccess(res, 'SendGrid');
  }
}
