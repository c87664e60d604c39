import { Controller, Delete, Get, Patch, Post, Put } from '@nestjs/common';
import { Environment } from '../environments/environment.entity';
import { DetailJson, IdParam, Responds, S, ValidBody } from '../http/schema';
import { Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { EnvironmentWebhook } from './webhook.entity';
import { WebhookInput, WebhookJson } from './webhook.schemas';
import { WebhooksService } from './webhooks.service';

const ENV = { param: 'environment_api_key' } as const;
const NO_ENVIRONMENT = 'No such environment (or not visible to the caller)';

export function webhookJson(w: EnvironmentWebhook): WebhookJson {
  return {
    id: w.id,
    url: w.url,
    enabled: w.enabled,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
    secret: w.secret,
  };
}

/**
 * Flagsmith's WebhookViewSet: list (VIEW_ENVIRONMENT), create, update and delete (environment admin); no
 * retrieve, no pagination.
 */
@Controller('api/v1/environments/:environment_api_key/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, S.list(WebhookJson), "The environment's webhooks")
  async list(@Permitted('environment') environment: Environment): Promise<WebhookJson[]> {
    return (await this.webhooks.list(environment)).map(webhookJson);
  }

  @Post()
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(201, WebhookJson, 'The webhook')
  async create(
    @Permitted('environment') environment: Environment,
    @ValidBody(WebhookInput) body: WebhookInput,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.create(environment, body));
  }

  @Put(':id')
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, WebhookJson, 'The webhook')
  async replace(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
    @ValidBody(WebhookInput) body: WebhookInput,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.update(environment, id, body));
  }

  @Patch(':id')
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, WebhookJson, 'The webhook')
  async patch(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
    @ValidBody(WebhookInput, { partial: true }) body: Partial<WebhookInput>,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.update(environment, id, body));
  }

  @Delete(':id')
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(204, null, 'Deleted')
  async delete(@Permitted('environment') environment: Environment, @IdParam('id') id: number): Promise<void> {
    await this.webhooks.delete(environment, id);
  }
}
