import { applyDecorators, Controller, Delete, Get, Patch, Post, Put, Req } from '@nestjs/common';
import { type TSchema, Type } from '@sinclair/typebox';
import { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import { MAX_PAGE_SIZE, Page, pageOf, pageRequest, type PageRequest } from '../common/pagination';
import type { Organisation } from '../organisations/organisation.entity';
import { DetailJson, IdParam, Responds, ValidBody, ValidQuery } from '../http/schema';
import {
  Authenticated,
  CurrentPrincipal,
  Permitted,
  RequirePermission,
} from '../permissions/permissions.decorators';
import type { Project } from '../projects/project.entity';
import type { MetadataField } from './metadata.entity';
import {
  ContentTypeList,
  MessageJson,
  MetadataFieldInput,
  MetadataFieldJson,
  MetadataFieldListQuery,
  type MetadataFieldListQueryInput,
  MetadataFieldPage,
  MetadataModelFieldInput,
  MetadataModelFieldJson,
  MetadataModelFieldList,
  MetadataModelFieldListQuery,
  type MetadataModelFieldListQueryInput,
  ProjectMetadataFieldQuery,
  type ProjectMetadataFieldQueryInput,
  RequiredForModelsQuery,
  type RequiredForModelsQueryInput,
} from './metadata.schemas';
import { metadataFieldJson, metadataModelFieldJson } from './metadata.serializers';
import { MetadataService } from './metadata.service';

const NOT_MANAGER = 'Not an organisation admin (nor, for a project field, its project admin)';

/** Flagsmith's CustomPagination: 999 a page unless `page_size` says otherwise. */
function metadataPage(query: { page?: unknown; page_size?: unknown }): PageRequest {
  return pageRequest({ ...query, page_size: query.page_size ?? MAX_PAGE_SIZE });
}

/** Any member of the path's organisation reaches the model-field routes; the service checks who may write. */
const OrganisationMember = () => RequirePermission('organisation', 'MEMBER', { param: 'organisation_pk' });

/** A write answered with the written object, or 403 when the caller does not manage it. */
const Writes = (schema: TSchema, description: string, guard: () => MethodDecorator) =>
  applyDecorators(guard(), Responds(200, schema, description), Responds(403, DetailJson, NOT_MANAGER));

/** The fields with their model fields and requirements (two queries for all). */
async function fieldsJson(
  metadata: MetadataService,
  fields: readonly MetadataField[],
): Promise<MetadataFieldJson[]> {
  const modelFields = await metadata.modelFieldsOf(fields.map((f) => f.id));
  return fields.map((f) => metadataFieldJson(f, modelFields.get(f.id) ?? []));
}

/** One field with its model fields and requirements. */
async function fieldJson(
  metadata: MetadataService,
  field: Promise<MetadataField>,
): Promise<MetadataFieldJson> {
  return (await fieldsJson(metadata, [await field]))[0];
}

/** /api/v1/metadata/fields/ (Flagsmith's MetadataFieldViewSet). */
@Controller('api/v1/metadata/fields')
export class MetadataFieldsController {
  constructor(private readonly metadata: MetadataService) {}

  @Get()
  @Authenticated()
  @Responds(
    200,
    MetadataFieldPage,
    "A page of the organisation's organisation-level fields (none if not a member)",
  )
  async list(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(MetadataFieldListQuery) query: MetadataFieldListQueryInput,
  ): Promise<Page<MetadataFieldJson>> {
    const page = metadataPage(query);
    const { count, rows } = await this.metadata.organisationFields(principal, query.organisation, page);
    return pageOf(request, page, count, await fieldsJson(this.metadata, rows));
  }

  @Post()
  @Authenticated()
  @Responds(201, MetadataFieldJson, 'The field')
  @Responds(403, DetailJson, NOT_MANAGER)
  @Responds(404, DetailJson, 'The organisation is not visible to the caller')
  async create(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(MetadataFieldInput) body: MetadataFieldInput,
  ): Promise<MetadataFieldJson> {
    return fieldJson(this.metadata, this.metadata.createField(principal, body));
  }

  @Get(':id')
  @Authenticated()
  @Responds(200, MetadataFieldJson, 'The field')
  async retrieve(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
  ): Promise<MetadataFieldJson> {
    return fieldJson(this.metadata, this.metadata.field(principal, id));
  }

  @Put(':id')
  @Writes(MetadataFieldJson, 'The field', Authenticated)
  replace(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @ValidBody(MetadataFieldInput) body: MetadataFieldInput,
  ): Promise<MetadataFieldJson> {
    return fieldJson(this.metadata, this.metadata.updateField(principal, id, body, false));
  }

  @Patch(':id')
  @Writes(MetadataFieldJson, 'The field', Authenticated)
  patch(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @ValidBody(MetadataFieldInput, { partial: true }) body: Partial<MetadataFieldInput>,
  ): Promise<MetadataFieldJson> {
    return fieldJson(this.metadata, this.metadata.updateField(principal, id, body, true));
  }

  @Delete(':id')
  @Authenticated()
  @Responds(204, null, 'Deleted, with its model fields and every value of it')
  @Responds(403, DetailJson, NOT_MANAGER)
  async remove(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<void> {
    await this.metadata.removeField(principal, id);
  }
}

/** /api/v1/organisations/{organisation_pk}/metadata-model-fields/ (Flagsmith's MetaDataModelFieldViewSet). */
@Controller('api/v1/organisations/:organisation_pk/metadata-model-fields')
export class MetadataModelFieldsController {
  constructor(private readonly metadata: MetadataService) {}

  @Get()
  @OrganisationMember()
  @Responds(200, MetadataModelFieldList, "The organisation's model fields (not paginated)")
  async list(
    @Permitted('organisation') organisation: Organisation,
    @ValidQuery(MetadataModelFieldListQuery) query: MetadataModelFieldListQueryInput,
  ): Promise<MetadataModelFieldJson[]> {
    return (await this.metadata.modelFields(organisation, query.content_type)).map(metadataModelFieldJson);
  }

  @Get('supported-content-types')
  @OrganisationMember()
  @Responds(
    200,
    ContentTypeList,
    'The content types of organisations, projects, environments, features, segments',
  )
  supportedContentTypes(): readonly object[] {
    return this.metadata.supportedContentTypes();
  }

  @Get('supported-required-for-models')
  @OrganisationMember()
  @Responds(200, ContentTypeList, 'What a field on that model may be required for')
  @Responds(
    404,
    Type.Union([MessageJson, DetailJson]),
    'No supported models for that model name, or not a member',
  )
  supportedRequiredForModels(
    @ValidQuery(RequiredForModelsQuery) query: RequiredForModelsQueryInput,
  ): object[] {
    return this.metadata.supportedRequiredForModels(query.model_name);
  }

  @Post()
  @OrganisationMember()
  @Responds(201, MetadataModelFieldJson, 'The model field')
  @Responds(403, DetailJson, `The field is not the organisation's, or ${NOT_MANAGER.toLowerCase()}`)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') organisation: Organisation,
    @ValidBody(MetadataModelFieldInput) body: MetadataModelFieldInput,
  ): Promise<MetadataModelFieldJson> {
    return metadataModelFieldJson(await this.metadata.createModelField(principal, organisation, body));
  }

  @Get(':id')
  @OrganisationMember()
  @Responds(200, MetadataModelFieldJson, 'The model field')
  async retrieve(
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
  ): Promise<MetadataModelFieldJson> {
    return metadataModelFieldJson(await this.metadata.modelField(organisation, id));
  }

  @Put(':id')
  @Writes(MetadataModelFieldJson, 'The model field', OrganisationMember)
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
    @ValidBody(MetadataModelFieldInput) body: MetadataModelFieldInput,
  ): Promise<MetadataModelFieldJson> {
    return metadataModelFieldJson(await this.metadata.updateModelField(principal, organisation, id, body));
  }

  @Patch(':id')
  @Writes(MetadataModelFieldJson, 'The model field', OrganisationMember)
  async patch(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
    @ValidBody(MetadataModelFieldInput, { partial: true }) body: Partial<MetadataModelFieldInput>,
  ): Promise<MetadataModelFieldJson> {
    return metadataModelFieldJson(await this.metadata.updateModelField(principal, organisation, id, body));
  }

  @Delete(':id')
  @OrganisationMember()
  @Responds(204, null, 'Deleted, with the values given through it')
  @Responds(403, DetailJson, NOT_MANAGER)
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Permitted('organisation') organisation: Organisation,
    @IdParam('id') id: number,
  ): Promise<void> {
    await this.metadata.removeModelField(principal, organisation, id);
  }
}

