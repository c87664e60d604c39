import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import { joinAsUser, makeWorld, tableCounts, World } from './admin-fixtures';
import { startTestApp, TestApp } from './support/app';
import { queryDatabase } from './support/database';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON bodies
type Json = any;

/** A Flagsmith download, as its serializers and DRF's JSONRenderer write it (compact, ASCII, floats as 30.0). */
const FLAGSMITH_FILE = readFileSync(join(__dirname, 'fixtures/flagsmith/feature-export.json'));

describe('feature import and export', () => {
  let t: TestApp;
  let call: Call;
  let w: World;
  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    w = await makeWorld(call);
    await allowFlagDefaults(w.project.id);
  });
  afterAll(async () => {
    await t.close();
  });

  const upload = async (
    environmentId: number,
    parts: { file?: Buffer | string; strategy?: string; fileAsText?: string; filename?: string },
    token = w.admin.token,
  ) => {
    const form = new FormData();
    if (parts.file !== undefined)
      form.append(
        'file',
        new Blob([typeof parts.file === 'string' ? parts.file : new Uint8Array(parts.file)], {
          type: 'application/json',
        }),
        parts.filename ?? 'export.json',
      );
    if (parts.fileAsText !== undefined) form.append('file', parts.fileAsText);
    if (parts.strategy !== undefined) form.append('strategy', parts.strategy);
    const res = await fetch(`${t.url}/api/v1/features/feature-import/${environmentId}`, {
      method: 'POST',
      headers: { authorization: `Token ${token}` },
      body: form,
    });
    const text = await res.text();
    const body: Json = text ? JSON.parse(text) : null;
    return { status: res.status, body };
  };
  const download = async (id: number, token = w.admin.token) => {
    const res = await fetch(`${t.url}/api/v1/features/download-feature-export/${id}/`, {
      headers: { authorization: `Token ${token}` },
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const sdkFlags = async (apiKey: string) => {
    const res = await fetch(`${t.url}/api/v1/flags/`, { headers: { 'x-environment-key': apiKey } });
    const flags = (await res.json()) as Json[];
    return new Map(flags.map((f) => [f.feature.name as string, f]));
  };
  /** Projects whose new features start with their initial value (Flagsmith's default prevent_flag_defaults). */
  const allowFlagDefaults = (projectId: number) =>
    call('PATCH', `/api/v1/projects/${projectId}/`, {
      auth: w.admin.token,
      body: { prevent_flag_defaults: false },
    });
  const newProject = async (name: string) => {
    const project = await createProject(call, w.admin.token, w.org.id, name);
    await allowFlagDefaults(project.id);
    const env = await createEnvironment(call, w.admin.token, project.id, 'Production');
    return { project, env };
  };
  const createFeature = async (projectId: number, body: Record<string, unknown>) => {
    const res = await call('POST', `/api/v1/projects/${projectId}/features/`, { auth: w.admin.token, body });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return res.body as { id: number; name: string };
  };
  const setState = async (apiKey: string, featureId: number, body: Record<string, unknown>) => {
    const list = await call('GET', `/api/v1/environments/${apiKey}/featurestates/?feature=${featureId}`, {
      auth: w.admin.token,
    });
    const id = list.body.results[0].id as number;
    const res = await call('PATCH', `/api/v1/environments/${apiKey}/featurestates/${id}/`, {
      auth: w.admin.token,
      body,
    });
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  };
  const createExport = (environmentId: number, tagIds: number[] = [], token = w.admin.token) =>
    call('POST', '/api/v1/features/create-feature-export/', {
      auth: token,
      body: { environment_id: environmentId, tag_ids: tagIds },
    });
  const rowCount = async (table: string) =>
    Number((await queryDatabase<{ n: string }>(t.databaseUrl, `SELECT count(*) AS n FROM ${table}`))[0].n);

  describe('export', () => {
    let exportId: number;
    beforeAll(async () => {
      await createFeature(w.project.id, { name: 'greeting', default_enabled: true, initial_value: 'hello' });
      const mv = await createFeature(w.project.id, {
        name: 'layout',
        initial_value: 'grid',
        multivariate_options: [{ type: 'unicode', string_value: 'list', default_percentage_allocation: 25 }],
      });
      await setState(w.env.api_key, mv.id, { enabled: true, feature_state_value: 'cards' });
      await createFeature(w.project.id, { name: 'old', is_archived: true });
    });

    it('an export of an environment answers 201 with Flagsmith fields and the final status SUCCESS', async () => {
      const res = await createExport(w.env.id);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        name: expect.stringMatching(/^Development \| \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/),
        environment_id: w.env.id,
        status: 'SUCCESS',
        created_at: expect.any(String),
      });
      exportId = res.body.id;
    });

    it('the download is the file of the default states of unarchived features, named as Flagsmith names it', async () => {
      const res = await download(exportId);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename=feature_export.${exportId}.json`,
      );
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual([
        {
          name: 'greeting',
          default_enabled: true,
          is_server_key_only: false,
          initial_value: 'hello',
          value: 'hello',
          type: 'unicode',
          enabled: true,
          multivariate: [],
        },
        {
          name: 'layout',
          default_enabled: false,
          is_server_key_only: false,
          initial_value: 'grid',
          value: 'cards',
          type: 'unicode',
          enabled: true,
          multivariate: [
            { percentage_allocation: 25, default_percentage_allocation: 25, value: 'list', type: 'unicode' },
          ],
        },
      ]);
      // Allocations are FloatFields in Flagsmith: written as Python writes floats.
      expect(res.text).toContain('"percentage_allocation":25.0,"default_percentage_allocation":25.0');
    });

    it('tag_ids keep only features with one of the tags', async () => {
      const tag = await call('POST', `/api/v1/projects/${w.project.id}/tags/`, {
        auth: w.admin.token,
        body: { label: 'web', color: '#fff' },
      });
      await createFeature(w.project.id, { name: 'tagged', tags: [tag.body.id] });
      const res = await createExport(w.env.id, [tag.body.id]);
      expect((JSON.parse((await download(res.body.id)).text) as Json[]).map((f) => f.name)).toEqual([
        'tagged',
      ]);
    });

    it("the project's exports are a page, newest first", async () => {
      const res = await call('GET', `/api/v1/projects/${w.project.id}/feature-exports/`, {
        auth: w.admin.token,
      });
      expect(res.status).toBe(200);
      expect(res.body.count).toBeGreaterThanOrEqual(2);
      expect(res.body.results[0].id).toBeGreaterThan(res.body.results[1].id);
      expect(Object.keys(res.body.results[0]).sort()).toEqual([
        'created_at',
        'environment_id',
        'id',
        'name',
        'status',
      ]);
      expect(res.body.next).toBeNull();
    });

    it('a body without tag_ids or environment_id answers 400 naming the field', async () => {
      const noTags = await call('POST', '/api/v1/features/create-feature-export/', {
        auth: w.admin.token,
        body: { environment_id: w.env.id },
      });
      expect(noTags).toEqual({ status: 400, body: { tag_ids: ['This field is required.'] } });
      const noEnv = await call('POST', '/api/v1/features/create-feature-export/', {
        auth: w.admin.token,
        body: { tag_ids: [] },
      });
      expect(noEnv).toEqual({ status: 400, body: { environment_id: ['This field is required.'] } });
    });

    it('an unknown export answers 404', async () => {
      expect((await download(999999)).status).toBe(404);
    });
  });

  describe('import', () => {
    it('an export imported into another project’s environment is served by the SDK of that environment', async () => {
      const source = await newProject('Source');
      await createFeature(source.project.id, {
        name: 'checkout',
        default_enabled: false,
        initial_value: 'v1',
      });
      const limit = await createFeature(source.project.id, { name: 'limit', initial_value: '5' });
      await setState(source.env.api_key, limit.id, { enabled: true, feature_state_value: 12 });
      const exported = await createExport(source.env.id);
      const file = (await download(exported.body.id)).text;

      const target = await newProject('Target');
      const res = await upload(target.env.id, { file, strategy: 'OVERWRITE_DESTRUCTIVE' });
      expect(res).toEqual({
        status: 201,
        body: {
          id: expect.any(Number),
          environment_id: target.env.id,
          strategy: 'OVERWRITE_DESTRUCTIVE',
          status: 'SUCCESS',
          created_at: expect.any(String),
        },
      });
      const flags = await sdkFlags(target.env.api_key);
      expect(flags.get('checkout')).toMatchObject({ enabled: false, feature_state_value: 'v1' });
      expect(flags.get('limit')).toMatchObject({ enabled: true, feature_state_value: 12 });

      const list = await call('GET', `/api/v1/projects/${target.project.id}/feature-imports/`, {
        auth: w.admin.token,
      });
      expect(list.body.results).toEqual([res.body]);
      const stored = await queryDatabase<{ data: string }>(
        t.databaseUrl,
        'SELECT data FROM feature_imports WHERE id = $1',
        [res.body.id],
      );
      expect(stored[0].data).toBe(file);
    });

    it("a Flagsmith export imported into a new project exports again byte for byte as Flagsmith's file", async () => {
      const target = await newProject('From Flagsmith');
      const res = await upload(target.env.id, { file: FLAGSMITH_FILE, strategy: 'SKIP' });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('SUCCESS');
      const flags = await sdkFlags(target.env.api_key);
      expect(flags.get('max_items')).toBeUndefined(); // server-key-only: not served to client keys
      expect(flags.get('dark_mode')).toMatchObject({ enabled: true, feature_state_value: true });
      expect(flags.get('banner_text')).toMatchObject({ feature_state_value: 'Bonjour à tous' });
      const again = await createExport(target.env.id);
      expect((await download(again.body.id)).text).toBe(FLAGSMITH_FILE.toString('utf8'));
    });

    it('SKIP leaves existing features alone; OVERWRITE_DESTRUCTIVE replaces them in that environment only', async () => {
      const p = await newProject('Strategies');
      const staging = await createEnvironment(call, w.admin.token, p.project.id, 'Staging');
      const flag = await createFeature(p.project.id, { name: 'promo', initial_value: 'old' });
      const file = JSON.stringify([
        {
          name: 'promo',
          default_enabled: true,
          is_server_key_only: false,
          initial_value: 'ignored',
          value: 'new',
          type: 'unicode',
          enabled: true,
          multivariate: [],
        },
      ]);
      expect((await upload(p.env.id, { file, strategy: 'SKIP' })).body.status).toBe('SUCCESS');
      expect((await sdkFlags(p.env.api_key)).get('promo')).toMatchObject({
        enabled: false,
        feature_state_value: 'old',
      });

      const override = await call('POST', `/api/v1/environments/${p.env.api_key}/identities/`, {
        auth: w.admin.token,
        body: { identifier: 'ann' },
      });
      await call(
        'POST',
        `/api/v1/environments/${p.env.api_key}/identities/${override.body.id}/featurestates/`,
        {
          auth: w.admin.token,
          body: { feature: flag.id, enabled: true, feature_state_value: 'just ann' },
        },
      );
      expect((await upload(p.env.id, { file, strategy: 'OVERWRITE_DESTRUCTIVE' })).body.status).toBe(
        'SUCCESS',
      );
      expect((await sdkFlags(p.env.api_key)).get('promo')).toMatchObject({
        enabled: true,
        feature_state_value: 'new',
      });
      expect((await sdkFlags(staging.api_key)).get('promo')).toMatchObject({
        enabled: false,
        feature_state_value: 'old',
      });
      const identityOverrides = await queryDatabase(
        t.databaseUrl,
        'SELECT id FROM feature_states WHERE feature_id = $1 AND identity_id IS NOT NULL',
        [flag.id],
      );
      expect(identityOverrides).toEqual([]);
    });

    it("a name that is a feature of another project creates the project's own feature, the other is untouched", async () => {
      const other = await newProject('Other');
      await createFeature(other.project.id, { name: 'shared', initial_value: 'theirs' });
      const mine = await newProject('Mine');
      const file = JSON.stringify([
        {
          name: 'shared',
          default_enabled: true,
          is_server_key_only: false,
          initial_value: 'mine',
          value: 'mine',
          type: 'unicode',
          enabled: true,
          multivariate: [],
        },
      ]);
      expect((await upload(mine.env.id, { file, strategy: 'OVERWRITE_DESTRUCTIVE' })).status).toBe(201);
      expect((await sdkFlags(other.env.api_key)).get('shared')).toMatchObject({
        enabled: false,
        feature_state_value: 'theirs',
      });
      expect((await sdkFlags(mine.env.api_key)).get('shared')).toMatchObject({
        enabled: true,
        feature_state_value: 'mine',
      });
    });
  });

  describe('bad input', () => {
    const item = {
      name: 'x',
      default_enabled: true,
      is_server_key_only: false,
      initial_value: null,
      value: 'v',
      type: 'unicode',
      enabled: true,
      multivariate: [],
    };
    const unchanged = async (work: () => Promise<void>) => {
      const before = {
        ...(await tableCounts(t)),
        imports: await rowCount('feature_imports'),
        features: await rowCount('features'),
      };
      await work();
      const after = {
        ...(await tableCounts(t)),
        imports: await rowCount('feature_imports'),
        features: await rowCount('features'),
      };
      expect(after).toEqual(before);
    };

    it.each([
      ['not JSON', 'name,value\nx,1', /^The file is not valid JSON: /],
      ['not a list', '{"name": "x"}', /^The file is not a Flagsmith feature export: expected a list/],
      [
        'an item without enabled',
        JSON.stringify([{ ...item, enabled: undefined }]),
        /^Feature 1 \("x"\): "enabled" is missing\.$/,
      ],
      [
        'a value of the wrong type',
        JSON.stringify([{ ...item, type: 'int', value: 'ten' }]),
        /"value" must be a value of type "int"/,
      ],
      [
        'an unknown value type',
        JSON.stringify([item, { ...item, name: 'y', type: 'float' }]),
        /^Feature 2 \("y"\): "type" must be one of/,
      ],
      [
        'shares over 100',
        JSON.stringify([
          {
            ...item,
            multivariate: [
              { percentage_allocation: 80, default_percentage_allocation: 10, value: 'a', type: 'unicode' },
              { percentage_allocation: 30, default_percentage_allocation: 10, value: 'b', type: 'unicode' },
            ],
          },
        ]),
        /add up to more than 100/,
      ],
    ])(
      'an import file that is %s answers 400 naming the problem, nothing written',
      async (_what, file, problem) => {
        await unchanged(async () => {
          const res = await upload(w.env.id, { file, strategy: 'SKIP' });
          expect(res.status).toBe(400);
          expect(Object.keys(res.body)).toEqual(['file']);
          expect(res.body.file[0]).toMatch(problem);
        });
      },
    );

    it('a wrong strategy, no file, or a text field as the file answer 400 with DRF’s messages', async () => {
      await unchanged(async () => {
        expect(await upload(w.env.id, { file: '[]', strategy: 'MERGE' })).toEqual({
          status: 400,
          body: { strategy: ['"MERGE" is not a valid choice.'] },
        });
        expect(await upload(w.env.id, { strategy: 'SKIP' })).toEqual({
          status: 400,
          body: { file: ['No file was submitted.'] },
        });
        expect(await upload(w.env.id, { fileAsText: '[]', strategy: 'SKIP' })).toEqual({
          status: 400,
          body: { file: ['The submitted data was not a file. Check the encoding type on the form.'] },
        });
        expect(await upload(w.env.id, { file: '' })).toEqual({
          status: 400,
          body: { file: ['The submitted file is empty.'], strategy: ['This field is required.'] },
        });
      });
    });

    it('a file over 1 000 000 bytes answers 400 "File size is too large."; a body over the limit 413', async () => {
      await unchanged(async () => {
        const big = `[${' '.repeat(1_000_001)}]`;
        expect(await upload(w.env.id, { file: big, strategy: 'SKIP' })).toEqual({
          status: 400,
          body: { file: ['File size is too large.'] },
        });
        const huge = await upload(w.env.id, { file: 'x'.repeat(3_000_000), strategy: 'SKIP' });
        expect(huge.status).toBe(413);
      });
    });

    it('an import that a rule refuses is stored FAILED and changes no flag', async () => {
      const p = await newProject('Refused');
      await createFeature(p.project.id, {
        name: 'split',
        multivariate_options: [{ type: 'unicode', string_value: 'a', default_percentage_allocation: 90 }],
      });
      const file = JSON.stringify([
        { ...item, name: 'fresh' },
        {
          ...item,
          name: 'split',
          multivariate: [
            { percentage_allocation: 20, default_percentage_allocation: 20, value: 'b', type: 'unicode' },
          ],
        },
      ]);
      const res = await upload(p.env.id, { file, strategy: 'OVERWRITE_DESTRUCTIVE' });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('FAILED');
      // The whole import was rolled back: the first item's feature was not kept.
      expect((await sdkFlags(p.env.api_key)).has('fresh')).toBe(false);
    });
  });

  describe('permissions', () => {
    let outsider: { token: string };
    let outsiderEnv: { id: number; api_key: string };
    let outsiderProject: { id: number };
    beforeAll(async () => {
      outsider = await signUp(call);
      const org = await createOrganisation(call, outsider.token, 'Elsewhere');
      outsiderProject = await createProject(call, outsider.token, org.id, 'Theirs');
      outsiderEnv = await createEnvironment(call, outsider.token, outsiderProject.id, 'Prod');
    });

    it("another organisation's environment, export and project answer 404 (nothing leaks)", async () => {
      const theirExport = await createExport(outsiderEnv.id, [], outsider.token);
      expect(theirExport.status).toBe(201);
      await unchangedImports(async () => {
        expect((await createExport(outsiderEnv.id)).status).toBe(404);
        expect((await download(theirExport.body.id)).status).toBe(404);
        expect((await upload(outsiderEnv.id, { file: FLAGSMITH_FILE, strategy: 'SKIP' })).status).toBe(404);
        for (const list of ['feature-exports', 'feature-imports'])
          expect(
            (await call('GET', `/api/v1/projects/${outsiderProject.id}/${list}/`, { auth: w.admin.token }))
              .status,
          ).toBe(404);
      });
    });

    it('a member who is not an organisation admin may not import (403) nor export without environment admin', async () => {
      const member = await joinAsUser(call, w);
      await unchangedImports(async () => {
        expect(await upload(w.env.id, { file: FLAGSMITH_FILE, strategy: 'SKIP' }, member.token)).toEqual({
          status: 403,
          body: { detail: 'You do not have permission to perform this action.' },
        });
        expect((await createExport(w.env.id, [], member.token)).status).toBe(403);
      });
    });

    const unchangedImports = async (work: () => Promise<void>) => {
      const before = [await rowCount('feature_imports'), await rowCount('features')];
      await work();
      expect([await rowCount('feature_imports'), await rowCount('features')]).toEqual(before);
    };
  });

  it('download-flagsmith-on-flagsmith answers 404 when the system is not configured for it', async () => {
    const res = await call('GET', '/api/v1/features/download-flagsmith-on-flagsmith/');
    expect(res).toEqual({
      status: 404,
      body: { detail: 'This system is not configured for this download.' },
    });
  });
});

describe('feature import and export: Flagsmith on Flagsmith', () => {
  it('with an environment and a tag configured, anyone downloads the export of the tagged features', async () => {
    const setup = await startTestApp();
    const call = client(setup);
    const w = await makeWorld(call);
    const tag = await call('POST', `/api/v1/projects/${w.project.id}/tags/`, {
      auth: w.admin.token,
      body: { label: 'fof', color: '#000' },
    });
    for (const [name, tags] of [
      ['exported', [tag.body.id]],
      ['private', []],
    ] as const)
      await call('POST', `/api/v1/projects/${w.project.id}/features/`, {
        auth: w.admin.token,
        body: { name, tags },
      });
    await setup.close();
    const t = await startTestApp({
      DATABASE_URL: setup.databaseUrl,
      FLAGSMITH_ON_FLAGSMITH_FEATURE_EXPORT_ENVIRONMENT_ID: String(w.env.id),
      FLAGSMITH_ON_FLAGSMITH_FEATURE_EXPORT_TAG_ID: String(tag.body.id),
    });
    try {
      const first = await fetch(`${t.url}/api/v1/features/download-flagsmith-on-flagsmith/`);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-disposition')).toMatch(
        /^attachment; filename=flagsmith_on_flagsmith\.\d+\.json$/,
      );
      expect(((await first.json()) as Json[]).map((f) => f.name)).toEqual(['exported']);
      // Within a day the same export is served again (no new one made).
      const second = await fetch(`${t.url}/api/v1/features/download-flagsmith-on-flagsmith/`);
      expect(second.headers.get('content-disposition')).toBe(first.headers.get('content-disposition'));
    } finally {
      await t.close();
    }
  });
});
