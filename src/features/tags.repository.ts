import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pageOfQuery, type PageRequest } from '../common/pagination';
import type { Tag } from '../projects/project.entity';

export type TagColumns = Partial<Pick<Tag, 'label' | 'color' | 'description' | 'isPermanent'>>;

/** Every SQL statement about tags; writes take the unit of work's manager. */
@Injectable()
export class TagsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One page of the project's tags in id order, and how many it has. */
  async page(projectId: number, page: PageRequest): Promise<{ count: number; rows: Tag[] }> {
    const query = this.dataSource
      .getRepository<Tag>('Tag')
      .createQueryBuilder('t')
      .where('t.project_id = :projectId', { projectId });
    return pageOfQuery(query.orderBy('t.id', 'ASC'), page);
  }

  /** The project's tag of this id or uuid. */
  find(projectId: number, ref: number | { uuid: string }): Promise<Tag | null> {
    const key = typeof ref === 'number' ? { id: ref } : ref;
    return this.dataSource.getRepository<Tag>('Tag').findOneBy({ ...key, projectId });
  }

  /** The tag, locked FOR NO KEY UPDATE until the transaction ends. */
  lock(manager: EntityManager, projectId: number, id: number): Promise<Tag | null> {
    return manager
      .getRepository<Tag>('Tag')
      .findOne({ where: { id, projectId }, lock: { mode: 'for_no_key_update' } });
  }

  insert(manager: EntityManager, fields: Required<TagColumns> & { projectId: number }): Promise<Tag> {
    const repo = manager.getRepository<Tag>('Tag');
    return repo.save(repo.create(fields));
  }

  /** Writes exactly these columns and returns the row as stored. */
  async update(manager: EntityManager, id: number, columns: TagColumns): Promise<Tag> {
    if (Object.keys(columns).length) await manager.getRepository<Tag>('Tag').update({ id }, columns);
    return manager.getRepository<Tag>('Tag').findOneByOrFail({ id });
  }

  async delete(manager: EntityManager, id: number): Promise<void> {
    await manager.getRepository<Tag>('Tag').delete({ id });
  }
}
