import { signV4 } from '../aws-sigv4';
import { EmailTransport, expectSuccess, HTTP_TIMEOUT_MS, OutgoingEmail } from './transport';

/** `email.eu-central-1.amazonaws.com`, `https://…` or `http://127.0.0.1:4566` → origin URL; unset → the region's. */
export function sesEndpoint(region: string, endpoint: string | undefined): URL {
  const raw = endpoint?.trim() || `email.${region}.amazonaws.com`;
  return new URL(/^https?:\/\//i.test(raw) ? raw : `https://${raw}`);
}

/** Amazon SES API v2 SendEmail (POST /v2/email/outbound-emails), signed with SigV4 for service "ses". */
export class SesTransport implements EmailTransport {
  readonly description: string;
  private readonly url: URL;

  constructor(
    private readonly region: string,
    endpoint: string | undefined,
    private readonly accessKeyId: string,
    private readonly secretAccessKey: string,
  ) {
    const base = sesEndpoint(region, endpoint);
    this.url = new URL(`${base.pathname.replace(/\/+$/, '')}/v2/email/outbound-emails`, base);
    this.description = `ses ${region} (${base.host})`;
  }

  async send(message: OutgoingEmail): Promise<void> {
    const charset = 'UTF-8';
    const body = JSON.stringify({
      FromEmailAddress: message.from,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: charset },
          Body: {
            Text: { Data: message.text, Charset: charset },
            ...(message.html ? { Html: { Data: message.html, Charset: charset } } : {}),
          },
        },
      },
    });
    const { headers } = signV4({
      method: 'POST',
      url: this.url,
      headers: { 'content-type': 'application/json' },
      body,
      region: this.region,
      service: 'ses',
      accessKeyId: this.accessKeyId,
      secretAccessKey: this.secretAccessKey,
      date: new Date(),
    });
    // fetch sets Host itself (to the same value that was signed).
    delete headers.host;
    const res = await fetch(this.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await expectSuccess(res, 'SES');
  }
}
