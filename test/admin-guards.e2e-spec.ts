/**
 * The admin guards over raw HTTP against the built server: the IP allowlist on every spelling the router sends to
 * the panel, and the CSRF origin check on unsafe requests.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './support/database';
import { freePort } from './support/pg-cluster';
import { ServerProcess, spawnServer } from './support/server-process';

jest.setTimeout(200_000);

const FORM = 'email=a%40b.c&password=x';

/** One request written byte for byte (Node's client would normalise the target), from a chosen source address. */
function raw(port: number, from: string, method: string, target: string, extra = '') {
  return new Promise<{ status: number; body: string }>((done, fail) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('end', () =>
      done({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n')[1] ?? '' }),
    );
    socket.on('error', fail);
    const body = method === 'POST' ? FORM : '';
    const headers = body
      ? `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n`
      : '';
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${extra}${headers}\r\n${body}`,
    );
  });
}

describe('admin guards (ALLOWED_ADMIN_IP_ADDRESSES=127.0.0.1)', () => {
  let server: ServerProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = spawnServer({
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      HOST: '127.0.0.1',
      DJANGO_SECRET_KEY: 'admin-guards-e2e-secret-key-0123456789-abcdefghij',
      ENABLE_TELEMETRY: 'false',
      LOG_LEVEL: 'INFO',
      ENABLE_ADMIN_ACCESS_USER_PASS: 'true',
      ALLOWED_ADMIN_IP_ADDRESSES: '127.0.0.1',
      DJANGO_CSRF_TRUSTED_ORIGINS: 'http://*.trusted.test',
      ADMIN_JS_TMP_DIR: mkdtempSync(join(tmpdir(), 'flagport-adminjs-')),
    });
    await server.waitForOutput(/listening on/, 60_000);
  });

  afterAll(() => server?.stop());

  it('IP allowlist: every spelling routed to the panel is refused from 127.0.0.2, others answer 404, nothing loads', async () => {
    const spellings: [string, 'admin' | 'not routed'][] = [
      ['/admin/login', 'admin'],
      ['/%61dmin/login', 'admin'],
      ['/adm%69n/login', 'admin'],
      ['/%61%64%6d%69%6e', 'admin'],
      ['/admin/%6cogin', 'admin'],
      ['/admin#x', 'admin'],
      ['/admin?x', 'admin'],
      ['/admin/', 'admin'],
      ['/admin//login', 'admin'],
      ['/admin/../admin/login', 'admin'],
      [`http://127.0.0.1:PORT/admin/login`, 'admin'],
      ['/ADMIN/login', 'not routed'],
      ['//admin/login', 'not routed'],
      ['/admin;x', 'not routed'],
      ['/admin%2Flogin', 'not routed'],
      ['/%2561dmin/login', 'not routed'],
      ['/administrator', 'not routed'],
    ];
    for (const [spelling, routed] of spellings) {
      const target = spelling.replace('PORT', String(port));
      for (const method of ['GET', 'POST']) {
        const res = await raw(port, '127.0.0.2', method, target);
        expect({ method, spelling, status: res.status }).toEqual({
          method,
          spelling,
          status: routed === 'admin' ? 403 : 404,
        });
      }
    }
    expect(server.output()).not.toMatch(/loading the admin panel/);
  });

  it('IP allowlist: from 127.0.0.1 every spelling routed to the panel answers as its plain form does, never 5xx', async () => {
    const plain = (await raw(port, '127.0.0.1', 'GET', '/admin/login')).status;
    expect(plain).toBe(200);
    for (const spelling of ['/%61dmin/login', '/adm%69n/login', '/admin/%6cogin', '/admin/login#x']) {
      const res = await raw(port, '127.0.0.1', 'GET', spelling);
      expect({ spelling, status: res.status }).toEqual({ spelling, status: plain });
    }
    const absolute = await raw(port, '127.0.0.1', 'GET', `http://127.0.0.1:${port}/admin/login`);
    expect(absolute.status).toBe(plain);
    for (const spelling of ['/%61dmin', '/admin#x', '/%61%64%6d%69%6e']) {
      const res = await raw(port, '127.0.0.1', 'GET', spelling);
      expect({ spelling, status: res.status < 500 }).toEqual({ spelling, status: true });
    }
  });

  it('CSRF: an unsafe request from a foreign origin, or with neither Origin nor Referer, gets 403', async () => {
    const own = `http://127.0.0.1:${port}`;
    const cases: [string, number][] = [
      ['Origin: http://127.0.0.1:1\r\n', 403], // same site, other port: SameSite=Lax cookies go along
      ['Origin: http://evil.test\r\n', 403],
      ['Origin: null\r\n', 403],
      ['', 403],
      ['Referer: http://evil.test/page\r\n', 403],
      [`Origin: ${own}\r\n`, 200],
      [`Referer: ${own}/admin/login\r\n`, 200],
      ['Origin: http://app.trusted.test\r\n', 200],
      ['Origin: https://app.trusted.test\r\n', 403], // wildcard entries are per scheme
    ];
    for (const [headers, status] of cases) {
      const res = await raw(port, '127.0.0.1', 'POST', '/admin/login', headers);
      expect({ headers, status: res.status }).toEqual({ headers, status });
      if (status === 403) expect(JSON.parse(res.body).detail).toMatch(/^CSRF Failed: /);
    }
  });
});
