import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { Environment } from '../environments/environment.entity';
import {
  Feature,
  FeatureState,
  MultivariateFeatureOption,
  MultivariateFeatureStateValue,
} from '../features/feature.entity';
import { CreateFeature, CreateMvOption, UpdateFeature, UpdateMvOption } from '../features/feature.schemas';
import { CreateFeatureState, UpdateFeatureState } from '../features/feature-state.schemas';
import { FeatureStatesService } from '../features/feature-states.service';
import { FeaturesService } from '../features/features.service';
import { MvOptionsService } from '../features/mv-options.service';
import { readInput } from '../http/schema';
import { Project } from '../projects/project.entity';
import { AdminWriteError, NO_SCOPE, Scope, Values, WritePolicy } from './admin-writer';

/** The API services that write features, multivariate options and feature states. */
export interface FeatureServices {
  features: FeaturesService;
  mvOptions: MvOptionsService;
  featureStates: FeatureStatesService;
}

/** `initialValue` → `initial_value`; entries left undefined (not sent / blank number) are dropped. */
function snakeBody(values: Values, rename: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    body[rename[key] ?? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return body;
}

function idOf(values: Values, key: string): number | undefined {
  const id = values[key];
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : undefined;
}

async function projectOf(dataSource: DataSource, id: number | undefined, field = 'projectId') {
  const project = id === undefined ? null : await dataSource.getRepository(Project).findOneBy({ id });
  if (!project) throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such project.' });
  return project;
}

async function featureOf(dataSource: DataSource, id: number | undefined, field = 'featureId') {
  const feature = id === undefined ? null : await dataSource.getRepository(Feature).findOneBy({ id });
  if (!feature) throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such feature.' });
  return feature;
}

/** The state's environment with its project (what FeatureStatesService's audit entry needs). */
async function environmentOf(dataSource: DataSource, state: FeatureState): Promise<Environment> {
  return dataSource
    .getRepository(Environment)
    .findOneOrFail({ where: { id: state.environmentId }, relations: { project: true } });
}

async function stateOf(dataSource: DataSource, id: number | undefined) {
  const state = id === undefined ? null : await dataSource.getRepository(FeatureState).findOneBy({ id });
  if (!state)
    throw new AdminWriteError({ featureStateId: id === undefined ? 'Required.' : 'No such feature state.' });
  return state;
}

/** Parent links of existing rows stay put, as in the API (their URLs name the parent). */
function unchanged<E extends object>(values: Values, row: E, message: string, ...keys: (keyof E & string)[]) {
  const errors: Record<string, string> = {};
  for (const key of keys) {
    if (!(key in values)) continue;
    const a = values[key] ?? null;
    const b = (row[key] as unknown) ?? null;
    // A blank text box is "no value" for a nullable text column.
    if (!((a === '' && b === null) || (a === null && b === '') || a === b)) errors[key] = message;
  }
  if (Object.keys(errors).length) throw new AdminWriteError(errors);
}

/** An item of a state's `multivariate_feature_state_values` (the panel's value is passed on unchecked). */
interface Share {
  multivariate_feature_option: unknown;
  percentage_allocation: unknown;
}

const FIXED_PARENT = 'Cannot be changed; create a new record instead.';

async function projectScope(dataSource: DataSource, projectId: number): Promise<Scope> {
  const project = await dataSource.getRepository(Project).findOneBy({ id: projectId });
  return { environmentId: null, projectId, organisationId: project?.organisationId ?? null };
}

/**
 * Features, multivariate options, feature states and their multivariate values are written by the API's own
 * services (FeaturesService, MvOptionsService, FeatureStatesService with its schemas via readInput),
 * called exactly as the API's controllers call them: same validation and 400 messages, same audit entry, same
 * EnvironmentChangesService call in the same transaction. Only the body is translated from the panel's columns.
 */
export function featurePolicies(api: FeatureServices, dataSource: DataSource) {
  /** Set at creation only: FeaturesService.update treats them as read-only (as Flagsmith does). */
  const featureCreateOnly = ['name', 'projectId', 'defaultEnabled', 'initialValue'] as const;

  const feature: WritePolicy<Feature> = {
    entity: Feature,
    label: 'Feature',
    auditType: 'FEATURE',
    impact: 'project',
    describe: (f) => f.name,
    scope: (_m, f) => projectScope(dataSource, f.projectId),
    service: {
      async create(principal, values) {
        const project = await projectOf(dataSource, idOf(values, 'projectId'));
        const { projectId: _p, type, ...rest } = values;
        // An unchosen type is the API's default (STANDARD).
        const body = snakeBody({ ...rest, ...(type === '' || type === null ? {} : { type }) });
        const json = await api.features.create(principal, project, readInput(CreateFeature, body));
        return dataSource.getRepository(Feature).findOneByOrFail({ id: json.id });
      },
      async update(principal, row, values) {
        unchanged(
          values,
          row,
          'Set when the feature is created; the API does not change it afterwards.',
          ...featureCreateOnly,
        );
        const project = await projectOf(dataSource, row.projectId);
        const rest = Object.fromEntries(
          Object.entries(values).filter(([key]) => !(featureCreateOnly as readonly string[]).includes(key)),
        );
        const input = readInput(UpdateFeature, snakeBody(rest), { partial: true });
        await api.features.update(principal, project, row.id, input);
        return dataSource.getRepository(Feature).findOneByOrFail({ id: row.id });
      },
      async remove(principal, row) {
        await api.features.remove(principal, await projectOf(dataSource, row.projectId), row.id);
      },
    },
  };

  /** Panel columns of an option → the mv-options body (a blank key is no key). */
  const optionBody = (values: Values) => {
    const { featureId: _f, key, ...rest } = values;
    return snakeBody({ ...rest, ...(key === undefined ? {} : { key: key === '' ? null : key }) });
  };

  const mvOption: WritePolicy<MultivariateFeatureOption> = {
    entity: MultivariateFeatureOption,
    label: 'Multivariate option',
    auditType: 'FEATURE',
    impact: 'project',
    describe: (o) => `${o.stringValue ?? o.integerValue ?? o.booleanValue ?? ''} (feature ${o.featureId})`,
    async scope(_m, o) {
      const f = await dataSource.getRepository(Feature).findOneBy({ id: o.featureId });
      return f ? projectScope(dataSource, f.projectId) : NO_SCOPE;
    },
    service: {
      async create(principal, values) {
        const parent = await featureOf(dataSource, idOf(values, 'featureId'));
        const project = await projectOf(dataSource, parent.projectId);
        return api.mvOptions.create(
          principal,
          project,
          parent,
          readInput(CreateMvOption, optionBody(values)),
        );
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'featureId');
        const parent = await featureOf(dataSource, row.featureId);
        const project = await projectOf(dataSource, parent.projectId);
        const input = readInput(UpdateMvOption, optionBody(values), { partial: true });
        return api.mvOptions.update(principal, project, parent, row.id, input);
      },
      async remove(principal, row) {
        const parent = await featureOf(dataSource, row.featureId);
        await api.mvOptions.remove(principal, await projectOf(dataSource, parent.projectId), parent, row.id);
      },
    },
  };

  const VALUE_COLUMNS = ['valueType', 'stringValue', 'integerValue', 'booleanValue'] as const;

  /** `enabled` and the typed value form of /api/v1/features/featurestates/ (columns not sent keep theirs). */
  const stateBody = (values: Values, row: FeatureState | null): Record<string, unknown> => {
    const body: Record<string, unknown> = {};
    if (values.enabled !== undefined) body.enabled = values.enabled;
    if (VALUE_COLUMNS.some((key) => values[key] !== undefined)) {
      const pick = (key: (typeof VALUE_COLUMNS)[number]) =>
        values[key] !== undefined ? values[key] : (row?.[key] ?? null);
      body.feature_state_value = {
        type: pick('valueType'),
        string_value: pick('stringValue'),
        integer_value: pick('integerValue'),
        boolean_value: pick('booleanValue'),
      };
    }
    return body;
  };

  const featureState: WritePolicy<FeatureState> = {
    entity: FeatureState,
    label: 'Feature state',
    auditType: 'FEATURE_STATE',
    impact: 'environment',
    describe: (s) => `feature ${s.featureId} in environment ${s.environmentId}`,
    scope: async (_m, s) => ({ ...NO_SCOPE, environmentId: s.environmentId }),
    service: {
      async create(principal, values) {
        const body = {
          ...stateBody(values, null),
          feature: values.featureId,
          environment: values.environmentId,
          feature_segment: values.featureSegmentId ?? null,
          identity: values.identityId ?? null,
        };
        const json = await api.featureStates.create(principal, readInput(CreateFeatureState, body));
        return dataSource.getRepository(FeatureState).findOneByOrFail({ id: json.id });
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'featureId', 'environmentId', 'identityId', 'featureSegmentId');
        const env = await environmentOf(dataSource, row);
        const input = readInput(UpdateFeatureState, stateBody(values, row), { partial: true });
        await api.featureStates.update(principal, env, row, input);
        return dataSource.getRepository(FeatureState).findOneByOrFail({ id: row.id });
      },
      remove() {
        return Promise.reject(
          new AdminWriteError(
            {},
            'Feature states go with their feature, segment override or identity; the API does not delete them.',
          ),
        );
      },
    },
    fields: { 'feature_state_value.type': 'valueType' },
  };

  /**
   * One option's share of a state. The API writes a state's shares as a whole list (PATCH
   * /features/featurestates/{id}/ with `multivariate_feature_state_values`): the panel edits one item of that list
   * and sends the list, so the sum, option and uniqueness checks, audit entry and cache drop are the API's.
   */
  const writeShares = async (
    principal: Principal,
    stateId: number | undefined,
    edit: (list: Share[]) => void,
  ) => {
    const state = await stateOf(dataSource, stateId);
    const current = await dataSource
      .getRepository(MultivariateFeatureStateValue)
      .find({ where: { featureStateId: state.id }, order: { id: 'ASC' } });
    const list = current.map((v): Share => ({
      multivariate_feature_option: v.multivariateFeatureOptionId,
      percentage_allocation: v.percentageAllocation,
    }));
    edit(list);
    const env = await environmentOf(dataSource, state);
    const input = readInput(
      UpdateFeatureState,
      { multivariate_feature_state_values: list },
      { partial: true },
    );
    await api.featureStates.update(principal, env, state, input);
    return state;
  };
  const shareOf = async (stateId: number, optionId: unknown) =>
    dataSource
      .getRepository(MultivariateFeatureStateValue)
      .findOneByOrFail({ featureStateId: stateId, multivariateFeatureOptionId: Number(optionId) });

  const mvStateValue: WritePolicy<MultivariateFeatureStateValue> = {
    entity: MultivariateFeatureStateValue,
    label: 'Multivariate state value',
    auditType: 'FEATURE_STATE',
    impact: 'environment',
    describe: (v) => `option ${v.multivariateFeatureOptionId} of feature state ${v.featureStateId}`,
    async scope(_m, v) {
      const state = await dataSource.getRepository(FeatureState).findOneBy({ id: v.featureStateId });
      return { ...NO_SCOPE, environmentId: state?.environmentId ?? null };
    },
    service: {
      async create(principal, values) {
        const optionId = values.multivariateFeatureOptionId;
        const state = await writeShares(principal, idOf(values, 'featureStateId'), (list) =>
          list.push({
            multivariate_feature_option: optionId,
            percentage_allocation: values.percentageAllocation,
          }),
        );
        return shareOf(state.id, optionId);
      },
      async update(principal, row, values) {
        unchanged(values, row, FIXED_PARENT, 'featureStateId', 'multivariateFeatureOptionId');
        await writeShares(principal, row.featureStateId, (list) => {
          const item = list.find((i) => i.multivariate_feature_option === row.multivariateFeatureOptionId);
          if (item && values.percentageAllocation !== undefined)
            item.percentage_allocation = values.percentageAllocation;
        });
        return shareOf(row.featureStateId, row.multivariateFeatureOptionId);
      },
      async remove(principal, row) {
        await writeShares(principal, row.featureStateId, (list) => {
          const index = list.findIndex(
            (i) => i.multivariate_feature_option === row.multivariateFeatureOptionId,
          );
          if (index >= 0) list.splice(index, 1);
        });
      },
    },
  };

  return { feature, mvOption, featureState, mvStateValue };
}
