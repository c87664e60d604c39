import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';
import {
  OrgConflictError,
  OrgForbiddenError,
  OrgInvalidError,
  OrgNotFoundError,
  orgErrorToHttp,
  pathId,
} from './organisation-errors';

describe('organisation domain errors', () => {
  it.each([
    [new OrgNotFoundError(), NotFoundException, { detail: 'Not found.' }],
    [
      new OrgForbiddenError(),
      ForbiddenException,
      { detail: 'You do not have permission to perform this action.' },
    ],
    [OrgInvalidError.field('email', 'Bad.'), BadRequestException, { email: ['Bad.'] }],
    [new OrgConflictError({ detail: 'Taken.' }), BadRequestException, { detail: 'Taken.' }],
  ])('%s maps to its Flagsmith HTTP answer', (error, type, body) => {
    const http = orgErrorToHttp(error);
    expect(http).toBeInstanceOf(type);
    expect((http as NotFoundException).getResponse()).toEqual(body);
  });

  it('an error of another kind passes through unchanged', () => {
    const other = new Error('boom');
    expect(orgErrorToHttp(other)).toBe(other);
  });

  it('a path id that is no positive 32-bit integer names nothing', () => {
    expect(pathId('12')).toBe(12);
    for (const raw of ['abc', '0', '-1', '99999999999', ''])
      expect(() => pathId(raw)).toThrow(OrgNotFoundError);
  });
});
