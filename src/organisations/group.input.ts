import { BodyReader } from '../common/validation';
import type { GroupFields } from './groups.repository';

/** POST/PUT/PATCH /organisations/{id}/groups/…: the sent fields, and `users` to add when sent. */
export interface GroupInput extends Partial<GroupFields> {
  userIds?: number[];
}

export function readGroup(body: unknown, partial: boolean): GroupInput {
  const v = new BodyReader(body, { partial });
  const input: GroupInput = {
    name: v.string('name', { maxLength: 200 }),
    isDefault: v.boolean('is_default', { optional: true }),
    externalId: v.string('external_id', { optional: true, nullable: true, maxLength: 255 }),
    userIds: v.integerList('users', { optional: true }),
  };
  v.assertValid();
  return input;
}

/** add-users / remove-users: `{"user_ids": [1, 2]}`. */
export function readGroupUserIds(body: unknown): number[] {
  const v = new BodyReader(body);
  const userIds = v.integerList('user_ids');
  v.assertValid();
  return userIds!;
}