/** /api/v1/projects/{project_pk}/metadata/fields/ (Flagsmith's ProjectMetadataFieldViewSet: read only). */
@Controller('api/v1/projects/:project_pk/metadata/fields')
export class ProjectMetadataFieldsController {
  constructor(private readonly metadata: MetadataService) {}

  @Get()
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, MetadataFieldPage, "A page of the project's fields (and the organisation's, if asked)")
  async list(
    @Req() request: FastifyRequest,
    @Permitted('project') project: Project,
    @ValidQuery(ProjectMetadataFieldQuery) query: ProjectMetadataFieldQueryInput,
  ): Promise<Page<MetadataFieldJson>> {
    const page = metadataPage(query);
    const { count, rows } = await this.metadata.projectFields(project, query, page);
    return pageOf(request, page, count, await fieldsJson(this.metadata, rows));
  }

  @Get(':id')
  @RequirePermission('project', 'VIEW_PROJECT', { param: 'project_pk' })
  @Responds(200, MetadataFieldJson, 'The field (one the list with the same query would show)')
  async retrieve(
    @Permitted('project') project: Project,
    @IdParam('id') id: number,
    @ValidQuery(ProjectMetadataFieldQuery) query: ProjectMetadataFieldQueryInput,
  ): Promise<MetadataFieldJson> {
    return fieldJson(this.metadata, this.metadata.projectField(project, query, id));
  }
}
