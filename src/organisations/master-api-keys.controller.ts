import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { RefuseMasterApiKeys } from '../auth/auth.guard';
import { paginateArray } from '../common/pagination';
import { Permitted, RequirePermission } from '../permissions/permissions.decorators';
import { readMasterApiKey, readNewMasterApiKey } from './master-api-key.input';
import { MasterApiKeysService } from './master-api-keys.service';
import { OrgErrorsInterceptor } from './organisation-errors';
import { Organisation } from './organisation.entity';
import { masterApiKeyJson } from './organisation.serializers';

/** docs/contracts/admin-api.md §3: master API keys of an organisation (never usable to manage master API keys). */
@Controller('api/v1/organisations/:id/master-api-keys')
@UseInterceptors(OrgErrorsInterceptor)
@RefuseMasterApiKeys()
export class MasterApiKeysController {
  constructor(private readonly keys: MasterApiKeysService) {}

  @Get()
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async list(@Permitted('organisation') org: Organisation, @Req() request: FastifyRequest) {
    return paginateArray(
      request,
      (await this.keys.list(org.id)).map((k) => masterApiKeyJson(k)),
    );
  }

  @Post()
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async create(@Permitted('organisation') org: Organisation, @Body() body: unknown) {
    const { key, plaintext } = await this.keys.create(org.id, readNewMasterApiKey(body));
    return masterApiKeyJson(key, plaintext);
  }

  @Get(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async retrieve(@Permitted('organisation') org: Organisation, @Param('prefix') prefix: string) {
    return masterApiKeyJson(await this.keys.get(org.id, prefix));
  }

  @Put(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async replace(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
    @Body() body: unknown,
  ) {
    const key = await this.keys.get(org.id, prefix);
    return masterApiKeyJson(await this.keys.update(key, readMasterApiKey(body, false)));
  }

  @Patch(':prefix')
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async patch(
    @Permitted('organisation') org: Organisation,
    @Param('prefix') prefix: string,
    @Body() body: unknown,
  ) {
    const key = await this.keys.get(org.id, prefix);
    return masterApiKeyJson(await this.keys.update(key, readMasterApiKey(body, true)));
  }

  @Delete(':prefix')
  @HttpCode(204)
  @RequirePermission('organisation', 'ADMIN', { param: 'id' })
  async revoke(@Permitted('organisation') org: Organisation, @Param('prefix') prefix: string) {
    await this.keys.revoke(await this.keys.get(org.id, prefix));
  }
}
