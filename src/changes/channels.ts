/** Channel of environment changes. Payload: JSON {"environment_ids": [1, 2], "api_keys": ["…", "…"]}. */
export const ENVIRONMENT_CHANGED_CHANNEL = 'flagport_environment_changed';

/**
 * Channel for identity changes (traits written, identity created or deleted) that need no environment bump.
 * Payload: JSON {"o": "<instance id>", "e": <environment id>, "i": ["<identifier>", …] | null (= all of them)}.
 */
export const IDENTITY_CHANGED_CHANNEL = 'flagport_identity_changed';

/** Channel that wakes the job workers: a unit of work enqueued jobs (sent in its transaction, so at commit). No payload. */
export const JOB_ENQUEUED_CHANNEL = 'flagport_job_enqueued';

/** Every channel the change feed LISTENs on. */
export const CHANGE_CHANNELS: readonly string[] = [
  ENVIRONMENT_CHANGED_CHANNEL,
  IDENTITY_CHANGED_CHANNEL,
  JOB_ENQUEUED_CHANNEL,
];
