import { Call, client, createEnvironment, createOrganisation, createProject, signUp } from './api-helpers';
import {
  grantEnvironment,
  grantProject,
  insertFeature,
  joinAsUser,
  makeWorld,
  World,
} from './admin-fixtures';
import { startTestApp, TestApp } from './support/app';

const RULES = [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }];

/** GET /api/v1/features/feature-segments/{id}/ and …/get-by-uuid/{uuid}/ (the dashboard's getFeatureSegment). */
describe('feature segment lookups', () => {
  let t: TestApp;
  let call: Call;
  let w: World;
  let slot: { id: number; uuid: string; segment: number; feature: number };
  beforeAll(async () => {
    t = await startTestApp();
    call = client(t);
    w = await makeWorld(call);
    const feature = await insertFeature(t, w.project.id, 'lookups');
    const segment = await call('POST', `/api/v1/projects/${w.project.id}/segments/`, {
      auth: w.admin.token,
      body: { name: 'pro users', rules: RULES },
    });
    const res = await call('POST', '/api/v1/features/feature-segments/', {
      auth: w.admin.token,
      body: { feature: feature.id, segment: segment.body.id, environment: w.env.id },
    });
    slot = res.body;
  });
  afterAll(async () => {
    await t.close();
  });

  const expected = () => ({
    id: slot.id,
    uuid: slot.uuid,
    feature: slot.feature,
    segment: slot.segment,
    environment: w.env.id,
    priority: 0,
    segment_name: 'pro users',
    is_feature_specific: false,
  });

  it('a slot by id answers 200 with the list shape (segment_name, is_feature_specific)', async () => {
    const res = await call('GET', `/api/v1/features/feature-segments/${slot.id}/`, { auth: w.admin.token });
    expect(res).toEqual({ status: 200, body: expected() });
  });

  it('a slot by uuid answers the same; an unknown or malformed uuid 404', async () => {
    const res = await call('GET', `/api/v1/features/feature-segments/get-by-uuid/${slot.uuid}/`, {
      auth: w.admin.token,
    });
    expect(res).toEqual({ status: 200, body: expected() });
    for (const uuid of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', slot.uuid.toUpperCase()])
      expect(
        (await call('GET', `/api/v1/features/feature-segments/get-by-uuid/${uuid}/`, { auth: w.admin.token }))
          .status,
      ).toBe(404);
  });

  it("another organisation's user gets 404; a member without MANAGE_SEGMENT_OVERRIDES 403", async () => {
    const outsider = await signUp(call);
    const org = await createOrganisation(call, outsider.token, 'Other');
    const project = await createProject(call, outsider.token, org.id);
    await createEnvironment(call, outsider.token, project.id);
    for (const path of [`${slot.id}/`, `get-by-uuid/${slot.uuid}/`])
      expect(
        (await call('GET', `/api/v1/features/feature-segments/${path}`, { auth: outsider.token })).status,
      ).toBe(404);
    const member = await joinAsUser(call, w);
    await grantProject(call, w, member.id, ['VIEW_PROJECT']);
    await grantEnvironment(call, w, member.id, ['VIEW_ENVIRONMENT']);
    expect(
      (await call('GET', `/api/v1/features/feature-segments/${slot.id}/`, { auth: member.token })).status,
    ).toBe(403);
    const manager = await joinAsUser(call, w);
    await grantProject(call, w, manager.id, ['VIEW_PROJECT']);
    await grantEnvironment(call, w, manager.id, ['VIEW_ENVIRONMENT', 'MANAGE_SEGMENT_OVERRIDES']);
    const res = await call('GET', `/api/v1/features/feature-segments/${slot.id}/`, { auth: manager.token });
    expect(res.status).toBe(200);
  });
});
