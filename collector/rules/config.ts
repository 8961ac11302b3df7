import { DEFAULT_RULES_CONFIG, type RulesConfig } from './manager.js';

const DURATION = {
  type: 'string',
  pattern: '^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$',
  patternDescription: 'a Prometheus duration (e.g. 30s, 1m, 1h30m)',
} as const;

/** The `rules:` section of the collector config: schema property (defaults and descriptions). */
export const rulesSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Alert and recording rules (Prometheus rule files) evaluated in the collector; see collector/rules/README.md.',
  properties: {
    enabled: {
      type: 'boolean',
      default: DEFAULT_RULES_CONFIG.enabled,
      description: 'Evaluate rules. false: no rules, no window, the rules API answers with no groups.',
    },
    builtin: {
      type: 'boolean',
      default: DEFAULT_RULES_CONFIG.builtin,
      description: 'Load the shipped rules (rules/alerts/*.yaml) before the configured files.',
    },
    files: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: DEFAULT_RULES_CONFIG.files,
      description:
        'More rule files, as paths or globs (*, ?, [..]) relative to the working directory. Loaded at start and on reload; a broken file refuses the reload (the rules in force keep running).',
    },
    evaluationInterval: {
      ...DURATION,
      default: DEFAULT_RULES_CONFIG.evaluationInterval,
      description: 'Evaluation interval of groups that set no interval of their own.',
    },
    resendDelay: {
      ...DURATION,
      default: DEFAULT_RULES_CONFIG.resendDelay,
      description: 'A firing alert is sent again this often (endsAt = now + 4 × max(resendDelay, group interval)).',
    },
    outageTolerance: {
      ...DURATION,
      default: DEFAULT_RULES_CONFIG.outageTolerance,
      description:
        "Alert state saved less than this long before a restart is restored (as Prometheus's --rules.alert.for-outage-tolerance); older state is dropped.",
    },
    forGracePeriod: {
      ...DURATION,
      default: DEFAULT_RULES_CONFIG.forGracePeriod,
      description: "After a restart a restored pending alert fires no sooner than this (Prometheus's --rules.alert.for-grace-period).",
    },
    externalLabels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: DEFAULT_RULES_CONFIG.externalLabels,
      description: 'Labels templates read as $externalLabels (they are not added to alerts).',
    },
    externalURL: { type: 'string', default: DEFAULT_RULES_CONFIG.externalURL, description: "Base URL of alerts' generatorURL and templates' $externalURL." },
    window: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'The in-memory window the rules read (only the series they select, as far back as they read).',
      properties: {
        maxSeries: {
          type: 'integer',
          minimum: 1,
          default: DEFAULT_RULES_CONFIG.window.maxSeries,
          description: 'Most series held; samples of further series are dropped and counted.',
        },
        keepAll: {
          type: 'boolean',
          default: DEFAULT_RULES_CONFIG.window.keepAll,
          description: 'Hold every series (not only those the rules select), so /api/v1/query answers for any metric. Costs memory.',
        },
      },
    },
  },
} as const;

export type { RulesConfig };
