import { Controller, Delete, Get, Patch, Post, Put } from '@nestjs/common';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import type { Principal } from '../auth/principal';
import { Environment } from '../environments/environment.entity';
import { DetailJson, IdParam, Responds, S, ValidBody } from '../http/schema';
import { Organisation } from '../organisations/organisation.entity';
import type { WebhookDelivery } from './webhook.entity';
import {
  OrganisationWebhookJson,
  TestWebhookErrorJson,
  TestWebhookInput,
  TestWebhookSuccessJson,
  WebhookDeliveryJson,
  WebhookInput,
  WebhookJson,
} from './webhook.schemas';
import type { AnyWebhook } from './webhooks.repository';
import { WebhookOwner, WebhooksService } from './webhooks.service';

const ENV = { param: 'environment_api_key' } as const;
const ORG = { param: 'organisation_pk' } as const;
const NO_ENVIRONMENT = 'No such environment (or not visible to the caller)';
const NO_ORGANISATION = 'No such organisation (or not visible to the caller)';

export function webhookJson(w: AnyWebhook): WebhookJson {
  return {
    id: w.id,
    url: w.url,
    enabled: w.enabled,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
    secret: w.secret,
  };
}

export function deliveryJson(d: WebhookDelivery): WebhookDeliveryJson {
  return {
    id: Number(d.id),
    event_type: d.eventType,
    state: d.state,
    attempts: d.attempts,
    status_code: d.statusCode,
    error: d.error,
    created_at: d.createdAt.toISOString(),
    last_attempt_at: d.lastAttemptAt.toISOString(),
  };
}

const ofEnvironment = (e: Environment): WebhookOwner => ({ scope: 'environment', id: e.id });
const ofOrganisation = (o: Organisation): WebhookOwner => ({ scope: 'organisation', id: o.id });

/**
 * Flagsmith's WebhookViewSet: list (VIEW_ENVIRONMENT), create, update and delete (environment admin); no
 * retrieve, no pagination. Plus flagport's delivery history (VIEW_ENVIRONMENT).
 */
@Controller('api/v1/environments/:environment_api_key/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(200, S.list(WebhookJson), "The environment's webhooks")
  async list(@Permitted('environment') environment: Environment): Promise<WebhookJson[]> {
    return (await this.webhooks.list(ofEnvironment(environment))).map(webhookJson);
  }

  @Post()
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(201, WebhookJson, 'The webhook')
  async create(
    @Permitted('environment') environment: Environment,
    @ValidBody(WebhookInput) body: WebhookInput,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.create(ofEnvironment(environment), body));
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
    return webhookJson(await this.webhooks.update(ofEnvironment(environment), id, body));
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
    return webhookJson(await this.webhooks.update(ofEnvironment(environment), id, body));
  }

  @Delete(':id')
  @RequirePermission('environment', 'ADMIN', ENV)
  @Responds(404, DetailJson, NO_ENVIRONMENT)
  @Responds(204, null, 'Deleted')
  async delete(@Permitted('environment') environment: Environment, @IdParam('id') id: number): Promise<void> {
    await this.webhooks.delete(ofEnvironment(environment), id);
  }

  @Get(':id/deliveries')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', ENV)
  @Responds(404, DetailJson, 'No such environment or webhook')
  @Responds(200, S.list(WebhookDeliveryJson), "The webhook's last deliveries (at most 100), newest first")
  async deliveries(
    @Permitted('environment') environment: Environment,
    @IdParam('id') id: number,
  ): Promise<WebhookDeliveryJson[]> {
    return (await this.webhooks.deliveries(ofEnvironment(environment), id)).map(deliveryJson);
  }
}

/**
 * Flagsmith's OrganisationWebhookViewSet (a ModelViewSet: list, retrieve, create, update, delete), organisation
 * admins only (NestedOrganisationEntityPermission); no pagination. Plus flagport's delivery history.
 */
@Controller('api/v1/organisations/:organisation_pk/webhooks')
export class OrganisationWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, NO_ORGANISATION)
  @Responds(200, S.list(OrganisationWebhookJson), "The organisation's webhooks")
  async list(@Permitted('organisation') organisation: Organisation): Promise<WebhookJson[]> {
    return (await this.webhooks.list(ofOrganisation(organisation))).map(webhookJson);
  }

  @Get(':id')
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, 'No such organisation or webhook')
  @Responds(200, OrganisationWebhookJson, 'The webhook')
  async one(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.one(ofOrganisation(organisation), id));
  }

  @Post()
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, NO_ORGANISATION)
  @Responds(201, OrganisationWebhookJson, 'The webhook')
  async create(
    @Permitted('organisation') organisation: Organisation,
    @ValidBody(WebhookInput) body: WebhookInput,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.create(ofOrganisation(organisation), body));
  }

  @Put(':id')
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, 'No such organisation or webhook')
  @Responds(200, OrganisationWebhookJson, 'The webhook')
  async replace(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
    @ValidBody(WebhookInput) body: WebhookInput,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.update(ofOrganisation(organisation), id, body));
  }

  @Patch(':id')
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, 'No such organisation or webhook')
  @Responds(200, OrganisationWebhookJson, 'The webhook')
  async patch(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
    @ValidBody(WebhookInput, { partial: true }) body: Partial<WebhookInput>,
  ): Promise<WebhookJson> {
    return webhookJson(await this.webhooks.update(ofOrganisation(organisation), id, body));
  }

  @Delete(':id')
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, 'No such organisation or webhook')
  @Responds(204, null, 'Deleted')
  async delete(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.webhooks.delete(ofOrganisation(organisation), id);
  }

  @Get(':id/deliveries')
  @RequirePermission('organisation', 'ADMIN', ORG)
  @Responds(404, DetailJson, 'No such organisation or webhook')
  @Responds(200, S.list(WebhookDeliveryJson), "The webhook's last deliveries (at most 100), newest first")
  async deliveries(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
  ): Promise<WebhookDeliveryJson[]> {
    return (await this.webhooks.deliveries(ofOrganisation(organisation), id)).map(deliveryJson);
  }
}

/** Flagsmith's webhooks WebhookViewSet.test: the sample payload to a URL, before it is saved anywhere. */
@Controller('api/v1/webhooks')
export class TestWebhookController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('test')
  @Authenticated()
  @Responds(200, TestWebhookSuccessJson, 'The receiver answered with a status below 400')
  @Responds(400, TestWebhookErrorJson, 'The receiver answered 400 or more, or could not be reached')
  @Responds(403, DetailJson, "The caller does not administer the scope's environment or organisation")
  @Responds(404, DetailJson, 'No such environment or organisation (or not visible to the caller)')
  test(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(TestWebhookInput) body: TestWebhookInput,
  ): Promise<{ detail: string; status: number }> {
    return this.webhooks.test(principal, body);
  }
}
