import { parseUuid } from './drf-values';

const UUID = '3f2b8c1e-9a4d-4e7f-8b6a-0c1d2e3f4a5b';

describe('parseUuid', () => {
  it('the <uuid:> converter form takes only lowercase 8-4-4-4-12', () => {
    expect(parseUuid(UUID, 'converter')).toBe(UUID);
    for (const raw of [UUID.toUpperCase(), UUID.replace(/-/g, ''), `${UUID}0`, 'not-a-uuid', '', 5])
      expect(parseUuid(raw, 'converter')).toBeUndefined();
  });

  it('the UUIDField form drops hyphens anywhere and wants 32 lowercase hex digits, answering the canonical form', () => {
    for (const raw of [UUID, UUID.replace(/-/g, ''), `-${UUID.replace(/-/g, '')}--`])
      expect(parseUuid(raw, 'field')).toBe(UUID);
    for (const raw of [UUID.toUpperCase(), `${UUID}0`, 'abc', 'not-a-uuid', `{${UUID}}`, '', null])
      expect(parseUuid(raw, 'field')).toBeUndefined();
  });
});
