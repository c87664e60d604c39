import { writeTransaction } from '../common/transaction';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/principal';
import { notFound } from '../common/errors';
import { BodyReader, parseId } from '../common/validation';
import { Project, Tag } from '../projects/project.entity';
import { tagJson } from './feature.serializers';

const DEFAULT_COLOUR = '#6837FC';

/**
 * Project tags (docs/contracts/admin-api.md §4). Tags do not take part in flag evaluation, so their writes are audited but do not
 * bump environments.
 */
@Injectable()
export class TagsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  listQuery(project: Project) {
    return this.dataSource
      .getRepository(Tag)
      .createQueryBuilder('t')
      .where('t.project_id = :projectId', { projectId: project.id })
      .orderBy('t.id', 'ASC');
  }

  async tag(project: Project, idRaw: unknown): Promise<Tag> {
    const id = parseId(idRaw);
    const tag = id ? await this.dataSource.getRepository(Tag).findOneBy({ id, projectId: project.id }) : null;
    if (!tag) throw notFound();
    return tag;
  }

  private read(v: BodyReader) {
    return {
      label: v.string('label', { maxLength: 100 }),
      color: v.string('color', { optional: true, maxLength: 10 }),
      description: v.string('description', {
        optional: true,
        nullable: true,
        allowBlank: true,
        maxLength: 512,
      }),
      isPermanent: v.boolean('is_permanent', { optional: true }),
    };
  }

  async create(principal: Principal, project: Project, body: unknown): Promise<Tag> {
    const v = new BodyReader(body);
    const fields = this.read(v);
    v.assertValid();
    return writeTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(Tag);
      const tag = await repo.save(
        repo.create({
          projectId: project.id,
          label: fields.label!,
          color: fields.color ?? DEFAULT_COLOUR,
          description: fields.description ?? null,
          isPermanent: fields.isPermanent ?? false,
        }),
      );
      await this.audit.record(manager, {
        log: `New Tag created: ${tag.label}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'TAG',
        relatedObjectId: tag.id,
        relatedObjectUuid: tag.uuid,
        after: tagJson(tag),
      });
      return tag;
    });
  }

  async update(
    principal: Principal,
    project: Project,
    tag: Tag,
    body: unknown,
    partial: boolean,
  ): Promise<Tag> {
    const v = new BodyReader(body, { partial });
    const fields = this.read(v);
    v.assertValid();
    const before = tagJson(tag);
    if (fields.label !== undefined) tag.label = fields.label;
    if (fields.color !== undefined) tag.color = fields.color;
    if (fields.description !== undefined) tag.description = fields.description;
    if (fields.isPermanent !== undefined) tag.isPermanent = fields.isPermanent;
    return writeTransaction(this.dataSource, async (manager) => {
      const { project: _project, ...columns } = tag;
      const saved = await manager.getRepository(Tag).save(columns);
      await this.audit.record(manager, {
        log: `Tag updated: ${saved.label}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'TAG',
        relatedObjectId: saved.id,
        relatedObjectUuid: saved.uuid,
        before,
        after: tagJson(saved),
      });
      return Object.assign(tag, saved);
    });
  }

  async remove(principal: Principal, project: Project, tag: Tag): Promise<void> {
    await writeTransaction(this.dataSource, async (manager) => {
      await manager.getRepository(Tag).delete({ id: tag.id });
      await this.audit.record(manager, {
        log: `Tag deleted: ${tag.label}`,
        principal,
        organisationId: project.organisationId,
        projectId: project.id,
        relatedObjectType: 'TAG',
        relatedObjectId: tag.id,
        relatedObjectUuid: tag.uuid,
        before: tagJson(tag),
      });
    });
  }
}
