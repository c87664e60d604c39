import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
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
import {
  AdminWriteError,
  FIXED_PARENT,
  idOf,
  snakeBody,
  unchanged,
  Values,
  WritePolicy,
} from './admin-writer';
import { environmentOf, projectOf } from './panel-lookups';

/** The API services that write features, multivariate options and feature states. */
export interface FeatureServices {
  features: FeaturesService;
  mvOptions: MvOptionsService;
  featureStates: FeatureStatesService;
}

async function featureOf(dataSource: DataSource, id: number | undefined, field = 'featureId') {
  const feature = id === undefined ? null : await dataSource.getRepository(Feature).findOneBy({ id });
  if (!feature) throw new AdminWriteError({ [field]: id === undefined ? 'Required.' : 'No such feature.' });
  return feature;
}

async function stateOf(dataSource: DataSource, id: number | undefined) {
  const state = id === undefined ? null : await dataSource.getRepository(FeatureState).findOneBy({ id });
  if (!state)
    throw new AdminWriteError({ featureStateId: id === undefined ? 'Required.' : 'No such feature state.' });
  return state;
}

/** An item of a state's `multivariate_feature_state_values` (the panel's value is passed on unchecked). */
interface Share {
  multivariate_feature_option: unknown;
  percentage_allocation: unknown;
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
        const env = await environmentOf(dataSource, row.environmentId);
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
    const env = await environmentOf(dataSource, state.environmentId);
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
