import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { BadRequest, NotFound, ValidationFailed } from '../common/domain-errors';
import { UnitOfWork } from '../common/unit-of-work';
import type { FeatureHealthEvent, FeatureHealthProvider } from '../features/feature-health.entity';
import type { Project } from '../projects/project.entity';
import type { CreateProviderInput } from './feature-health.schemas';
import { FeatureHealthRepository, type NewEvent, type ProviderRow } from './feature-health.repository';
import { reportedEvents } from './provider-payloads';

/** A webhook token: 32 random bytes, base64url (43 characters). */
export function newWebhookToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Flagsmith's audit line of a new event (FeatureHealthEvent.get_create_log_message). */
function eventLog(event: NewEvent, featureName: string, environmentName: string | null): string {
  let log = environmentName
    ? `Health status changed to ${event.type} for feature ${featureName} in environment ${environmentName}.`
    : `Health status changed to ${event.type} for feature ${featureName}.`;
  if (event.providerName) log += `\n\nProvided by ${event.providerName}`;
  if (event.reason) log += `\n\nReason:\n${event.reason}`;
  return log;
}

/** Who dismissed an event, in Flagsmith's "Manually dismissed by …" (a user's email, a key's name). */
function principalName(principal: Principal): string {
  return principal.kind === 'user' ? principal.user.email : principal.key.name;
}

/**
 * Feature health (Flagsmith's features/feature_health): providers per project, each with a webhook URL; the
 * events the providers post mark a feature (optionally in one environment) unhealthy or healthy. Health is read
 * from the events list, as the dashboard does; it is not part of flag evaluation, so no change event is announced.
 */
@Injectable()
export class FeatureHealthService {
  constructor(
    private readonly health: FeatureHealthRepository,
    private readonly uow: UnitOfWork,
  ) {}

  providers(project: Project): Promise<ProviderRow[]> {
    return this.health.providers(project.id);
  }

  /** One provider per name and project: a second is a 400, as the (name, project) unique set says. */
  createProvider(principal: Principal, project: Project, input: CreateProviderInput): Promise<ProviderRow> {
    return this.uow.run(async (tx) => {
      const created = await this.health.insertProvider(tx.manager, {
        projectId: project.id,
        name: input.name,
        createdById: principal.kind === 'user' ? principal.user.id : null,
        webhookToken: newWebhookToken(),
      });
      if (!created)
        throw new ValidationFailed({
          non_field_errors: ['The fields name, project must make a unique set.'],
        });
      tx.audit({
        log: `Health provider ${created.name} set up for project ${project.name}.`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE_HEALTH',
        relatedObjectId: created.id,
        relatedObjectUuid: created.uuid,
        after: { name: created.name, project: project.id },
      });
      return this.health.provider(tx.manager, created.id);
    });
  }

  /** Deletes the project's provider of that name (any case); its events stay, as in Flagsmith. */
  deleteProvider(principal: Principal, project: Project, name: string): Promise<void> {
    return this.uow.run(async (tx) => {
      const provider = await this.health.lockByName(tx.manager, project.id, name);
      if (!provider) throw new NotFound();
      await this.health.deleteProvider(tx.manager, provider.id);
      tx.audit({
        log: `Health provider ${provider.name} removed from project ${project.name}.`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'FEATURE_HEALTH',
        relatedObjectId: provider.id,
        relatedObjectUuid: provider.uuid,
        before: { name: provider.name, project: project.id },
      });
    });
  }

  /** The provider a webhook path token belongs to; an unknown token is not found. */
  async providerForToken(token: string): Promise<FeatureHealthProvider> {
    const provider = token.length <= 100 ? await this.health.byToken(token) : null;
    if (!provider) throw new NotFound();
    return provider;
  }

  /**
   * Stores the events of a provider's payload. Features are looked up by name in the provider's project (unknown
   * ones are skipped), environments by name (an unknown one makes the event project-wide, as in Flagsmith). A
   * payload not in the provider's format is a 400 (field errors), one naming no feature of the project a 400 too:
   * nothing is written either way.
   */
  async receive(provider: FeatureHealthProvider, payload: unknown): Promise<FeatureHealthEvent[]> {
    const reported = reportedEvents(provider.name, payload);
    return this.uow.run(async (tx) => {
      const features = await this.health.featureIdsByName(
        tx.manager,
        provider.projectId,
        reported.map((e) => e.featureName),
      );
      const environments = await this.health.environmentIdsByName(
        tx.manager,
        provider.projectId,
        reported.flatMap((e) => (e.environmentName ? [e.environmentName] : [])),
      );
      const events: NewEvent[] = [];
      for (const e of reported) {
        const featureId = features.get(e.featureName);
        if (featureId === undefined) continue;
        const environmentId = (e.environmentName && environments.get(e.environmentName)) || null;
        const event: NewEvent = {
          featureId,
          environmentId,
          type: e.type,
          providerName: e.providerName,
          reason: e.reason ? JSON.stringify(e.reason) : null,
          externalId: e.externalId,
          ...(e.createdAt ? { createdAt: e.createdAt } : {}),
        };
        events.push(event);
        tx.audit({
          log: eventLog(event, e.featureName, environmentId ? e.environmentName : null),
          projectId: provider.projectId,
          environmentId,
          relatedObjectType: 'FEATURE_HEALTH',
          relatedObjectId: featureId,
        });
      }
      if (events.length === 0)
        throw new BadRequest('No health event was recorded: the payload names no feature of this project.');
      return this.health.insertEvents(tx.manager, events);
    });
  }

  events(project: Project): Promise<FeatureHealthEvent[]> {
    return this.health.latestEvents(project.id);
  }

  /**
   * Dismisses one of the latest events of the project: an UNHEALTHY one gets a HEALTHY successor (same feature,
   * environment, provider and external id) saying who dismissed it; any other is left alone, as in Flagsmith.
   */
  async dismiss(principal: Principal, project: Project, eventId: number): Promise<void> {
    const event = (await this.health.latestEvents(project.id)).find((e) => e.id === eventId);
    if (!event) throw new NotFound();
    if (event.type !== 'UNHEALTHY') return;
    await this.uow.run(async (tx) => {
      const reason = {
        text_blocks: [{ text: `Manually dismissed by ${principalName(principal)}` }],
        url_blocks: [],
      };
      const dismissal: NewEvent = {
        featureId: event.featureId,
        environmentId: event.environmentId,
        type: 'HEALTHY',
        providerName: event.providerName,
        reason: JSON.stringify(reason),
        externalId: event.externalId,
      };
      const names = await this.health.names(tx.manager, event.featureId, event.environmentId);
      await this.health.insertEvents(tx.manager, [dismissal]);
      tx.audit({
        log: eventLog(dismissal, names.feature, names.environment),
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        environmentId: event.environmentId,
        relatedObjectType: 'FEATURE_HEALTH',
        relatedObjectId: event.featureId,
      });
    });
  }
}
