import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Environment } from '../environments/environment.entity';
import { Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { EnvironmentSnapshots } from './environment-snapshots';

/**
 * docs/contracts/admin-api.md §5 P1: the dashboard's view of an environment document, the same bytes the SDK endpoint serves
 * (`GET /api/v1/environment-document/`), authorised by a user token instead of a server key.
 */
@Controller('api/v1/environments')
export class EnvironmentDocumentController {
  constructor(private readonly snapshots: EnvironmentSnapshots) {}

  @Get(':apiKey/document')
  @RequirePermission('environment', 'VIEW_ENVIRONMENT', { param: 'apiKey' })
  async document(
    @Permitted('environment') environment: Environment,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const resolved = await this.snapshots.get(environment.apiKey);
    if (!resolved) {
      // Deleted between the permission check and now.
      await reply.code(404).send({ detail: 'Not found.' });
      return;
    }
    const body = resolved.snapshot.documentBody;
    await reply.code(200).headers(body.headers).send(body.body);
  }
}
