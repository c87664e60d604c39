import {
  CanActivate,
  Controller,
  createParamDecorator,
  Delete,
  ExecutionContext,
  Get,
  Injectable,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import type { FeatureHealthEvent, FeatureHealthProvider } from '../features/feature-health.entity';
import { IdParam, Responds, S, ValidBody } from '../http/schema';
import { CurrentPrincipal, Permitted, RequirePermission } from '../permissions/permissions.decorators';
import type { Project } from '../projects/project.entity';
import type { ProviderRow } from './feature-health.repository';
import {
  CreateProvider,
  type CreateProviderInput,
  EventJson,
  ProviderJson,
  ProviderPayload,
} from './feature-health.schemas';
import { FeatureHealthService } from './feature-health.service';

/** The webhook path of a provider: `/api/v1/feature-health/{token}` (the token is the only secret). */
const WEBHOOK_PATH = '/api/v1/feature-health/';

/** The absolute webhook URL, on the host and scheme the request came in on (Flagsmith's build_absolute_uri). */
function webhookUrl(request: FastifyRequest, token: string): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}${WEBHOOK_PATH}${token}`;
}

function providerJson(request: FastifyRequest, p: ProviderRow): ProviderJson {
  return {
    created_by: p.createdByEmail,
    name: p.name,
    project: p.projectId,
    webhook_url: webhookUrl(request, p.webhookToken),
  };
}

function eventJson(e: FeatureHealthEvent): EventJson {
  return {
    id: e.id,
    created_at: e.createdAt.toISOString(),
    environment: e.environmentId,
    feature: e.featureId,
    provider_name: e.providerName,
    reason: e.reason ? (JSON.parse(e.reason) as EventJson['reason']) : null,
    type: e.type,
  };
}

/** Flagsmith's FeatureHealthProviderViewSet: list with VIEW_PROJECT, create and delete as project admin. */
@Controller('api/v1/projects/:project_pk/feature-health/providers')
export class FeatureHealthProvidersController {
  constructor(private readonly health: FeatureHealthService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, S.list(ProviderJson), "The project's health providers")
  async list(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
  ): Promise<ProviderJson[]> {
    return (await this.health.providers(project)).map((p) => providerJson(request, p));
  }

  @Post()
  @RequirePermission('project', 'ADMIN', { param: 'project_pk' })
  @Responds(201, ProviderJson, 'The provider, with its webhook URL')
  async create(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @ValidBody(CreateProvider) body: CreateProviderInput,
  ): Promise<ProviderJson> {
    return providerJson(request, await this.health.createProvider(principal, project, body));
  }

  @Delete(':name')
  @RequirePermission('project', 'ADMIN', { param: 'project_pk' })
  @Responds(204, null, 'Deleted')
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @Param('name') name: string,
  ): Promise<void> {
    await this.health.deleteProvider(principal, project, name);
  }
}

/** Flagsmith's FeatureHealthEventViewSet: the latest events with VIEW_PROJECT, dismiss with EDIT_FEATURE. */
@Controller('api/v1/projects/:project_pk/feature-health/events')
export class FeatureHealthEventsController {
  constructor(private readonly health: FeatureHealthService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, S.list(EventJson), 'The latest event per provider, environment, external id and feature')
  async list(@Permitted('project') project: Project): Promise<EventJson[]> {
    return (await this.health.events(project)).map(eventJson);
  }

  @Post(':id/dismiss')
  @RequirePermission('project', 'EDIT_FEATURE', { param: 'project_pk' })
  @Responds(204, null, 'Dismissed (an UNHEALTHY event gets a HEALTHY successor)')
  async dismiss(
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.health.dismiss(principal, project, id);
  }
}

interface WebhookRequest extends FastifyRequest {
  featureHealthProvider?: FeatureHealthProvider;
}

/** Resolves the provider from the path token before the body is read: an unknown token is a 404 whatever is sent. */
@Injectable()
export class WebhookTokenGuard implements CanActivate {
  constructor(private readonly health: FeatureHealthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    const token = (request.params as Record<string, string | undefined>).token ?? '';
    request.featureHealthProvider = await this.health.providerForToken(token);
    return true;
  }
}

const WebhookProvider = createParamDecorator(
  (_data: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<WebhookRequest>().featureHealthProvider,
);

/** Flagsmith's feature_health_webhook: no authentication, the path's token names the provider. */
@Controller('api/v1/feature-health')
export class FeatureHealthWebhookController {
  constructor(private readonly health: FeatureHealthService) {}

  @Post(':token')
  @UseGuards(WebhookTokenGuard)
  @Responds(200, null, 'Events recorded')
  async receive(
    @WebhookProvider() provider: FeatureHealthProvider,
    @ValidBody(ProviderPayload) payload: unknown,
  ): Promise<void> {
    await this.health.receive(provider, payload);
  }
}
