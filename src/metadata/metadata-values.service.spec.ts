import type { EntityManager } from 'typeorm';
import { ValidationFailed } from '../common/domain-errors';
import { FakeUnitOfWork } from '../common/unit-of-work.fake';
import type { MetadataOwner } from '../entity-metadata/entity-metadata';
import { contentType } from './content-types';
import { MetadataField, MetadataModelField, MetadataValue, type MetadataFieldType } from './metadata.entity';
import type { ApplicableRequirement, MetadataRepository, ValueColumns } from './metadata.repository';
import { isValidMetadataValue, MetadataValuesService } from './metadata-values.service';

/** The parts of MetadataRepository the values service uses, in memory. */
class InMemoryMetadata {
  readonly fields = new Map<number, MetadataField>();
  readonly modelFields = new Map<number, MetadataModelField>();
  /** model field id → what it is required for */
  readonly requirements: { modelFieldId: number; contentTypeId: number; objectId: number }[] = [];
  readonly stored: MetadataValue[] = [];
  private nextId = 1;

  addField(name: string, type: MetadataFieldType, organisationId: number, projectId: number | null = null) {
    const field = Object.assign(new MetadataField(), {
      id: this.nextId++,
      name,
      type,
      organisationId,
      projectId,
    });
    this.fields.set(field.id, field);
    return field;
  }

  offer(field: MetadataField, model: 'feature' | 'segment' | 'environment') {
    const modelField = Object.assign(new MetadataModelField(), {
      id: this.nextId++,
      fieldId: field.id,
      contentTypeId: contentType(model).id,
      field,
    });
    this.modelFields.set(modelField.id, modelField);
    return modelField;
  }

  require(modelField: MetadataModelField, scope: 'organisation' | 'project', objectId: number) {
    this.requirements.push({ modelFieldId: modelField.id, contentTypeId: contentType(scope).id, objectId });
  }

  shareModelFields(_m: EntityManager, ids: readonly number[]) {
    return Promise.resolve(
      ids.flatMap((id) => (this.modelFields.has(id) ? [this.modelFields.get(id)!] : [])),
    );
  }

  applicableRequirements(
    _m: EntityManager,
    contentTypeId: number,
    project: { id: number; organisationId: number },
    scopes: { organisation: number; project: number },
  ): Promise<ApplicableRequirement[]> {
    return Promise.resolve(
      this.requirements.flatMap((r) => {
        const modelField = this.modelFields.get(r.modelFieldId)!;
        const field = modelField.field!;
        const inScope =
          modelField.contentTypeId === contentTypeId &&
          field.organisationId === project.organisationId &&
          (field.projectId === null || field.projectId === project.id) &&
          ((r.contentTypeId === scopes.organisation && r.objectId === project.organisationId) ||
            (r.contentTypeId === scopes.project && r.objectId === project.id));
        return inScope
          ? [{ modelFieldId: r.modelFieldId, fieldName: field.name, fieldProjectId: field.projectId }]
          : [];
      }),
    );
  }

  projectFieldNames(_m: EntityManager, project: { id: number; organisationId: number }) {
    return Promise.resolve(
      new Set(
        [...this.fields.values()]
          .filter((f) => f.organisationId === project.organisationId && f.projectId === project.id)
          .map((f) => f.name),
      ),
    );
  }

  async replaceValues(
    _m: EntityManager,
    owner: { contentTypeId: number; objectId: number; projectId: number },
    values: readonly ValueColumns[],
  ) {
    await this.deleteValues(_m, owner.contentTypeId, [owner.objectId]);
    for (const v of values)
      this.stored.push(Object.assign(new MetadataValue(), { id: this.nextId++, ...owner, ...v }));
    return this.stored.filter(
      (v) => v.contentTypeId === owner.contentTypeId && v.objectId === owner.objectId,
    );
  }

