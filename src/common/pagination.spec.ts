import { mapError } from '../http/errors';
import { pageRequest } from './pagination';

describe('pageRequest', () => {
  const request = { method: 'GET', url: '/api/v1/projects/?page=0' };

  it.each([['0'], ['-1'], ['abc']])('page=%s is a 404 {"detail": "Invalid page."}', (page) => {
    let thrown: unknown;
    try {
      pageRequest({ page });
    } catch (err) {
      thrown = err;
    }
    expect(mapError(thrown, request)).toMatchObject({ status: 404, body: { detail: 'Invalid page.' } });
  });

  it('a positive page with no page_size is that page of 10', () => {
    expect(pageRequest({ page: '3' })).toEqual({ page: 3, pageSize: 10 });
  });
});
