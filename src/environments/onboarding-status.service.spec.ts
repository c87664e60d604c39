import { NotFound } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { OnboardingStatus, OnboardingStatusRepository } from './onboarding-status.repository';
import { NO_ENVIRONMENT, OnboardingStatusService } from './onboarding-status.service';

function setup() {
  const rows = new Map<string, OnboardingStatus>([
    ['key-1', { id: 1, firstEvaluatedAt: null, firstEvaluatedSdkLabel: null }],
  ]);
  const repository = {
    byKey: (key: string) => Promise.resolve(rows.has(key) ? { ...rows.get(key)! } : null),
    recordFirst: (_m: unknown, id: number, at: Date, label: string) => {
      const row = [...rows.values()].find((r) => r.id === id)!;
      if (row.firstEvaluatedAt) return Promise.resolve(false);
      Object.assign(row, { firstEvaluatedAt: at, firstEvaluatedSdkLabel: label });
      return Promise.resolve(true);
    },
  } as unknown as OnboardingStatusRepository;
  const uow = new FakeUnitOfWork();
  return { rows, uow, service: new OnboardingStatusService(repository, uow.asUnitOfWork()) };
}

describe('OnboardingStatusService', () => {
  it('status is nulls before a first evaluation, then its time and SDK label', async () => {
    const { service } = setup();
    expect(await service.status('key-1')).toEqual({
      first_evaluated_at: null,
      first_evaluated_sdk_label: null,
    });
    await service.recordFirstEvaluation('key-1', 'flagsmith-js-sdk', new Date('2025-01-01T00:00:00Z'));
    expect(await service.status('key-1')).toEqual({
      first_evaluated_at: '2025-01-01T00:00:00.000Z',
      first_evaluated_sdk_label: 'flagsmith-js-sdk',
    });
  });

  it('a second report keeps the first and writes nothing', async () => {
    const { service, uow, rows } = setup();
    await service.recordFirstEvaluation('key-1', 'flagsmith-js-sdk', new Date('2025-01-01T00:00:00Z'));
    await service.recordFirstEvaluation('key-1', 'flagsmith-go-sdk');
    expect(rows.get('key-1')!.firstEvaluatedSdkLabel).toBe('flagsmith-js-sdk');
    expect(uow.committed).toHaveLength(1);
  });

  it("an unknown key is NotFound with DRF's get_object_or_404 message", async () => {
    const { service } = setup();
    await expect(service.status('nope')).rejects.toEqual(new NotFound(NO_ENVIRONMENT));
    await expect(service.recordFirstEvaluation('nope', 'unknown')).rejects.toEqual(
      new NotFound(NO_ENVIRONMENT),
    );
  });
});
