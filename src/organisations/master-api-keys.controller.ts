import { Controller, Delete, Get, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { RefuseMasterApiKeys } from '../auth/auth.guard';
import { paginateArray } from '../common/pagination';
import { PageQuery, Responds, S, ValidBody, ValidQuery } from '../http/schema';
import { Permitted, RequirePermission } from '../permissions/permissions.decorators';
import {
  CreateMasterApiKey,
  type CreateMasterApiKeyInput,
  MasterApiKeyJson,
  UpdateMasterApiKey,
  type UpdateMasterApiKeyInput,
} from './master-api-key.schemas';
import { MasterApiKeysService } from './master-api-keys.service';
import { Organisation } from './organisation.entity';
import { masterApiKeyJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: master API keys of an organisation (never usable to manage master API keys). */
@Controller('api/v1/organisations/:id/master-api-keys')
@RefuseMasterApiKeys()
export class MasterApiKeysController {
  constructor(private readonly keys: MasterApiKeysService) {}

  @Get()
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, S.page(MasterApiKeyJson), 'A page of live keys')
  async list(
    @Permitted('organisation') org: Organisation,
    @Req() request: FastifyRequest,
    @ValidQuery(PageQuery) _page: unknown,
  ) {
    return paginateArray(
      request,
      (await this.keys.list(org.id)).map((k) => masterApiKeyJson(k)),
    );
  }

  @Post()
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(201, MasterApiKeyJson, 'The key, with its plaintext `key` this once')
  async create(
    @Permitted('organisation') org: Organisation,
    @ValidBody(CreateMasterApiKey) body: CreateMasterApiKeyInput,
  ): Promise<MasterApiKeyJson> {
    const { key, plaintext } = await this.keys.create(org.id, body);
    return masterApiKeyJson(key, plaintext);
  }

  @Get(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, MasterApiKeyJson, 'The key')
  async retrieve(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
  ): Promise<MasterApiKeyJson> {
    return masterApiKeyJson(await this.keys.get(org.id, prefix));
  }

  @Put(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, MasterApiKeyJson, 'The key')
  async replace(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
    @ValidBody(UpdateMasterApiKey) body: UpdateMasterApiKeyInput,
  ): Promise<MasterApiKeyJson> {
    const key = await this.keys.get(org.id, prefix);
    return masterApiKeyJson(await this.keys.update(key, body));
  }

  @Patch(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(200, MasterApiKeyJson, 'The key')
  async patch(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
    @ValidBody(UpdateMasterApiKey, { partial: true }) body: Partial<UpdateMasterApiKeyInput>,
  ): Promise<MasterApiKeyJson> {
    const key = await this.keys.get(org.id, prefix);
    return masterApiKeyJson(await this.keys.update(key, body));
  }

  @Delete(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  @Responds(204, null, 'Revoked')
  async revoke(@Permitted('organisation') org: Organisation, @Param('prefix') prefix: string) {
    await this.keys.revoke(await this.keys.get(org.id, prefix));
  }
}