  values(contentTypeId: number, objectIds: readonly number[]) {
    return Promise.resolve(
      this.stored.filter((v) => v.contentTypeId === contentTypeId && objectIds.includes(v.objectId)),
    );
  }

  deleteValues(_m: EntityManager, contentTypeId: number, objectIds: readonly number[]) {
    for (let i = this.stored.length - 1; i >= 0; i--)
      if (this.stored[i].contentTypeId === contentTypeId && objectIds.includes(this.stored[i].objectId))
        this.stored.splice(i, 1);
    return Promise.resolve();
  }
}

const ORG = 2;
const project = { id: 5, organisationId: ORG };
const feature = (id: number): MetadataOwner => ({ model: 'feature', id, project });

function setup() {
  const repo = new InMemoryMetadata();
  const service = new MetadataValuesService(repo as unknown as MetadataRepository);
  const uow = new FakeUnitOfWork();
  /** `replace` inside a unit of work, as the feature, segment and environment services call it. */
  const replace = (owner: MetadataOwner, values: { model_field: number; field_value: string }[]) =>
    uow.run((tx) => service.replace(tx.manager, owner, values), { unaudited: 'spec' });
  return { repo, service, replace };
}

async function errorsOf(work: Promise<unknown>): Promise<unknown> {
  const error: unknown = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationFailed);
  return (error as ValidationFailed).errors;
}

describe('isValidMetadataValue (Flagsmith’s MetadataField.validate_<type>)', () => {
  it.each([
    ['int', '42', true],
    ['int', '-7', true],
    ['int', '+3', true],
    ['int', '1_000', true],
    ['int', '4.2', false],
    ['int', 'abc', false],
    ['int', '', false],
    ['bool', 'true', true],
    ['bool', 'FALSE', true],
    ['bool', 'yes', false],
    ['bool', '1', false],
    ['url', 'https://example.com/x', true],
    ['url', 'ftp://host', true],
    ['url', 'example.com', false],
    ['url', 'https://', false],
    ['url', 'mailto:a@b.c', false],
    ['url', 'http://[::1', false],
    ['str', 'anything at all', true],
    ['multiline_str', 'line one\nline two', true],
  ] as const)('%s %j → %s', (type, value, valid) => {
    expect(isValidMetadataValue(type, value)).toBe(valid);
  });

  it('a value over 2000 characters is invalid whatever the type', () => {
    expect(isValidMetadataValue('str', 'x'.repeat(2001))).toBe(false);
    expect(isValidMetadataValue('str', 'x'.repeat(2000))).toBe(true);
  });
});

