import { FILTERED, isSecretName, scrubEvent, scrubQuery, scrubText } from './sentry-scrub';

describe('sentry-scrub', () => {
  it('secret names: credential headers and password/token/key fields are secret, ordinary fields are not', () => {
    for (const name of [
      'X-Environment-Key',
      'Authorization',
      'Cookie',
      'Set-Cookie',
      'password',
      'new_password',
      'token',
      'api_key',
      'apiKey',
      'sessionid',
      'csrftoken',
      'key',
    ]) {
      expect(isSecretName(name)).toBe(true);
    }
    for (const name of ['name', 'user-agent', 'page', 'identifier', 'enabled', 'content-type']) {
      expect(isSecretName(name)).toBe(false);
    }
  });

  it('query string: secret parameters are filtered, the others kept in order', () => {
    expect(scrubQuery('page=2&api_key=abc123456&token=zzz&q=x')).toBe(
      `page=2&api_key=${FILTERED}&token=${FILTERED}&q=x`,
    );
  });

  it('free text: server keys and name=value credentials are filtered', () => {
    expect(scrubText('failed for ser.AbCdEf123456 with password=hunter2 and token: xyz')).toBe(
      `failed for ${FILTERED} with password=${FILTERED} and token: ${FILTERED}`,
    );
  });

  it('event: a header value repeated elsewhere (URL path, message) is filtered everywhere', () => {
    const event = scrubEvent({
      message: 'no environment for key-abcdef123',
      request: {
        url: 'https://api.example.com/api/v1/environments/key-abcdef123/?format=json',
        headers: { 'x-environment-key': 'key-abcdef123', accept: 'application/json' },
      },
    });
    expect(event).toEqual({
      message: `no environment for ${FILTERED}`,
      request: {
        url: `https://api.example.com/api/v1/environments/${FILTERED}/?format=json`,
        headers: { 'x-environment-key': FILTERED, accept: 'application/json' },
      },
    });
  });

  it('event: "Token x" authorization and every cookie value are remembered and filtered', () => {
    const event = scrubEvent({
      request: {
        headers: { authorization: 'Token tok-1234567', cookie: 'sessionid=sess-1234567; theme=dark' },
      },
      extra: { note: 'saw tok-1234567 and sess-1234567' },
    });
    expect(event.extra.note).toBe(`saw ${FILTERED} and ${FILTERED}`);
    expect(event.request.headers).toEqual({ authorization: FILTERED, cookie: FILTERED });
  });

  it('event: nested JSON body fields are filtered, arrays and other fields kept', () => {
    const event = scrubEvent({
      request: {
        data: JSON.stringify({ name: 'n', items: [{ secret: 's3cr3t-value', id: 1 }], auth: { token: 't' } }),
      },
    });
    expect(JSON.parse(event.request.data)).toEqual({
      name: 'n',
      items: [{ secret: FILTERED, id: 1 }],
      auth: FILTERED,
    });
  });

  it('event: form-encoded bodies and cookies objects are filtered', () => {
    const event = scrubEvent({
      request: { data: 'email=a@b.c&password=pw-123456', cookies: { sessionid: 'abc' } },
    });
    expect(event.request).toEqual({ data: `email=a@b.c&password=${FILTERED}`, cookies: FILTERED });
  });
});
