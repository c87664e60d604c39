import { Injectable } from '@nestjs/common';
import { NotFound } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import type { Environment } from '../environments/environment.entity';
import { EnvironmentWebhook } from './webhook.entity';
import type { WebhookInput } from './webhook.schemas';
import { WebhookColumns, WebhooksRepository } from './webhooks.repository';

/** Flagsmith records no audit log entry for webhook configuration. */
const UNAUDITED = { unaudited: 'Flagsmith does not audit webhook configuration' };

function columnsOf(input: Partial<WebhookInput>): WebhookColumns {
  const columns: WebhookColumns = {};
  if (input.url !== undefined) columns.url = input.url;
  if (input.secret !== undefined) columns.secret = input.secret;
  if (input.enabled !== undefined) columns.enabled = input.enabled;
  return columns;
}

/** /environments/{api_key}/webhooks/: the environment's webhooks (list, create, update, delete). */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly uow: UnitOfWork,
  ) {}

  list(environment: Environment): Promise<EnvironmentWebhook[]> {
    return this.webhooks.list(environment.id);
  }

  create(environment: Environment, input: WebhookInput): Promise<EnvironmentWebhook> {
    return this.uow.run(
      (tx) =>
        this.webhooks.insert(tx.manager, environment.id, {
          url: input.url,
          secret: input.secret ?? '',
          enabled: input.enabled ?? true,
        }),
      UNAUDITED,
    );
  }

  /** PUT or PATCH: writes the fields sent. Another environment's webhook is a 404. */
  update(environment: Environment, id: number, input: Partial<WebhookInput>): Promise<EnvironmentWebhook> {
    return this.uow.run(async (tx) => {
      const saved = await this.webhooks.update(tx.manager, environment.id, id, columnsOf(input));
      if (!saved) throw new NotFound();
      return saved;
    }, UNAUDITED);
  }

  async delete(environment: Environment, id: number): Promise<void> {
    await this.uow.run(async (tx) => {
      if (!(await this.webhooks.delete(tx.manager, environment.id, id))) throw new NotFound();
    }, UNAUDITED);
  }
}
