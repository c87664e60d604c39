import { S, type Static } from '../http/schema';

/** Flagsmith's KnownSDK labels (app_analytics/types.py) and "unknown". */
export const SDK_LABELS = [
  'flagsmith-dotnet-sdk',
  'flagsmith-elixir-sdk',
  'flagsmith-flutter-sdk',
  'flagsmith-go-sdk',
  'flagsmith-java-sdk',
  'flagsmith-js-sdk',
  'flagsmith-kotlin-android-sdk',
  'flagsmith-nodejs-sdk',
  'flagsmith-php-sdk',
  'flagsmith-python-sdk',
  'flagsmith-ruby-sdk',
  'flagsmith-rust-sdk',
  'flagsmith-swift-ios-sdk',
  'unknown',
] as const;

export const OnboardingStatusJson = S.response(
  {
    first_evaluated_at: S.nullable(S.dateTime()),
    first_evaluated_sdk_label: S.nullable(S.string()),
  },
  { title: 'EnvironmentOnboardingStatus' },
);
export type OnboardingStatusJson = Static<typeof OnboardingStatusJson>;

export const RecordFirstEvaluation = S.object({ first_evaluated_sdk_label: S.choice(SDK_LABELS) });
export type RecordFirstEvaluationInput = Static<typeof RecordFirstEvaluation>;
