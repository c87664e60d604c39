import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { NotFound } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import { Project, Tag } from '../projects/project.entity';
import type { TagColumns, TagsRepository } from './tags.repository';
import { TagsService } from './tags.service';

/** TagsRepository in memory. */
class InMemoryTags {
  readonly rows = new Map<number, Tag>();
  private nextId = 1;
  find(projectId: number, ref: number | { uuid: string }) {
    const row =
      typeof ref === 'number' ? this.rows.get(ref) : [...this.rows.values()].find((t) => t.uuid === ref.uuid);
    return Promise.resolve(row && row.projectId === projectId ? Object.assign(new Tag(), row) : null);
  }
  lock(_m: EntityManager, projectId: number, id: number) {
    return this.find(projectId, id);
  }
  insert(_m: EntityManager, fields: Required<TagColumns> & { projectId: number }) {
    const tag = Object.assign(new Tag(), fields, { id: this.nextId++ });
    this.rows.set(tag.id, tag);
    return Promise.resolve(Object.assign(new Tag(), tag));
  }
  update(_m: EntityManager, id: number, columns: TagColumns) {
    return Promise.resolve(Object.assign(new Tag(), Object.assign(this.rows.get(id)!, columns)));
  }
  delete(_m: EntityManager, id: number) {
    this.rows.delete(id);
    return Promise.resolve();
  }
}

const principal = { kind: 'master_key', key: { id: 1 } } as Principal;
const project = Object.assign(new Project(), { id: 5, organisationId: 2 });
const other = Object.assign(new Project(), { id: 6, organisationId: 2 });

function setup() {
  const tags = new InMemoryTags();
  const uow = new FakeUnitOfWork();
  return { tags, uow, service: new TagsService(tags as unknown as TagsRepository, uow.asUnitOfWork()) };
}

describe('TagsService', () => {
  it('create fills Flagsmith’s defaults and audits the tag without a change event', async () => {
    const { uow, service } = setup();
    const tag = await service.create(principal, project, { label: 'beta' });
    expect(tag).toMatchObject({ label: 'beta', color: '#6837FC', description: null, isPermanent: false });
    expect(uow.committed[0].auditEntries[0]).toMatchObject({ log: 'New Tag created: beta', projectId: 5 });
    expect(uow.committed[0].projectIds.size + uow.committed[0].environmentIds.size).toBe(0);
  });

  it('PATCH changes only what it names and audits before and after', async () => {
    const { uow, service } = setup();
    const tag = await service.create(principal, project, { label: 'beta', color: '#000000' });
    const saved = await service.update(principal, project, tag.id, { description: '' });
    expect(saved).toMatchObject({ label: 'beta', color: '#000000', description: '' });
    expect(uow.committed[1].auditEntries[0]).toMatchObject({
      before: { description: null },
      after: { description: '' },
    });
  });

  it('a tag of another project is not found, for reads and writes alike', async () => {
    const { service, tags } = setup();
    const tag = await service.create(principal, other, { label: 'x' });
    await expect(service.tag(project, tag.id)).rejects.toBeInstanceOf(NotFound);
    await expect(service.update(principal, project, tag.id, { label: 'y' })).rejects.toBeInstanceOf(NotFound);
    await expect(service.remove(principal, project, tag.id)).rejects.toBeInstanceOf(NotFound);
    expect(tags.rows.get(tag.id)?.label).toBe('x');
  });

  it('a tag by uuid is found in its own project only; hyphens are optional, anything else not found', async () => {
    const { service } = setup();
    const tag = await service.create(principal, project, { label: 'x' });
    expect((await service.tagByUuid(project, tag.uuid)).id).toBe(tag.id);
    expect((await service.tagByUuid(project, tag.uuid.replace(/-/g, ''))).id).toBe(tag.id);
    for (const raw of [tag.uuid.toUpperCase(), 'not-a-uuid', `${tag.uuid}0`])
      await expect(service.tagByUuid(project, raw)).rejects.toBeInstanceOf(NotFound);
    await expect(service.tagByUuid(other, tag.uuid)).rejects.toBeInstanceOf(NotFound);
  });
});
