import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Principal } from '../../auth/principal';
import { type Page, pageOf, pageRequest } from '../../common/pagination';
import type { Environment } from '../../environments/environment.entity';
import { DetailJson, IdParam, PageQuery, Responds, ValidBody, ValidQuery } from '../../http/schema';
import type { Static } from '../../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequireEnvironmentPermission,
  RequirePermission,
} from '../../permissions/permissions.decorators';
import type { Project } from '../../projects/project.entity';
import { FeatureExport, FeatureImport } from './feature-transfer.entity';
import {
  CreateFeatureExport,
  type CreateFeatureExportInput,
  ExportFileJson,
  FeatureExportJson,
  FeatureExportPage,
  FeatureImportJson,
  FeatureImportPage,
  FeatureImportUpload,
  type FeatureImportUploadInput,
} from './import-export.schemas';
import { ImportExportService } from './import-export.service';

/** Flagsmith's FeatureExportSerializer: the name is "<environment> | <YYYY-MM-DD HH:MM> UTC". */
export function featureExportJson(e: FeatureExport, environmentName: string): FeatureExportJson {
  const minute = e.createdAt.toISOString().slice(0, 16).replace('T', ' ');
  return {
    id: e.id,
    name: `${environmentName} | ${minute} UTC`,
    environment_id: e.environmentId,
    status: e.status,
    created_at: e.createdAt.toISOString(),
  };
}

export function featureImportJson(i: FeatureImport): FeatureImportJson {
  return {
    id: i.id,
    environment_id: i.environmentId,
    strategy: i.strategy,
    status: i.status,
    created_at: i.createdAt.toISOString(),
  };
}

/** The file as a download: the stored JSON text, named as Flagsmith names it. */
function sendFile(reply: FastifyReply, filename: string, data: string): string {
  void reply
    .header('content-type', 'application/json')
    .header('content-disposition', `attachment; filename=${filename}`);
  return data;
}

/**
 * Flagsmith's feature import/export routes (features/urls.py, projects/urls.py). Flagsmith answers an export or
 * import PROCESSING and finishes it in a task; here the work is done when the answer is sent, and the answer gives
 * the stored final status.
 */
@Controller('api/v1')
export class ImportExportController {
  constructor(private readonly service: ImportExportService) {}

  @Post('features/create-feature-export')
  @RequireEnvironmentPermission('ADMIN', { body: 'environment_id', by: 'id' })
  @Responds(201, FeatureExportJson, 'The export, done (status SUCCESS)')
  async createExport(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
    @ValidBody(CreateFeatureExport) body: CreateFeatureExportInput,
  ): Promise<FeatureExportJson> {
    const saved = await this.service.createExport(principal, environment, body.tag_ids);
    return featureExportJson(saved, environment.name);
  }

  @Get('features/download-feature-export/:id')
  @Authenticated()
  @Responds(200, ExportFileJson, 'The export file (Content-Disposition: attachment)')
  @Responds(400, DetailJson, 'The export did not succeed')
  @Responds(403, DetailJson, "Not an ADMIN of the export's environment")
  async download(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const featureExport = await this.service.download(principal, id);
    return sendFile(reply, `feature_export.${featureExport.id}.json`, featureExport.data!);
  }

  @Get('features/download-flagsmith-on-flagsmith')
  @Responds(200, ExportFileJson, 'The newest Flagsmith-on-Flagsmith export file')
  @Responds(404, DetailJson, 'Not configured, or no export yet')
  async flagsmithOnFlagsmith(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const file = await this.service.flagsmithOnFlagsmith();
    return sendFile(reply, `flagsmith_on_flagsmith.${file.id}.json`, file.data);
  }

  @Post('features/feature-import/:environment_id')
  @RequireEnvironmentPermission('MEMBER', { param: 'environment_id', by: 'id' })
  @Responds(201, FeatureImportJson, 'The import, done (status SUCCESS, or FAILED when a rule refused it)')
  @Responds(403, DetailJson, 'Not an ADMIN of the organisation')
  async importFile(
    @CurrentPrincipal() principal: Principal,
    @Permitted('environment') environment: Environment,
    @ValidBody(FeatureImportUpload, { mediaType: 'multipart/form-data' }) body: FeatureImportUploadInput,
  ): Promise<FeatureImportJson> {
    return featureImportJson(await this.service.importFile(principal, environment, body.file, body.strategy));
  }

  @Get('projects/:project_pk/feature-exports')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, FeatureExportPage, 'Exports of the environments the caller administers, newest first')
  async exports(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @ValidQuery(PageQuery) query: Static<typeof PageQuery>,
  ): Promise<Page<FeatureExportJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.service.pageExports(principal, project, page);
    return pageOf(
      request,
      page,
      count,
      rows.map((e) => featureExportJson(e, e.environment.name)),
    );
  }

  @Get('projects/:project_pk/feature-imports')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, FeatureImportPage, 'Imports into the environments the caller administers, newest first')
  async imports(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Permitted('project') project: Project,
    @ValidQuery(PageQuery) query: Static<typeof PageQuery>,
  ): Promise<Page<FeatureImportJson>> {
    const page = pageRequest(query);
    const { count, rows } = await this.service.pageImports(principal, project, page);
    return pageOf(request, page, count, rows.map(featureImportJson));
  }
}