describe('MetadataValuesService.replace', () => {
  it('values of the right type → stored for the object and returned as Flagsmith serializes them', async () => {
    const { repo, replace, service } = setup();
    const ticket = repo.offer(repo.addField('ticket', 'int', ORG), 'feature');
    const stored = await replace(feature(10), [{ model_field: ticket.id, field_value: '42' }]);
    expect(stored).toEqual([{ id: expect.any(Number), model_field: ticket.id, field_value: '42' }]);
    expect((await service.valuesOf('feature', [10])).get(10)).toEqual(stored);
  });

  it('a value of the wrong type → that item’s non_field_errors, {} for the good ones, nothing stored', async () => {
    const { repo, replace } = setup();
    const ticket = repo.offer(repo.addField('ticket', 'int', ORG), 'feature');
    const flag = repo.offer(repo.addField('flag', 'bool', ORG), 'feature');
    const errors = await errorsOf(
      replace(feature(10), [
        { model_field: ticket.id, field_value: '1' },
        { model_field: flag.id, field_value: 'maybe' },
      ]),
    );
    expect(errors).toEqual({ metadata: [{}, { non_field_errors: ['Invalid value for field flag'] }] });
    expect(repo.stored).toEqual([]);
  });

  it('a model field of another organisation, kind of object or project → an invalid pk', async () => {
    const { repo, replace } = setup();
    const foreign = repo.offer(repo.addField('theirs', 'str', ORG + 1), 'feature');
    const onSegments = repo.offer(repo.addField('seg', 'str', ORG), 'segment');
    const otherProject = repo.offer(repo.addField('other', 'str', ORG, project.id + 1), 'feature');
    for (const modelField of [foreign, onSegments, otherProject])
      expect(
        await errorsOf(replace(feature(10), [{ model_field: modelField.id, field_value: 'x' }])),
      ).toEqual({
        metadata: [{ model_field: [`Invalid pk "${modelField.id}" - object does not exist.`] }],
      });
  });

  it('the same model field twice → a unique-set error on the second, not a database error', async () => {
    const { repo, replace } = setup();
    const note = repo.offer(repo.addField('note', 'str', ORG), 'feature');
    const errors = await errorsOf(
      replace(feature(10), [
        { model_field: note.id, field_value: 'a' },
        { model_field: note.id, field_value: 'b' },
      ]),
    );
    expect(errors).toEqual({
      metadata: [
        {},
        { non_field_errors: ['The fields model_field, content_type, object_id must make a unique set.'] },
      ],
    });
  });

  it('a field required for the organisation or for the project → "Missing required metadata field"', async () => {
    const { repo, replace } = setup();
    const owner = repo.offer(repo.addField('owner', 'str', ORG), 'feature');
    repo.require(owner, 'organisation', ORG);
    expect(await errorsOf(replace(feature(10), []))).toEqual({
      metadata: ['Missing required metadata field: owner'],
    });
    const ticket = repo.offer(repo.addField('ticket', 'int', ORG, project.id), 'feature');
    repo.require(ticket, 'project', project.id);
    expect(await errorsOf(replace(feature(10), [{ model_field: owner.id, field_value: 'me' }]))).toEqual({
      metadata: ['Missing required metadata field: ticket'],
    });
    await replace(feature(10), [
      { model_field: owner.id, field_value: 'me' },
      { model_field: ticket.id, field_value: '7' },
    ]);
    expect(repo.stored).toHaveLength(2);
  });

  it('required for another project, or on another kind of object → not required here', async () => {
    const { repo, replace } = setup();
    const elsewhere = repo.offer(repo.addField('elsewhere', 'str', ORG), 'feature');
    repo.require(elsewhere, 'project', project.id + 1);
    const segmentsOnly = repo.offer(repo.addField('segments-only', 'str', ORG), 'segment');
    repo.require(segmentsOnly, 'organisation', ORG);
    await expect(replace(feature(10), [])).resolves.toEqual([]);
  });

  it('an organisation field overridden by a project field of the same name is not required', async () => {
    const { repo, replace } = setup();
    const orgTicket = repo.offer(repo.addField('ticket', 'int', ORG), 'feature');
    repo.require(orgTicket, 'organisation', ORG);
    repo.addField('ticket', 'str', ORG, project.id);
    await expect(replace(feature(10), [])).resolves.toEqual([]);
  });

  it('replace makes the list complete (values not sent go); remove deletes an object’s values', async () => {
    const { repo, replace, service } = setup();
    const a = repo.offer(repo.addField('a', 'str', ORG), 'feature');
    const b = repo.offer(repo.addField('b', 'str', ORG), 'feature');
    await replace(feature(10), [
      { model_field: a.id, field_value: '1' },
      { model_field: b.id, field_value: '2' },
    ]);
    await replace(feature(11), [{ model_field: a.id, field_value: 'other' }]);
    await replace(feature(10), [{ model_field: b.id, field_value: '3' }]);
    expect((await service.valuesOf('feature', [10])).get(10)).toMatchObject([
      { model_field: b.id, field_value: '3' },
    ]);
    await service.remove({} as EntityManager, 'feature', [10]);
    const left = await service.valuesOf('feature', [10, 11]);
    expect([...left.keys()]).toEqual([11]);
  });
});
