import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Environment } from './environment.entity';

export type OnboardingStatus = Pick<Environment, 'id' | 'firstEvaluatedAt' | 'firstEvaluatedSdkLabel'>;

/** The SQL of an environment's onboarding status (its first SDK evaluation). */
@Injectable()
export class OnboardingStatusRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  byKey(apiKey: string): Promise<OnboardingStatus | null> {
    return this.dataSource.getRepository(Environment).findOne({
      where: { apiKey },
      select: { id: true, firstEvaluatedAt: true, firstEvaluatedSdkLabel: true },
    });
  }

  /** Sets the first evaluation unless one is stored already; true when this call set it. */
  async recordFirst(manager: EntityManager, id: number, at: Date, label: string): Promise<boolean> {
    const result = await manager
      .getRepository(Environment)
      .update({ id, firstEvaluatedAt: IsNull() }, { firstEvaluatedAt: at, firstEvaluatedSdkLabel: label });
    return (result.affected ?? 0) > 0;
  }
}
