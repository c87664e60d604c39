import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound, PermissionDenied, ValidationFailed } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config';
import { UnitOfWork } from '../common/unit-of-work';
import { AddressGuard, INTERNAL_ADDRESS_MESSAGE } from '../outbound/address-guard';
import { PermissionsService } from '../permissions/permissions.service';
import { environmentSample, organisationSample } from './sample-payloads';
import { RefusedDeliveryError, sendSignedJson, sortedJson } from './signed-post';
import { TestWebhookFailed } from './test-webhook-failed';
import type { WebhookDelivery, WebhookScope } from './webhook.entity';
import type { TestWebhookInput, WebhookInput } from './webhook.schemas';
import { AnyWebhook, WebhookColumns, WebhooksRepository } from './webhooks.repository';

/** Flagsmith records no audit log entry for webhook configuration. */
const UNAUDITED = { unaudited: 'Flagsmith does not audit webhook configuration' };

/** Whose webhooks: an environment's or an organisation's (its id). */
export interface WebhookOwner {
  readonly scope: WebhookScope;
  readonly id: number;
}

function columnsOf(input: Partial<WebhookInput>): WebhookColumns {
  const columns: WebhookColumns = {};
  if (input.url !== undefined) columns.url = input.url;
  if (input.secret !== undefined) columns.secret = input.secret;
  if (input.enabled !== undefined) columns.enabled = input.enabled;
  return columns;
}

/**
 * Webhooks of an environment (/environments/{api_key}/webhooks/) or an organisation (/organisations/{id}/webhooks/):
 * list, create, update, delete, and their delivery history; and the test call (/webhooks/test/).
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly uow: UnitOfWork,
    private readonly guard: AddressGuard,
    private readonly permissions: PermissionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A literal internal address is refused at save time (a name is checked at each delivery). */
  private checkUrl(field: string, url: string | undefined): void {
    if (url !== undefined && this.guard.refusesLiteral(url))
      throw ValidationFailed.field(field, INTERNAL_ADDRESS_MESSAGE);
  }

  list(owner: WebhookOwner): Promise<AnyWebhook[]> {
    return this.webhooks.list(owner.scope, owner.id);
  }

  async one(owner: WebhookOwner, id: number): Promise<AnyWebhook> {
    const webhook = await this.webhooks.findOwned(owner.scope, owner.id, id);
    if (!webhook) throw new NotFound();
    return webhook;
  }

  create(owner: WebhookOwner, input: WebhookInput): Promise<AnyWebhook> {
    this.checkUrl('url', input.url);
    return this.uow.run(
      (tx) =>
        this.webhooks.insert(tx.manager, owner.scope, owner.id, {
          url: input.url,
          secret: input.secret ?? '',
          enabled: input.enabled ?? true,
        }),
      UNAUDITED,
    );
  }

  /** PUT or PATCH: writes the fields sent. Another owner's webhook is a 404. */
  update(owner: WebhookOwner, id: number, input: Partial<WebhookInput>): Promise<AnyWebhook> {
    this.checkUrl('url', input.url);
    return this.uow.run(async (tx) => {
      const saved = await this.webhooks.update(tx.manager, owner.scope, owner.id, id, columnsOf(input));
      if (!saved) throw new NotFound();
      return saved;
    }, UNAUDITED);
  }

  async delete(owner: WebhookOwner, id: number): Promise<void> {
    await this.uow.run(async (tx) => {
      if (!(await this.webhooks.delete(tx.manager, owner.scope, owner.id, id))) throw new NotFound();
    }, UNAUDITED);
  }

  /** The webhook's kept deliveries, newest first (another owner's webhook: 404). */
  async deliveries(owner: WebhookOwner, id: number): Promise<WebhookDelivery[]> {
    await this.one(owner, id);
    return this.webhooks.deliveries(owner.scope, id);
  }

  /**
   * POST /webhooks/test/ (Flagsmith's WebhookViewSet.test): the sample payload of the scope, signed with the secret
   * given, to the URL given, through the address guard. The caller must administer the scope's environment (by API
   * key) or organisation (by id); no scope id is a 403. The receiver's status decides the answer: below 400 a
   * success, else a 400 naming it; no answer is a 400 too.
   */
  async test(principal: Principal, input: TestWebhookInput): Promise<{ detail: string; status: number }> {
    const { type, id } = input.scope;
    if (id === undefined || id === '') throw new PermissionDenied();
    if (type === 'environment') await this.permissions.requireEnvironment(principal, id, 'ADMIN', 'api_key');
    else await this.permissions.requireOrganisation(principal, id, 'ADMIN');
    this.checkUrl('webhook_url', input.webhook_url);
    const body = sortedJson(type === 'organisation' ? organisationSample() : environmentSample());
    let status: number;
    try {
      status = await sendSignedJson(this.guard, input.webhook_url, body, input.secret ?? '', {
        timeoutMs: this.config.WEBHOOK_DELIVERY_TIMEOUT_MS,
      });
    } catch (err) {
      // A name that resolves to a refused address: what Flagsmith's URL check answers for it.
      if (err instanceof RefusedDeliveryError)
        throw ValidationFailed.field('webhook_url', INTERNAL_ADDRESS_MESSAGE);
      throw new TestWebhookFailed({
        detail: 'Could not connect to webhook URL',
        body: 'Please check the URL, and ensure it is valid and accessible from the server.',
      });
    }
    if (status >= 400)
      throw new TestWebhookFailed({
        detail: 'Webhook returned error status',
        body: `Webhook returned HTTP ${status}.`,
        status,
      });
    return { detail: 'Webhook test successful', status };
  }
}
