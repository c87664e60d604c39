import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ENTITIES } from '../src/entities';
import {
  Call,
  client,
  createEnvironment,
  createOrganisation,
  createProject,
  signUp,
  uniqueEmail,
} from './api-helpers';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

const RULES = [
  { type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] },
];

describe('custom fields (metadata)', () => {
  let t: TestApp;
  let call: Call;
  let admin: string;
  let member: string;
  let outsider: string;
  let org: number;
  let project: number;
  let otherProject: number;
  let envKey: string;
  let types: Record<string, number>;
  let foreignField: Json;
  let foreignModelField: Json;

  const o = () => `/api/v1/organisations/${org}`;
  const p = () => `/api/v1/projects/${project}`;
  const as = (token: string) => (method: string, path: string, body?: unknown) =>
    call(method, path, { auth: token, body });

  async function field(body: Json) {
    const res = await as(admin)('POST', '/api/v1/metadata/fields/', { organisation: org, ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function modelField(fieldId: number, model: string, requiredFor?: 'organisation' | 'project') {
    const res = await as(admin)('POST', `${o()}/metadata-model-fields/`, {
      field: fieldId,
      content_type: types[model],
      is_required_for: requiredFor
        ? [{ content_type: types[requiredFor], object_id: requiredFor === 'project' ? project : org }]
        : [],
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  const valueRows = (contentType: number, objectId: number) =>
    queryDatabase(
      t.databaseUrl,
      'SELECT model_field_id, field_value FROM metadata_values WHERE content_type_id = $1 AND object_id = $2',
      [contentType, objectId],
    );

  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    admin = (await signUp(call, uniqueEmail('meta-admin'))).token;
    org = (await createOrganisation(call, admin, 'Meta')).id;
    project = (await createProject(call, admin, org, 'Web')).id;
    otherProject = (await createProject(call, admin, org, 'Mobile')).id;
    envKey = (await createEnvironment(call, admin, project, 'Development')).api_key;
    const link = await as(admin)('POST', `${o()}/invite-links/`, { role: 'USER' });
    member = (await signUp(call, uniqueEmail('meta-member'))).token;
    expect((await as(member)('POST', `/api/v1/users/join/link/${link.body.hash}/`)).status).toBeLessThan(300);

    outsider = (await signUp(call, uniqueEmail('meta-outsider'))).token;
    const otherOrg = (await createOrganisation(call, outsider, 'Elsewhere')).id;
    const supported = await as(admin)('GET', `${o()}/metadata-model-fields/supported-content-types/`);
    types = Object.fromEntries(supported.body.map((c: Json) => [c.model, c.id]));
    foreignField = (
      await as(outsider)('POST', '/api/v1/metadata/fields/', {
        name: 'theirs',
        type: 'str',
        organisation: otherOrg,
      })
    ).body;
    foreignModelField = (
      await as(outsider)('POST', `/api/v1/organisations/${otherOrg}/metadata-model-fields/`, {
        field: foreignField.id,
        content_type: types.feature,
      })
    ).body;
    expect(foreignModelField.id).toEqual(expect.any(Number));
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('content types', () => {
    it('supported-content-types → the five models with fixed ids, app labels as Flagsmith', async () => {
      const res = await as(member)('GET', `${o()}/metadata-model-fields/supported-content-types/`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { id: 1, app_label: 'organisations', model: 'organisation' },
        { id: 2, app_label: 'projects', model: 'project' },
        { id: 3, app_label: 'environments', model: 'environment' },
        { id: 4, app_label: 'features', model: 'feature' },
        { id: 5, app_label: 'segments', model: 'segment' },
      ]);
    });

    it('supported-content-types of an organisation the caller is not in → 404', async () => {
      const res = await as(outsider)('GET', `${o()}/metadata-model-fields/supported-content-types/`);
      expect(res.status).toBe(404);
    });

    it('supported-required-for-models → organisation and project; an unknown model → 404 with a message', async () => {
      const ok = await as(member)(
        'GET',
        `${o()}/metadata-model-fields/supported-required-for-models/?model_name=feature`,
      );
      expect(ok.status).toBe(200);
      expect(ok.body.map((c: Json) => c.model)).toEqual(['organisation', 'project']);
      const none = await as(member)(
        'GET',
        `${o()}/metadata-model-fields/supported-required-for-models/?model_name=tag`,
      );
      expect(none).toEqual({
        status: 404,
        body: { message: 'No supported models found for the given model name.' },
      });
      const missing = await as(member)('GET', `${o()}/metadata-model-fields/supported-required-for-models/`);
      expect(missing).toEqual({ status: 400, body: { model_name: ['This field is required.'] } });
    });
  });

  describe('fields', () => {
    it('create by an organisation admin → 201 with Flagsmith’s body; the same name again → 400', async () => {
      const created = await field({ name: 'owner-team', description: 'Team' });
      expect(created).toEqual({
        id: expect.any(Number),
        name: 'owner-team',
        type: 'str',
        description: 'Team',
        organisation: org,
        project: null,
        model_fields: [],
      });
      const again = await as(admin)('POST', '/api/v1/metadata/fields/', {
        name: 'owner-team',
        organisation: org,
      });
      expect(again).toEqual({
        status: 400,
        body: { name: ['A metadata field with this name already exists.'] },
      });
    });

    it('create by a member who is not admin → 403; by an outsider → 404; a bad type → 400', async () => {
      const body = { name: 'nope', type: 'str', organisation: org };
      expect((await as(member)('POST', '/api/v1/metadata/fields/', body)).status).toBe(403);
      expect((await as(outsider)('POST', '/api/v1/metadata/fields/', body)).status).toBe(404);
      const bad = await as(admin)('POST', '/api/v1/metadata/fields/', { ...body, type: 'date' });
      expect(bad).toEqual({ status: 400, body: { type: ['"date" is not a valid choice.'] } });
      const foreign = await as(admin)('POST', '/api/v1/metadata/fields/', { ...body, project: 999999 });
      expect(foreign).toEqual({
        status: 400,
        body: { project: ['Project must belong to the specified organisation.'] },
      });
    });

    it('list needs ?organisation=, shows its organisation-level fields to members, nothing to outsiders', async () => {
      const created = await field({ name: 'listed', type: 'bool' });
      await field({ name: 'project-only', project: otherProject });
      expect(await as(admin)('GET', '/api/v1/metadata/fields/')).toEqual({
        status: 400,
        body: { organisation: ['This field is required.'] },
      });
      const list = await as(member)('GET', `/api/v1/metadata/fields/?organisation=${org}`);
      expect(list.status).toBe(200);
      expect(list.body.results.map((f: Json) => f.name)).toContain('listed');
      expect(list.body.results.map((f: Json) => f.name)).not.toContain('project-only');
      const theirs = await as(outsider)('GET', `/api/v1/metadata/fields/?organisation=${org}`);
      expect(theirs.body).toMatchObject({ count: 0, results: [] });
      expect((await as(member)('GET', `/api/v1/metadata/fields/${created.id}/`)).body.name).toBe('listed');
    });

    it('another organisation’s field → 404 to read, update and delete', async () => {
      const path = `/api/v1/metadata/fields/${foreignField.id}/`;
      expect((await as(admin)('GET', path)).status).toBe(404);
      expect((await as(admin)('PATCH', path, { name: 'x' })).status).toBe(404);
      expect((await as(admin)('DELETE', path)).status).toBe(404);
    });

    it('PUT (the dashboard’s edit) renames and retypes; a member’s PATCH → 403 and changes nothing', async () => {
      const created = await field({ name: 'to-rename' });
      const path = `/api/v1/metadata/fields/${created.id}/`;
      expect((await as(member)('PATCH', path, { name: 'mine' })).status).toBe(403);
      const put = await as(admin)('PUT', path, {
        name: 'renamed',
        type: 'url',
        description: '',
        organisation: org,
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ name: 'renamed', type: 'url', description: '', project: null });
      expect((await as(admin)('GET', path)).body).toMatchObject({ name: 'renamed', type: 'url' });
      const move = await as(admin)('PATCH', path, { organisation: 999999 });
      expect(move.status).toBe(400);
    });
  });

  describe('model fields', () => {
    it('create with a requirement → 201, listed (not paginated) and nested in its field', async () => {
      const f = await field({ name: 'nested' });
      const created = await modelField(f.id, 'segment', 'organisation');
      expect(created).toEqual({
        id: expect.any(Number),
        field: f.id,
        content_type: types.segment,
        is_required_for: [{ content_type: types.organisation, object_id: org }],
      });
      const list = await as(member)('GET', `${o()}/metadata-model-fields/?content_type=${types.segment}`);
      expect(list.status).toBe(200);
      expect(list.body).toContainEqual(created);
      const withNested = await as(member)('GET', `/api/v1/metadata/fields/${f.id}/`);
      expect(withNested.body.model_fields).toEqual([
        { id: created.id, content_type: types.segment, is_required_for: created.is_required_for },
      ]);
      // The requirement is removed again: later tests create segments freely.
      const put = await as(admin)('PUT', `${o()}/metadata-model-fields/${created.id}/`, {
        field: f.id,
        content_type: types.segment,
        is_required_for: [],
      });
      expect(put.body.is_required_for).toEqual([]);
    });

    it('the same field and content type twice, or a requirement of another organisation → 400', async () => {
      const f = await field({ name: 'twice' });
      await modelField(f.id, 'feature');
      const again = await as(admin)('POST', `${o()}/metadata-model-fields/`, {
        field: f.id,
        content_type: types.feature,
      });
      expect(again).toEqual({
        status: 400,
        body: { non_field_errors: ['The fields field, content_type must make a unique set.'] },
      });
      const foreign = await as(admin)('POST', `${o()}/metadata-model-fields/`, {
        field: f.id,
        content_type: types.segment,
        is_required_for: [{ content_type: types.organisation, object_id: org + 1000 }],
      });
      expect(foreign).toEqual({
        status: 400,
        body: { non_field_errors: ['The requirement organisation does not match the field organisation'] },
      });
      const unknownType = await as(admin)('POST', `${o()}/metadata-model-fields/`, {
        field: f.id,
        content_type: 99,
      });
      expect(unknownType).toEqual({
        status: 400,
        body: { content_type: ['Invalid pk "99" - object does not exist.'] },
      });
    });

    it('another organisation’s model field → 404; its field in a create → 403; a member’s create → 403', async () => {
      expect((await as(admin)('GET', `${o()}/metadata-model-fields/${foreignModelField.id}/`)).status).toBe(
        404,
      );
      expect(
        (await as(admin)('DELETE', `${o()}/metadata-model-fields/${foreignModelField.id}/`)).status,
      ).toBe(404);
      const create = await as(admin)('POST', `${o()}/metadata-model-fields/`, {
        field: foreignField.id,
        content_type: types.segment,
      });
      expect(create.status).toBe(403);
      const f = await field({ name: 'members-cannot' });
      const byMember = await as(member)('POST', `${o()}/metadata-model-fields/`, {
        field: f.id,
        content_type: types.feature,
      });
      expect(byMember.status).toBe(403);
      expect((await as(outsider)('GET', `${o()}/metadata-model-fields/`)).status).toBe(404);
    });
  });

  describe('values on features', () => {
    let ticket: Json;
    let ticketModelField: Json;

    beforeAll(async () => {
      ticket = await field({ name: 'ticket', type: 'int' });
      ticketModelField = await modelField(ticket.id, 'feature', 'project');
    });

    it('create without a field required for features in the project → 400 in Flagsmith’s words, nothing written', async () => {
      const res = await as(admin)('POST', `${p()}/features/`, { name: 'no_ticket' });
      expect(res).toEqual({ status: 400, body: { metadata: ['Missing required metadata field: ticket'] } });
      const list = await as(admin)('GET', `${p()}/features/?search=no_ticket`);
      expect(list.body.count).toBe(0);
    });

    it('a value of the wrong type → 400 on that item; another organisation’s model field → 400 invalid pk', async () => {
      const wrong = await as(admin)('POST', `${p()}/features/`, {
        name: 'wrong_type',
        metadata: [{ model_field: ticketModelField.id, field_value: 'abc' }],
      });
      expect(wrong).toEqual({
        status: 400,
        body: { metadata: [{ non_field_errors: ['Invalid value for field ticket'] }] },
      });
      const foreign = await as(admin)('POST', `${p()}/features/`, {
        name: 'foreign_field',
        metadata: [
          { model_field: ticketModelField.id, field_value: '1' },
          { model_field: foreignModelField.id, field_value: 'x' },
        ],
      });
      expect(foreign).toEqual({
        status: 400,
        body: {
          metadata: [{}, { model_field: [`Invalid pk "${foreignModelField.id}" - object does not exist.`] }],
        },
      });
      for (const name of ['wrong_type', 'foreign_field'])
        expect((await as(admin)('GET', `${p()}/features/?search=${name}`)).body.count).toBe(0);
    });

    it('the required field elsewhere: another project of the organisation needs none', async () => {
      const res = await as(admin)('POST', `/api/v1/projects/${otherProject}/features/`, { name: 'free' });
      expect(res.status).toBe(201);
      expect(res.body.metadata).toEqual([]);
    });

    it('create with the value → 201 with it; GET and the list show it; PATCH without metadata keeps it', async () => {
      const res = await as(admin)('POST', `${p()}/features/`, {
        name: 'with_ticket',
        metadata: [{ model_field: ticketModelField.id, field_value: ' 42 ' }],
      });
      expect(res.status).toBe(201);
      const value = { id: expect.any(Number), model_field: ticketModelField.id, field_value: '42' };
      expect(res.body.metadata).toEqual([value]);
      const path = `${p()}/features/${res.body.id}/`;
      expect((await as(admin)('GET', path)).body.metadata).toEqual([value]);
      const list = await as(admin)('GET', `${p()}/features/?search=with_ticket`);
      expect(list.body.results[0].metadata).toEqual([value]);
      const patched = await as(admin)('PATCH', path, { description: 'kept' });
      expect(patched.status).toBe(200);
      expect(patched.body.metadata).toEqual([value]);
    });

    it('update with metadata replaces the list; without the required field → 400 and the old value stays', async () => {
      const created = await as(admin)('POST', `${p()}/features/`, {
        name: 'updated_ticket',
        metadata: [{ model_field: ticketModelField.id, field_value: '1' }],
      });
      const path = `${p()}/features/${created.body.id}/`;
      const put = await as(admin)('PUT', path, {
        metadata: [{ model_field: ticketModelField.id, field_value: '-7' }],
      });
      expect(put.status).toBe(200);
      expect(put.body.metadata).toMatchObject([{ model_field: ticketModelField.id, field_value: '-7' }]);
      const cleared = await as(admin)('PATCH', path, { description: 'no', metadata: [] });
      expect(cleared).toEqual({
        status: 400,
        body: { metadata: ['Missing required metadata field: ticket'] },
      });
      const after = await as(admin)('GET', path);
      expect(after.body).toMatchObject({ description: null, metadata: [{ field_value: '-7' }] });
      const putWithout = await as(admin)('PUT', path, { description: 'no' });
      expect(putWithout).toEqual({
        status: 400,
        body: { metadata: ['Missing required metadata field: ticket'] },
      });
      expect((await as(admin)('GET', path)).body).toMatchObject({ description: null });
    });

    it('PUT without metadata clears the values (the body is the whole object, as Flagsmith); PATCH keeps them', async () => {
      const created = await as(admin)('POST', `/api/v1/projects/${otherProject}/features/`, {
        name: 'optional_ticket',
        metadata: [{ model_field: ticketModelField.id, field_value: '5' }],
      });
      expect(created.body.metadata).toMatchObject([{ field_value: '5' }]);
      const path = `/api/v1/projects/${otherProject}/features/${created.body.id}/`;
      const patched = await as(admin)('PATCH', path, { description: 'patched' });
      expect(patched.body.metadata).toMatchObject([{ field_value: '5' }]);
      const put = await as(admin)('PUT', path, { description: 'put' });
      expect(put.status).toBe(200);
      expect(put.body.metadata).toEqual([]);
      expect((await as(admin)('GET', path)).body).toMatchObject({ description: 'put', metadata: [] });
      expect(await valueRows(types.feature, created.body.id)).toEqual([]);
    });

    it('deleting a feature deletes its values', async () => {
      const created = await as(admin)('POST', `${p()}/features/`, {
        name: 'doomed',
        metadata: [{ model_field: ticketModelField.id, field_value: '3' }],
      });
      expect(await valueRows(types.feature, created.body.id)).toHaveLength(1);
      expect((await as(admin)('DELETE', `${p()}/features/${created.body.id}/`)).status).toBe(204);
      expect(await valueRows(types.feature, created.body.id)).toEqual([]);
    });
  });

  describe('values on segments and environments', () => {
    let segmentModelField: Json;
    let envModelField: Json;

    beforeAll(async () => {
      const risk = await field({ name: 'risk', type: 'bool' });
      segmentModelField = await modelField(risk.id, 'segment', 'organisation');
      const docs = await field({ name: 'docs', type: 'url' });
      envModelField = await modelField(docs.id, 'environment', 'project');
    });

    it('segment create without the required field → 400; with it → 201, shown by GET; update checks the type', async () => {
      const missing = await as(admin)('POST', `${p()}/segments/`, { name: 'no_risk', rules: RULES });
      expect(missing).toEqual({ status: 400, body: { metadata: ['Missing required metadata field: risk'] } });
      const created = await as(admin)('POST', `${p()}/segments/`, {
        name: 'risky',
        rules: RULES,
        metadata: [{ model_field: segmentModelField.id, field_value: 'True' }],
      });
      expect(created.status).toBe(201);
      const path = `${p()}/segments/${created.body.id}/`;
      expect((await as(admin)('GET', path)).body.metadata).toEqual([
        { id: expect.any(Number), model_field: segmentModelField.id, field_value: 'True' },
      ]);
      const wrong = await as(admin)('PATCH', path, {
        metadata: [{ model_field: segmentModelField.id, field_value: 'maybe' }],
      });
      expect(wrong).toEqual({
        status: 400,
        body: { metadata: [{ non_field_errors: ['Invalid value for field risk'] }] },
      });
      const ok = await as(admin)('PUT', path, {
        name: 'risky',
        rules: RULES,
        metadata: [{ model_field: segmentModelField.id, field_value: 'false' }],
      });
      expect(ok.body.metadata).toMatchObject([{ field_value: 'false' }]);
      expect((await as(admin)('DELETE', path)).status).toBe(204);
      expect(await valueRows(types.segment, created.body.id)).toEqual([]);
    });

    it('environment create without the required field → 400 and no environment; with it → 201 and GET shows it', async () => {
      const missing = await as(admin)('POST', '/api/v1/environments/', { name: 'Staging', project });
      expect(missing).toEqual({ status: 400, body: { metadata: ['Missing required metadata field: docs'] } });
      const list = await as(admin)('GET', `/api/v1/environments/?project=${project}`);
      expect(list.body.results.map((e: Json) => e.name)).toEqual(['Development']);
      const created = await as(admin)('POST', '/api/v1/environments/', {
        name: 'Staging',
        project,
        metadata: [{ model_field: envModelField.id, field_value: 'https://wiki.example.com/staging' }],
      });
      expect(created.status).toBe(201);
      const value = {
        id: expect.any(Number),
        model_field: envModelField.id,
        field_value: 'https://wiki.example.com/staging',
      };
      expect(created.body.metadata).toEqual([value]);
      const path = `/api/v1/environments/${created.body.api_key}/`;
      expect((await as(admin)('GET', path)).body.metadata).toEqual([value]);
      const listed = await as(admin)('GET', `/api/v1/environments/?project=${project}`);
      expect(listed.body.results.find((e: Json) => e.name === 'Staging').metadata).toEqual([value]);
    });

    it('environment update (the dashboard’s PUT) checks the url; an existing environment keeps working without metadata', async () => {
      const path = `/api/v1/environments/${envKey}/`;
      const wrong = await as(admin)('PUT', path, {
        name: 'Development',
        project,
        metadata: [{ model_field: envModelField.id, field_value: 'wiki/dev' }],
      });
      expect(wrong).toEqual({
        status: 400,
        body: { metadata: [{ non_field_errors: ['Invalid value for field docs'] }] },
      });
      const ok = await as(admin)('PUT', path, {
        name: 'Development',
        project,
        metadata: [{ model_field: envModelField.id, field_value: 'http://wiki.example.com/dev' }],
      });
      expect(ok.status).toBe(200);
      const patch = await as(admin)('PATCH', path, { description: 'dev' });
      expect(patch.body).toMatchObject({
        description: 'dev',
        metadata: [{ field_value: 'http://wiki.example.com/dev' }],
      });
      const putWithout = await as(admin)('PUT', path, { name: 'Development', project });
      expect(putWithout).toEqual({
        status: 400,
        body: { metadata: ['Missing required metadata field: docs'] },
      });
      expect((await as(admin)('GET', path)).body.metadata).toMatchObject([
        { field_value: 'http://wiki.example.com/dev' },
      ]);
    });
  });

  describe('project fields and deletion', () => {
    it('project fields: its own; with include_organisation the organisation’s not overridden by name; entity filters', async () => {
      const orgLevel = await field({ name: 'shared-name' });
      await modelField(orgLevel.id, 'segment');
      const own = await field({ name: 'shared-name', project });
      await modelField(own.id, 'feature');
      const path = `${p()}/metadata/fields/`;
      const plain = await as(admin)('GET', path);
      expect(plain.status).toBe(200);
      expect(plain.body.results.map((f: Json) => f.id)).toEqual([own.id]);
      const all = await as(admin)('GET', `${path}?include_organisation=true`);
      const ids = all.body.results.map((f: Json) => f.id);
      expect(ids).toContain(own.id);
      expect(ids).not.toContain(orgLevel.id);
      expect(all.body.results.every((f: Json) => f.project === null || f.project === project)).toBe(true);
      const features = await as(admin)('GET', `${path}?include_organisation=true&entity=feature`);
      expect(features.body.results.map((f: Json) => f.name)).toEqual(
        expect.arrayContaining(['shared-name', 'ticket']),
      );
      expect(features.body.results.map((f: Json) => f.name)).not.toContain('risk');
      expect((await as(admin)('GET', `${path}${own.id}/`)).body.id).toBe(own.id);
      expect((await as(admin)('GET', `${path}${orgLevel.id}/`)).status).toBe(404);
      expect((await as(outsider)('GET', path)).status).toBe(404);
    });

    it('deleting a field deletes its model fields and values; the objects no longer need it', async () => {
      const f = await field({ name: 'temporary', type: 'str' });
      const mf = await modelField(f.id, 'feature', 'organisation');
      const created = await as(admin)('POST', `/api/v1/projects/${otherProject}/features/`, {
        name: 'tmp',
        metadata: [{ model_field: mf.id, field_value: 'x' }],
      });
      expect(created.status).toBe(201);
      expect((await as(member)('DELETE', `/api/v1/metadata/fields/${f.id}/`)).status).toBe(403);
      expect((await as(admin)('DELETE', `/api/v1/metadata/fields/${f.id}/`)).status).toBe(204);
      expect(await valueRows(types.feature, created.body.id)).toEqual([]);
      expect((await as(admin)('GET', `${o()}/metadata-model-fields/${mf.id}/`)).status).toBe(404);
      const next = await as(admin)('POST', `/api/v1/projects/${otherProject}/features/`, { name: 'tmp2' });
      expect(next.status).toBe(201);
    });
  });

  it('the migration creates exactly the tables the metadata entities describe', async () => {
    const dataSource = new DataSource({
      ...dataSourceOptions(
        { primary: { url: t.databaseUrl, label: 'test' }, replicas: [] },
        { primaryPoolSize: 1, replicaPoolSize: 1, connectTimeoutMs: 5000 },
        ENTITIES,
      ),
    });
    await dataSource.initialize();
    try {
      const sql = await dataSource.driver.createSchemaBuilder().log();
      expect(sql.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});
