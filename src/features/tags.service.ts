import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import { parseUuid } from '../common/drf-values';
import type { PageRequest } from '../common/pagination';
import { UnitOfWork } from '../common/unit-of-work';
import type { Project, Tag } from '../projects/project.entity';
import type { TagInput } from './tag.schemas';
import { tagJson } from './tag.serializers';
import { TagColumns, TagsRepository } from './tags.repository';

const DEFAULT_COLOUR = '#6837FC';

function tagColumns(input: Partial<TagInput>): TagColumns {
  const columns: TagColumns = {};
  if (input.label !== undefined) columns.label = input.label;
  if (input.color !== undefined) columns.color = input.color;
  if (input.description !== undefined) columns.description = input.description;
  if (input.is_permanent !== undefined) columns.isPermanent = input.is_permanent;
  return columns;
}

/**
 * Project tags (docs/contracts/admin-api.md §4). Tags do not take part in flag evaluation, so their writes are audited but report
 * no change event.
 */
@Injectable()
export class TagsService {
  constructor(
    private readonly tags: TagsRepository,
    private readonly uow: UnitOfWork,
  ) {}

  page(project: Project, page: PageRequest): Promise<{ count: number; rows: Tag[] }> {
    return this.tags.page(project.id, page);
  }

  async tag(project: Project, id: number): Promise<Tag> {
    const tag = await this.tags.find(project.id, id);
    if (!tag) throw new NotFound();
    return tag;
  }

  /** The project's tag of this uuid (read as Flagsmith's get-by-uuid action reads it), else NotFound. */
  async tagByUuid(project: Project, raw: string): Promise<Tag> {
    const uuid = parseUuid(raw, 'field');
    const tag = uuid ? await this.tags.find(project.id, { uuid }) : null;
    if (!tag) throw new NotFound();
    return tag;
  }

  create(principal: Principal, project: Project, input: TagInput): Promise<Tag> {
    return this.uow.run(async (tx) => {
      const tag = await this.tags.insert(tx.manager, {
        projectId: project.id,
        label: input.label,
        color: input.color ?? DEFAULT_COLOUR,
        description: input.description ?? null,
        isPermanent: input.is_permanent ?? false,
      });
      tx.audit({
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

  /** PUT or PATCH: writes the fields sent, on the row locked FOR NO KEY UPDATE (`before` is the row as it was). */
  update(principal: Principal, project: Project, id: number, input: Partial<TagInput>): Promise<Tag> {
    return this.uow.run(async (tx) => {
      const current = await this.tags.lock(tx.manager, project.id, id);
      if (!current) throw new NotFound();
      const before = tagJson(current);
      const saved = await this.tags.update(tx.manager, id, tagColumns(input));
      tx.audit({
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
      return saved;
    });
  }

  remove(principal: Principal, project: Project, id: number): Promise<void> {
    return this.uow.run(async (tx) => {
      const tag = await this.tags.lock(tx.manager, project.id, id);
      if (!tag) throw new NotFound();
      await this.tags.delete(tx.manager, tag.id);
      tx.audit({
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
