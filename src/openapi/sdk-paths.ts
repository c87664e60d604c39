import type { OpenAPIObject, ParameterObject } from '@nestjs/swagger';

/**
 * The SDK endpoints (docs/contracts/sdk-api.md) are raw Fastify routes (src/sdk/sdk.routes.ts), invisible to Nest's
 * scanner: this static fragment describes them and is merged into the generated document.
 */

type Paths = OpenAPIObject['paths'];
type Schemas = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const keyError = json(ref('Detail'), 'Missing, unknown, inactive or expired environment key');
const TAG = 'sdk';
const security = [{ 'X-Environment-Key': [] }];
const VALUE = { nullable: true, oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] };

export const SDK_SCHEMAS: Schemas = {
  Detail: { type: 'object', properties: { detail: { type: 'string' } }, required: ['detail'] },
  SdkFeature: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      name: { type: 'string' },
      type: { type: 'string', enum: ['STANDARD', 'MULTIVARIATE'] },
      created_date: { type: 'string', format: 'date-time', nullable: true },
      description: { type: 'string', nullable: true },
      initial_value: { type: 'string', nullable: true },
      default_enabled: { type: 'boolean', nullable: true },
    },
    required: ['id', 'name', 'type'],
  },
  SdkFlag: {
    type: 'object',
    description:
      'Fields other than feature, enabled and feature_state_value are null with hide_sensitive_data.',
    properties: {
      id: { type: 'integer', nullable: true },
      feature: ref('SdkFeature'),
      feature_state_value: VALUE,
      environment: { type: 'integer', nullable: true },
      identity: { type: 'integer', nullable: true },
      feature_segment: { type: 'integer', nullable: true },
      enabled: { type: 'boolean' },
    },
    required: ['feature', 'feature_state_value', 'enabled'],
  },
  SdkIdentityFlag: {
    allOf: [
      ref('SdkFlag'),
      {
        type: 'object',
        properties: {
          variant: {
            type: 'string',
            nullable: true,
            description: 'Key of the multivariate option bucketed to, "control", or null',
          },
        },
      },
    ],
  },
  SdkTrait: {
    type: 'object',
    properties: {
      id: { type: 'integer', nullable: true },
      trait_key: { type: 'string' },
      trait_value: { nullable: true, oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
      transient: { type: 'boolean' },
    },
    required: ['trait_key', 'trait_value'],
  },
  SdkIdentity: {
    type: 'object',
    properties: {
      identifier: { type: 'string' },
      flags: { type: 'array', items: ref('SdkIdentityFlag') },
      traits: { type: 'array', items: ref('SdkTrait') },
    },
    required: ['identifier', 'flags', 'traits'],
  },
  SdkTraitInput: {
    type: 'object',
    properties: {
      identity: { type: 'object', properties: { identifier: { type: 'string' } }, required: ['identifier'] },
      trait_key: { type: 'string' },
      trait_value: {
        nullable: true,
        description: 'null deletes the trait',
        oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
      },
    },
    required: ['identity', 'trait_key', 'trait_value'],
  },
  EnvironmentDocument: {
    type: 'object',
    description: 'The local-evaluation environment document (sdk-api.md §5.1)',
    properties: {
      id: { type: 'integer' },
      api_key: { type: 'string', description: 'The client key' },
      name: { type: 'string' },
      project: { type: 'object' },
      feature_states: { type: 'array', items: { type: 'object' } },
      identity_overrides: { type: 'array', items: { type: 'object' } },
    },
    required: ['id', 'api_key', 'project', 'feature_states'],
  },
};

const featureQuery: ParameterObject = {
  name: 'feature',
  in: 'query',
  required: false,
  description: 'A feature name: answer that one flag (an object, 404 when absent) instead of the list',
  schema: { type: 'string' },
};

