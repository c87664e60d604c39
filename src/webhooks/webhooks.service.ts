import { Injectable } from '@nestjs/common';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import type { Environment } from '../environments/environment.entity';
import { AddressGuard, INTERNAL_ADDRESS_MESSAGE } from '../outbound/address-guard';
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
    private readonly guard: AddressGuard,
  ) {}

  /** A literal internal address is refused at save time (a name is checked at each delivery). */
  private checkUrl(url: string | undefined): void {
    if (url !== undefined && this.guard.refusesLiteral(url))
      throw ValidationFailed.field('url', INTERNAL_ADDRESS_MESSAGE);
  }

  list(environment: Environment): Promise<EnvironmentWebhook[]> {
    return this.webhooks.list(environment.id);
  }

  create(environment: Environment, input: WebhookInput): Promise<EnvironmentWebhook> {
    this.checkUrl(input.url);
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
    this.checkUrl(input.url);
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
