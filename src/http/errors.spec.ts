import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { isDatabaseUnavailable, mapError } from './errors';

const req = { method: 'GET', url: '/api/v1/x/' };

describe('error mapping to Flagsmith bodies', () => {
  it('a {"detail"} body is kept as is', () => {
    expect(mapError(new ForbiddenException({ detail: 'Nope.' }), req)).toEqual({
      status: 403,
      body: { detail: 'Nope.' },
      unexpected: false,
    });
  });

  it('field errors are kept as is, nested ones too', () => {
    const body = { name: ['This field is required.'], rules: { 0: ['bad'] } };
    expect(mapError(new BadRequestException(body), req).body).toEqual(body);
  });

  it('a string message becomes {"detail": message}', () => {
    expect(mapError(new HttpException('Gone away', 410), req)).toMatchObject({
      status: 410,
      body: { detail: 'Gone away' },
    });
    expect(mapError(new ForbiddenException('Only admins.'), req).body).toEqual({ detail: 'Only admins.' });
  });

  it('a bare Nest exception gets DRF’s wording', () => {
    expect(mapError(new ForbiddenException(), req).body).toEqual({
      detail: 'You do not have permission to perform this action.',
    });
  });

  it('Nest’s unknown-route 404 and a bare NotFoundException become {"detail": "Not found."}', () => {
    expect(mapError(new NotFoundException('Cannot GET /api/v1/x/'), req).body).toEqual({
      detail: 'Not found.',
    });
    expect(mapError(new NotFoundException(), req).body).toEqual({ detail: 'Not found.' });
    expect(mapError(new NotFoundException('Feature not found.'), req).body).toEqual({
      detail: 'Feature not found.',
    });
  });

  it('ValidationPipe’s message list becomes field errors keyed by property', () => {
    const err = new BadRequestException([
      'name must be a string',
      'name should not be empty',
      'Something else',
    ]);
    expect(mapError(err, req).body).toEqual({
      name: ['name must be a string', 'name should not be empty'],
      non_field_errors: ['Something else'],
    });
  });

  it('413 and 415 get DRF’s messages', () => {
    expect(mapError(new PayloadTooLargeException(), req).body).toEqual({
      detail: 'Request body is too large.',
    });
    expect(
      mapError(new UnsupportedMediaTypeException(), { ...req, contentType: 'text/csv; charset=utf-8' }).body,
    ).toEqual({
      detail: 'Unsupported media type "text/csv" in request.',
    });
  });

  it('a raw 4xx error from Fastify keeps its status; a raw SyntaxError is a JSON parse error', () => {
    const fst = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(mapError(fst, req)).toMatchObject({ status: 413, body: { detail: 'Request body is too large.' } });
    const syntax = Object.assign(new SyntaxError('Unexpected end of JSON input'), { statusCode: 400 });
    expect(mapError(syntax, req)).toMatchObject({
      status: 400,
      body: { detail: 'JSON parse error - Unexpected end of JSON input' },
    });
  });

  it('anything else is a 500 with a generic detail, flagged for logging, never the message', () => {
    const mapped = mapError(new TypeError('cannot read x of undefined at /srv/app.js:1'), req);
    expect(mapped).toEqual({ status: 500, body: { detail: 'A server error occurred.' }, unexpected: true });
    expect(mapError('a string', req).status).toBe(500);
    expect(mapError(new InternalServerErrorException(), req).unexpected).toBe(true);
  });

  it('a 500 HttpException answers the generic detail whatever its message or body', () => {
    const generic = { status: 500, body: { detail: 'A server error occurred.' }, unexpected: true };
    const leaky = 'invalid byte sequence for encoding "UTF8": 0x00 (22021)';
    expect(mapError(new InternalServerErrorException(leaky), req)).toEqual(generic);
    expect(mapError(new HttpException({ detail: leaky }, 500), req)).toEqual(generic);
    expect(mapError(new HttpException([leaky], 500), req)).toEqual(generic);
  });

  describe('database unreachable', () => {
    const pgError = (message: string, code?: string) =>
      Object.assign(new Error(message), code ? { code } : {});
    const unavailable = [
      ['connection refused', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
      ['connect timed out', pgError('connect ETIMEDOUT 10.0.0.1:5432', 'ETIMEDOUT')],
      ['admin shutdown (57P01)', pgError('terminating connection due to administrator command', '57P01')],
      ['cannot connect now (57P03)', pgError('the database system is starting up', '57P03')],
      ['connection exception (08006)', pgError('connection failure', '08006')],
      ['connection lost', pgError('Connection terminated unexpectedly')],
      ['pool connect timeout', pgError('timeout exceeded when trying to connect')],
      ['client connect timeout', pgError('Connection terminated due to connection timeout')],
      ['released query runner', new QueryRunnerAlreadyReleasedError()],
      ['released query runner, through the entity manager', new QueryRunnerProviderAlreadyReleasedError()],
      [
        'localhost refused on every address',
        new AggregateError([pgError('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')]),
      ],
      [
        'TypeORM query error wrapping a lost connection',
        new QueryFailedError('SELECT 1', [], pgError('Connection terminated unexpectedly')),
      ],
    ] as const;

    it.each(unavailable)(
      '%s → 503 with the clear detail and Retry-After, not logged as a fault',
      (_, error) => {
        expect(mapError(error, req)).toEqual({
          status: 503,
          body: { detail: 'The database is unavailable; try again shortly.' },
          unexpected: false,
          headers: { 'retry-after': '5' },
          databaseUnavailable: true,
        });
      },
    );

    it('query errors (syntax, constraint) and other errors are not "unavailable": still 500', () => {
      expect(isDatabaseUnavailable(new QueryFailedError('SELEC', [], pgError('syntax error', '42601')))).toBe(
        false,
      );
      expect(isDatabaseUnavailable(pgError('duplicate key value', '23505'))).toBe(false);
      expect(mapError(pgError('relation "x" does not exist', '42P01'), req).status).toBe(500);
      expect(isDatabaseUnavailable(null)).toBe(false);
    });
  });
});