export const SDK_PATHS: Paths = {
  '/api/v1/flags/': {
    get: {
      tags: [TAG],
      operationId: 'sdk_flags',
      summary: 'Environment flags (environment defaults, no identity)',
      security,
      parameters: [featureQuery],
      responses: {
        '200': json({ type: 'array', items: ref('SdkFlag') }, 'Flags, or one flag with ?feature='),
        '403': keyError,
        '404': json(ref('Detail'), 'Given feature not found'),
      },
    },
  },
  '/api/v1/identities/': {
    get: {
      tags: [TAG],
      operationId: 'sdk_identity',
      summary: 'Flags and stored traits of an identity (created when unknown unless transient)',
      security,
      parameters: [
        { name: 'identifier', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'transient', in: 'query', required: false, schema: { type: 'string' } },
        featureQuery,
      ],
      responses: { '200': json(ref('SdkIdentity'), 'The identity'), '403': keyError },
    },
    post: {
      tags: [TAG],
      operationId: 'sdk_identify',
      summary:
        'Identify with traits: upserts traits (unless transient) and answers the evaluated flags (200)',
      security,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                identifier: { type: 'string', nullable: true },
                traits: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      trait_key: { type: 'string' },
                      trait_value: {
                        nullable: true,
                        oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
                      },
                      transient: { type: 'boolean' },
                    },
                    required: ['trait_key'],
                  },
                },
                transient: { type: 'boolean' },
              },
            },
          },
        },
      },
      responses: {
        '200': json(ref('SdkIdentity'), 'The identity with its flags'),
        '400': { description: 'Validation errors' },
        '403': keyError,
      },
    },
  },
  '/api/v1/environment-document/': {
    get: {
      tags: [TAG],
      operationId: 'sdk_environment_document',
      summary: 'Environment document for local evaluation (server-side ser. keys only)',
      security,
      parameters: [{ name: 'If-Modified-Since', in: 'header', required: false, schema: { type: 'string' } }],
      responses: {
        '200': json(ref('EnvironmentDocument'), 'The document'),
        '304': { description: 'Not modified since If-Modified-Since' },
        '403': keyError,
      },
    },
  },
  '/api/v1/traits/': {
    post: {
      tags: [TAG],
      operationId: 'sdk_set_trait',
      summary: 'Set one trait of an identity (created when unknown)',
      security,
      requestBody: { required: true, content: { 'application/json': { schema: ref('SdkTraitInput') } } },
      responses: {
        '200': json(ref('SdkTraitInput'), 'The trait echoed'),
        '400': { description: 'Validation errors' },
        '403': keyError,
      },
    },
  },
  '/api/v1/traits/bulk/': {
    put: {
      tags: [TAG],
      operationId: 'sdk_set_traits',
      summary: 'Set many traits (null values delete)',
      security,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'array', items: ref('SdkTraitInput') } } },
      },
      responses: {
        '200': json({ type: 'array', items: ref('SdkTraitInput') }, 'The non-null traits echoed'),
        '400': { description: 'Validation errors' },
        '403': keyError,
      },
    },
  },
  '/api/v1/traits/increment-value/': {
    post: {
      tags: [TAG],
      operationId: 'sdk_increment_trait',
      summary: 'Add to an integer trait',
      security,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                trait_key: { type: 'string' },
                identifier: { type: 'string' },
                increment_by: { type: 'integer' },
              },
              required: ['trait_key', 'identifier', 'increment_by'],
            },
          },
        },
      },
      responses: {
        '200': json(
          {
            type: 'object',
            properties: {
              trait_key: { type: 'string' },
              trait_value: { type: 'integer' },
              identifier: { type: 'string' },
            },
          },
          'The new value',
        ),
        '400': { description: 'The trait is not an integer' },
        '403': keyError,
      },
    },
  },
  '/api/v1/flags/{feature_id}/multivariate-options/': {
    get: {
      tags: [TAG],
      operationId: 'sdk_multivariate_options',
      summary: 'Multivariate options of a feature',
      security,
      parameters: [{ name: 'feature_id', in: 'path', required: true, schema: { type: 'integer' } }],
      responses: {
        '200': json({ type: 'array', items: { type: 'object' } }, 'The options'),
        '403': keyError,
      },
    },
  },
  '/api/v1/analytics/flags/': {
    post: {
      tags: [TAG],
      operationId: 'sdk_flag_analytics',
      summary: 'Flag evaluation counts: {"<feature name>": <count>}',
      security,
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { type: 'object', additionalProperties: { type: 'integer' } } },
        },
      },
      responses: {
        '200': { description: 'Counted' },
        '400': { description: 'Not an object' },
        '403': keyError,
      },
    },
  },
  '/api/v2/analytics/flags/': {
    post: {
      tags: [TAG],
      operationId: 'sdk_flag_analytics_v2',
      summary: 'Flag evaluation counts with identities',
      security,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                evaluations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      feature_name: { type: 'string' },
                      identity_identifier: { type: 'string', nullable: true },
                      enabled_when_evaluated: { type: 'boolean' },
                      count: { type: 'integer' },
                    },
                    required: ['feature_name'],
                  },
                },
              },
              required: ['evaluations'],
            },
          },
        },
      },
      responses: {
        '204': { description: 'Counted' },
        '400': { description: 'No evaluations' },
        '403': keyError,
      },
    },
  },
};
