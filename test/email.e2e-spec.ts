import { createServer as createHttpServer, IncomingMessage, Server as HttpServer } from 'node:http';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { signV4 } from '../src/email/aws-sigv4';
import { LoggingEmailService } from '../src/email/email.service';
import { Call, client, createOrganisation, PASSWORD, signUp, uniqueEmail } from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

interface SmtpMessage {
  auth?: string;
  from: string;
  to: string[];
  /** The DATA as received (dot-unstuffed). */
  raw: string;
  headers: Record<string, string>;
  /** Every part's body decoded from quoted-printable/base64, concatenated. */
  decoded: string;
}

/**
 * A minimal SMTP server (RFC 5321 subset: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on
 * 127.0.0.1, plain text only (EMAIL_USE_TLS=false), keeping every message it accepted.
 */
class FakeSmtpServer {
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly messages: SmtpMessage[] = [];

  async start(): Promise<void> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private session(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    let envelope: { from: string; to: string[]; auth?: string } = { from: '', to: [] };
    let auth: string | undefined;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 fake-smtp.test ESMTP ready');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          const raw = buffer.slice(0, end + 2).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          this.messages.push({ ...envelope, auth, raw, ...parseMessage(raw) });
          envelope = { from: '', to: [] };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol === -1) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') {
          reply('250-fake-smtp.test');
          reply('250-AUTH PLAIN');
          reply('250 8BITMIME');
        } else if (verb === 'HELO') reply('250 fake-smtp.test');
        else if (verb === 'AUTH') {
          auth = Buffer.from(line.split(' ')[2] ?? '', 'base64').toString('utf8');
          reply('235 2.7.0 Authentication successful');
        } else if (verb === 'MAIL') {
          envelope.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          envelope.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 OK');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        } else reply('502 5.5.2 Command not recognised');
      }
    });
  }

  /** The last message to a recipient. */
  to(address: string): SmtpMessage | undefined {
    return this.messages.filter((m) => m.to.includes(address)).pop();
  }
}

