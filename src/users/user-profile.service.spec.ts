import { hashPassword } from '../auth/passwords';
import { ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { onboardingJson } from './onboarding';
import { User } from './user.entity';
import type { UserColumns } from './users.repository';
import { EMAIL_IN_USE, ONBOARDING_NEEDS_A_KEY, UserProfileService } from './user-profile.service';

/** The few UsersRepository methods the service uses, over a map; locks recorded. */
class MemoryUsers {
  readonly rows = new Map<number, User>();
  readonly locked: number[] = [];
  lock(_m: unknown, id: number) {
    this.locked.push(id);
    const u = this.rows.get(id);
    return Promise.resolve(u ? Object.assign(new User(), u) : null);
  }
  byEmail(email: string) {
    const found = [...this.rows.values()].find((u) => u.email.toLowerCase() === email.toLowerCase());
    return Promise.resolve(found ?? null);
  }
  update(_m: unknown, id: number, columns: UserColumns) {
    Object.assign(this.rows.get(id)!, columns);
    return Promise.resolve();
  }
}

async function setup() {
  const users = new MemoryUsers();
  const password = await hashPassword('right-password-1');
  const ann = Object.assign(new User(), { id: 1, email: 'ann@example.com', password, onboardingData: null });
  const bob = Object.assign(new User(), { id: 2, email: 'bob@example.com', password, onboardingData: null });
  users.rows.set(1, ann).set(2, bob);
  const uow = new FakeUnitOfWork();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the in-memory twin covers the methods used
  const service = new UserProfileService(users as any, uow.asUnitOfWork());
  return { users, uow, service, ann: Object.assign(new User(), ann) };
}

describe('UserProfileService', () => {
  it('setEmail with the right password writes the new email on the locked row, unaudited', async () => {
    const { users, uow, service, ann } = await setup();
    await service.setEmail(ann, { current_password: 'right-password-1', new_email: 'ann2@example.com' });
    expect(users.rows.get(1)!.email).toBe('ann2@example.com');
    expect(ann.email).toBe('ann2@example.com');
    expect(users.locked).toEqual([1]);
    expect(uow.committed[0].auditEntries).toEqual([]);
  });

  it('setEmail with a wrong password and a taken email (any case) reports both and writes nothing', async () => {
    const { users, service, ann } = await setup();
    await expect(
      service.setEmail(ann, { current_password: 'nope', new_email: 'BOB@example.com' }),
    ).rejects.toEqual(
      new ValidationFailed({ current_password: ['Invalid password.'], new_email: [EMAIL_IN_USE] }),
    );
    expect(users.rows.get(1)!.email).toBe('ann@example.com');
  });

  it('patchOnboarding merges by key: a task list replaces the stored one, tasks without a time are completed now', async () => {
    const { users, service, ann } = await setup();
    const now = new Date('2025-05-05T05:05:05Z');
    await service.patchOnboarding(ann, { tools: { integrations: ['jira'] }, tasks: [{ name: 'a' }] }, now);
    await service.patchOnboarding(ann, { tasks: [{ name: 'b', completed_at: null }] }, now);
    expect(onboardingJson(users.rows.get(1)!)).toEqual({
      tasks: [{ name: 'b', completed_at: '2025-05-05T05:05:05.000Z' }],
      tools: { completed: true, integrations: ['jira'] },
    });
  });

  it('patchOnboarding with no key is the non-field error and writes nothing', async () => {
    const { uow, service, ann } = await setup();
    await expect(service.patchOnboarding(ann, {})).rejects.toEqual(
      ValidationFailed.field('non_field_errors', ONBOARDING_NEEDS_A_KEY),
    );
    expect(uow.committed).toEqual([]);
  });

  it('onboardingJson of nothing, bad JSON or an empty object is null; tasks default to []', () => {
    expect(onboardingJson({ onboardingData: null })).toBeNull();
    expect(onboardingJson({ onboardingData: '{oops' })).toBeNull();
    expect(onboardingJson({ onboardingData: '{}' })).toBeNull();
    expect(onboardingJson({ onboardingData: '{"hosting_preferences":["x"]}' })).toEqual({
      tasks: [],
      hosting_preferences: ['x'],
    });
  });
});
