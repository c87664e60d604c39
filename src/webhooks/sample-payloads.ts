/**
 * The bodies POST /webhooks/test/ sends (Flagsmith's generate_environment_sample_webhook_data and
 * generate_organisation_sample_webhook_data): fixed example data, no object of the caller's.
 */

function sampleState(enabled: boolean, value: string): Record<string, unknown> {
  return {
    feature: {
      id: 1,
      created_date: '2021-02-10T20:03:43.348556Z',
      default_enabled: false,
      description: 'This is a description',
      initial_value: null,
      name: 'test_feature',
      project: { id: 1, name: 'Test Project' },
      type: 'CONFIG',
    },
    environment: { id: 1, name: 'Development' },
    identity: 1,
    identity_identifier: 'test_identity',
    feature_segment: null,
    enabled,
    feature_state_value: value,
    multivariate_feature_state_values: [
      { id: 1, multivariate_feature_option: { id: 1, value: 'variant_a' }, percentage_allocation: 50 },
    ],
  };
}

/** A FLAG_UPDATED event, as an environment webhook gets it. */
export function environmentSample(): Record<string, unknown> {
  return {
    event_type: 'FLAG_UPDATED',
    data: {
      changed_by: 'user@domain.com',
      timestamp: '2021-06-18T07:50:26.595298Z',
      new_state: sampleState(true, 'feature_state_value'),
      previous_state: sampleState(false, 'old_feature_state_value'),
    },
  };
}

/** An AUDIT_LOG_CREATED event, as an organisation webhook gets it. */
export function organisationSample(): Record<string, unknown> {
  return {
    event_type: 'AUDIT_LOG_CREATED',
    data: {
      created_date: '2020-02-23T17:30:57.006318Z',
      log: 'New Flag / Remote Config created: my_feature',
      author: { id: 1, email: 'user@domain.com', first_name: 'Jane', last_name: 'Doe' },
      environment: null,
      project: { id: 1, name: 'Test Project', organisation: 1 },
      related_object_id: 1,
      related_object_type: 'FEATURE',
    },
  };
}
