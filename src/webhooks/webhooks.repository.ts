import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EnvironmentWebhook } from './webhook.entity';

export type WebhookColumns = Partial<Pick<EnvironmentWebhook, 'url' | 'secret' | 'enabled'>>;

/** Every SQL statement of environment webhooks. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  list(environmentId: number): Promise<EnvironmentWebhook[]> {
    return this.dataSource
      .getRepository(EnvironmentWebhook)
      .find({ where: { environmentId }, order: { id: 'ASC' } });
  }

  enabledOf(environmentId: number): Promise<EnvironmentWebhook[]> {
    return this.dataSource
      .getRepository(EnvironmentWebhook)
      .find({ where: { environmentId, enabled: true }, order: { id: 'ASC' } });
  }

  find(id: number): Promise<EnvironmentWebhook | null> {
    return this.dataSource.getRepository(EnvironmentWebhook).findOneBy({ id });
  }

  insert(
    manager: EntityManager,
    environmentId: number,
    columns: Required<WebhookColumns>,
  ): Promise<EnvironmentWebhook> {
    const repo = manager.getRepository(EnvironmentWebhook);
    return repo.save(repo.create({ environmentId, ...columns }));
  }

  /** Writes exactly the columns given; null when the environment has no such webhook. */
  async update(
    manager: EntityManager,
    environmentId: number,
    id: number,
    columns: WebhookColumns,
  ): Promise<EnvironmentWebhook | null> {
    const repo = manager.getRepository(EnvironmentWebhook);
    const current = await repo.findOne({ where: { id, environmentId }, lock: { mode: 'for_no_key_update' } });
    if (!current) return null;
    await repo.update({ id }, { ...columns, updatedAt: new Date() });
    return repo.findOneByOrFail({ id });
  }

  async delete(manager: EntityManager, environmentId: number, id: number): Promise<boolean> {
    const result = await manager.getRepository(EnvironmentWebhook).delete({ id, environmentId });
    return (result.affected ?? 0) > 0;
  }
}