/** Headers (unfolded, lower-case names) and every part's body decoded (quoted-printable or base64). */
function parseMessage(raw: string): { headers: Record<string, string>; decoded: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const decodeQp = (text: string) =>
    Buffer.from(
      text
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  const parts = raw.slice(split + 4).split(/\r\n--[^\r\n]+/);
  const decoded = parts
    .map((part) => {
      const base64 = /content-transfer-encoding:\s*base64/i.test(part);
      const body = part.includes('\r\n\r\n') ? part.slice(part.indexOf('\r\n\r\n') + 4) : part;
      return base64 ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : decodeQp(body);
    })
    .join('\n');
  return { headers, decoded };
}

interface HttpRecord {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A small HTTP server standing in for SendGrid or SES; `answer` decides the status per request. */
async function fakeHttp(answer: (req: HttpRecord) => [number, unknown]) {
  const requests: HttpRecord[] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const record = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(record);
      const [status, payload] = answer(record);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const delivered = (t: TestApp) => t.app.get(LoggingEmailService).idle();

async function inviteHash(t: TestApp, inviteId: number): Promise<string> {
  const [row] = await queryDatabase<{ hash: string }>(
    t.databaseUrl,
    'SELECT hash FROM organisation_invites WHERE id = $1',
    [inviteId],
  );
  return row.hash;
}

/** An admin with an organisation, and an invite for a new address. */
async function invite(call: Call, t: TestApp) {
  const admin = await signUp(call, uniqueEmail('admin'));
  const org = await createOrganisation(call, admin.token, 'Acme');
  const email = uniqueEmail('invitee');
  const res = await call('POST', `/api/v1/organisations/${org.id}/invites/`, {
    auth: admin.token,
    body: { email },
  });
  expect(res.status).toBe(201);
  return { admin, org, email, hash: await inviteHash(t, res.body.id) };
}

describe('email backends', () => {
  describe('SMTP (EMAIL_BACKEND=smtp, plain, AUTH PLAIN) to a real SMTP server on 127.0.0.1', () => {
    const smtp = new FakeSmtpServer();
    let t: TestApp;
    let call: Call;
    beforeAll(async () => {
      await smtp.start();
      t = await startTestApp({
        EMAIL_BACKEND: 'smtp',
        EMAIL_HOST: '127.0.0.1',
        EMAIL_PORT: String(smtp.port),
        EMAIL_USE_TLS: 'false',
        EMAIL_HOST_USER: 'mailer',
        EMAIL_HOST_PASSWORD: 's3cret',
        SENDER_EMAIL: 'flags@example.com',
        FLAGSMITH_DOMAIN: 'flags.example.com',
      });
      call = client(t);
    });
    afterAll(async () => {
      await t.close();
      await smtp.stop();
    });

    it('an invite arrives from SENDER_EMAIL with the inviter in the subject and a FLAGSMITH_DOMAIN link that joins', async () => {
      const { email, hash, org } = await invite(call, t);
      await delivered(t);
      const message = smtp.to(email)!;
      expect(message).toBeDefined();
      expect(message.auth).toBe('\0mailer\0s3cret');
      expect(message.from).toBe('flags@example.com');
      expect(message.headers.from).toContain('flags@example.com');
      expect(message.headers.to).toContain(email);
      expect(message.headers.subject).toBe(
        "Ann Lee has invited you to join the organisation 'Acme' on Flagsmith",
      );
      expect(message.headers['content-type']).toMatch(/^multipart\/alternative/);
      const link = `https://flags.example.com/invite/${hash}`;
      expect(message.decoded).toContain(link);
      expect(message.decoded).toContain(`<a href="${link}">`);

      const invitee = await signUp(call, email);
      const joined = await call('POST', `/api/v1/users/join/${link.split('/').pop()}/`, {
        auth: invitee.token,
      });
      expect(joined.status).toBe(200);
      expect(joined.body.id).toBe(org.id);
    });

    it('a password reset arrives with a FLAGSMITH_DOMAIN link whose uid/token set a new password', async () => {
      const user = await signUp(call, uniqueEmail('reset'));
      const res = await call('POST', '/api/v1/auth/users/reset_password/', { body: { email: user.email } });
      expect(res.status).toBe(204);
      await delivered(t);
      const message = smtp.to(user.email)!;
      expect(message.headers.subject).toBe('Password reset');
      const [, uid, token] =
        /https:\/\/flags\.example\.com\/password-reset\/confirm\/([\w-]+)\/([\w-]+)/.exec(message.decoded)!;
      const next = 'smtp-Reset-77';
      const confirmed = await call('POST', '/api/v1/auth/users/reset_password_confirm/', {
        body: { uid, token, new_password: next, re_new_password: next },
      });
      expect(confirmed.status).toBe(204);
      const login = await call('POST', '/api/v1/auth/login/', {
        body: { email: user.email, password: next },
      });
      expect(login.status).toBe(200);
    });

    it('bulk invites are each sent once, after they exist', async () => {
      const admin = await signUp(call, uniqueEmail('bulkadmin'));
      const org = await createOrganisation(call, admin.token, 'Bulk');
      const emails = [uniqueEmail('bulk1'), uniqueEmail('bulk2')];
      const res = await call('POST', `/api/v1/organisations/${org.id}/invite/`, {
        auth: admin.token,
        body: { emails },
      });
      expect(res.status).toBe(200);
      await delivered(t);
      for (const email of emails) expect(smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
    });
  });

  describe('ENABLE_EMAIL_ACTIVATION=true, links from the site domain set at first run', () => {
    const smtp = new FakeSmtpServer();
    let t: TestApp;
    let call: Call;
    beforeAll(async () => {
      await smtp.start();
      t = await startTestApp({
        EMAIL_BACKEND: 'smtp',
        EMAIL_HOST: '127.0.0.1',
        EMAIL_PORT: String(smtp.port),
        EMAIL_USE_TLS: 'false',
        ENABLE_EMAIL_ACTIVATION: 'true',
      });
      await queryDatabase(
        t.databaseUrl,
        `INSERT INTO sites (name, domain) VALUES ('Flagsmith', 'site.example.org')`,
      );
      call = client(t);
    });
    afterAll(async () => {
      await t.close();
      await smtp.stop();
    });

    it('a new account is inactive until the emailed activation link is used; the link then is stale', async () => {
      const email = uniqueEmail('activate');
      const res = await call('POST', '/api/v1/auth/users/', {
        body: { email, password: PASSWORD, first_name: 'A', last_name: 'B' },
      });
      expect(res.status).toBe(201);
      expect(res.body.is_active).toBe(false);
      expect(
        (await call('POST', '/api/v1/auth/login/', { body: { email, password: PASSWORD } })).status,
      ).toBe(400);
      await delivered(t);
      const message = smtp.to(email)!;
      expect(message.headers.subject).toBe('Flagsmith Account Activation');
      const [, uid, token] = /https:\/\/site\.example\.org\/activate\/([\w-]+)\/([\w-]+)/.exec(
        message.decoded,
      )!;

      const bad = await call('POST', '/api/v1/auth/users/activation/', { body: { uid, token: `${token}x` } });
      expect(bad.status).toBe(400);
      const ok = await call('POST', '/api/v1/auth/users/activation/', { body: { uid, token } });
      expect(ok.status).toBe(204);
      const again = await call('POST', '/api/v1/auth/users/activation/', { body: { uid, token } });
      expect(again.status).toBe(403);
      expect(again.body).toEqual({ detail: 'Stale token for given user.' });
      const login = await call('POST', '/api/v1/auth/login/', { body: { email, password: PASSWORD } });
      expect(login.status).toBe(200);
    });

    it('resend_activation sends another link to an inactive account and answers 204 for anyone', async () => {
      const email = uniqueEmail('resend');
      await call('POST', '/api/v1/auth/users/', {
        body: { email, password: PASSWORD, first_name: 'A', last_name: 'B' },
      });
      await delivered(t);
      const before = smtp.messages.length;
      expect((await call('POST', '/api/v1/auth/users/resend_activation/', { body: { email } })).status).toBe(
        204,
      );
      expect(
        (
          await call('POST', '/api/v1/auth/users/resend_activation/', {
            body: { email: uniqueEmail('nobody') },
          })
        ).status,
      ).toBe(204);
      await delivered(t);
      expect(smtp.messages.length).toBe(before + 1);
    });

    it('invite links use the site domain when FLAGSMITH_DOMAIN is unset', async () => {
      const admin = await signUp(call, uniqueEmail('siteadmin'));
      await queryDatabase(t.databaseUrl, 'UPDATE users SET is_active = true WHERE id = $1', [admin.id]);
      const org = await createOrganisation(call, admin.token, 'Site Org');
      const email = uniqueEmail('siteinvite');
      const res = await call('POST', `/api/v1/organisations/${org.id}/invites/`, {
        auth: admin.token,
        body: { email },
      });
      expect(res.status).toBe(201);
      await delivered(t);
      expect(smtp.to(email)!.decoded).toContain(
        `https://site.example.org/invite/${await inviteHash(t, res.body.id)}`,
      );
    });
  });

  it('SMTP server down: the invite still answers 201, its link still joins, and a warning is logged', async () => {
    const gone = new FakeSmtpServer();
    await gone.start();
    const port = gone.port;
    await gone.stop();
    const t = await startTestApp({
      EMAIL_BACKEND: 'smtp',
      EMAIL_HOST: '127.0.0.1',
      EMAIL_PORT: String(port),
      EMAIL_USE_TLS: 'false',
    });
    try {
      const call = client(t);
      const { email, hash } = await invite(call, t);
      await delivered(t);
      expect(
        t.logs.some(
          (line) => line.includes(`could not be sent via smtp 127.0.0.1:${port}`) && line.includes(email),
        ),
      ).toBe(true);
      const invitee = await signUp(call, email);
      expect((await call('POST', `/api/v1/users/join/${hash}/`, { auth: invitee.token })).status).toBe(200);
      const reset = await call('POST', '/api/v1/auth/users/reset_password/', { body: { email } });
      expect(reset.status).toBe(204);
    } finally {
      await t.close();
    }
  });

  it('EMAIL_BACKEND=none: nothing is sent, nothing is logged as failing, invites work', async () => {
    const t = await startTestApp({ EMAIL_BACKEND: 'django.core.mail.backends.dummy.EmailBackend' });
    try {
      const call = client(t);
      const { email } = await invite(call, t);
      expect(t.app.get(LoggingEmailService).outbox.some((m) => m.to === email)).toBe(true);
      expect(t.logs.filter((line) => line.includes('could not be sent'))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('SendGrid (chosen because SENDGRID_API_KEY is set): v3 mail/send with the Bearer key; a failure is only a warning', async () => {
    const sendgrid = await fakeHttp((req) =>
      req.body.includes('fail-me') ? [500, { errors: ['boom'] }] : [202, undefined],
    );
    const t = await startTestApp({
      EMAIL_BACKEND: '', // unset: the harness default ('none') must not apply here
      SENDGRID_API_KEY: 'SG.test-key',
      SENDGRID_API_URL: sendgrid.url,
      SENDER_EMAIL: 'grid@example.com',
      FLAGSMITH_DOMAIN: 'https://flags.example.com/',
    });
    try {
      const call = client(t);
      const { email, hash } = await invite(call, t);
      await delivered(t);
      const req = sendgrid.requests.pop()!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/v3/mail/send');
      expect(req.headers.authorization).toBe('Bearer SG.test-key');
      expect(req.headers['content-type']).toBe('application/json');
      const body = JSON.parse(req.body);
      expect(body).toMatchObject({
        personalizations: [{ to: [{ email }] }],
        from: { email: 'grid@example.com' },
        subject: "Ann Lee has invited you to join the organisation 'Acme' on Flagsmith",
      });
      expect(body.content[0].type).toBe('text/plain');
      expect(body.content[0].value).toContain(`https://flags.example.com/invite/${hash}`);
      expect(body.content[1].type).toBe('text/html');

      const failing = await signUp(call, `fail-me-${Date.now()}@example.com`);
      const reset = await call('POST', '/api/v1/auth/users/reset_password/', {
        body: { email: failing.email },
      });
      expect(reset.status).toBe(204);
      await delivered(t);
      expect(
        t.logs.some((line) => line.includes('could not be sent via sendgrid: SendGrid answered 500')),
      ).toBe(true);
    } finally {
      await t.close();
      await sendgrid.stop();
    }
  });

  it('SES (django_ses.SESBackend): SendEmail v2 to AWS_SES_REGION_ENDPOINT, signed with SigV4 that the server can verify', async () => {
    const ses = await fakeHttp(() => [200, { MessageId: 'fake-1' }]);
    const t = await startTestApp({
      EMAIL_BACKEND: 'django_ses.SESBackend',
      AWS_SES_REGION_NAME: 'eu-west-1',
      AWS_SES_REGION_ENDPOINT: ses.url,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret-test-key',
      SENDER_EMAIL: 'ses@example.com',
      FLAGSMITH_DOMAIN: 'flags.example.com',
    });
    try {
      const call = client(t);
      const user = await signUp(call, uniqueEmail('ses'));
      expect(
        (await call('POST', '/api/v1/auth/users/reset_password/', { body: { email: user.email } })).status,
      ).toBe(204);
      await delivered(t);
      const req = ses.requests.pop()!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/v2/email/outbound-emails');
      const amzDate = req.headers['x-amz-date'] as string;
      expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
      expect(req.headers.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=AKIDTEST/${amzDate.slice(0, 8)}/eu-west-1/ses/aws4_request, ` +
            'SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$',
        ),
      );
      // The fake recomputes the signature from what it received: method, host, path, headers and body all match.
      const expected = signV4({
        method: req.method,
        url: new URL(`http://${req.headers.host}${req.path}`),
        headers: { 'content-type': req.headers['content-type'] as string },
        body: req.body,
        region: 'eu-west-1',
        service: 'ses',
        accessKeyId: 'AKIDTEST',
        secretAccessKey: 'secret-test-key',
        date: new Date(
          amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
        ),
      });
      expect(req.headers.authorization).toBe(expected.headers.authorization);
      const body = JSON.parse(req.body);
      expect(body).toMatchObject({
        FromEmailAddress: 'ses@example.com',
        Destination: { ToAddresses: [user.email] },
        Content: { Simple: { Subject: { Data: 'Password reset', Charset: 'UTF-8' } } },
      });
      expect(body.Content.Simple.Body.Text.Data).toMatch(
        /https:\/\/flags\.example\.com\/password-reset\/confirm\/[\w-]+\/[\w-]+/,
      );
      expect(body.Content.Simple.Body.Html.Data).toContain(
        '<a href="https://flags.example.com/password-reset/confirm/',
      );
    } finally {
      await t.close();
      await ses.stop();
    }
  });
});
