/** The `mlps` section of the collector config (collector/mlps/README.md). */
export interface MlpsConfig {
  enabled: boolean;
  /** Pack folder; empty = the shipped rules/mlps. */
  rulesDir: string;
  /** YAML parameter overrides per zone/site/node; empty = none. */
  paramsFile: string;
  evaluateIntervalMinutes: number;
  /** Overrides the packs' `maxFactAgeHours` default (0 = keep the pack's, 24 h). */
  staleAfterHours: number;
}

export const DEFAULT_MLPS_CONFIG: MlpsConfig = { enabled: true, rulesDir: '', paramsFile: '', evaluateIntervalMinutes: 60, staleAfterHours: 0 };

export const mlpsSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'MLPS 2.0 (等保 2.0) evaluation of nodes, devices and the collector (collector/mlps/README.md).',
  properties: {
    enabled: {
      type: 'boolean',
      default: true,
      description: 'Evaluate targets against the level 2/3 packs, serve /api/v1/compliance, export xunjian_mlps_* metrics.',
    },
    rulesDir: {
      type: 'string',
      default: '',
      description: 'Folder of the MLPS packs (clauses.yaml, base.yaml, level2.yaml, level3.yaml). Empty: the shipped rules/mlps.',
    },
    paramsFile: {
      type: 'string',
      default: '',
      description: 'YAML parameter overrides (defaults, zones, sites, nodes; see rules/mlps/README.md). Empty: the packs\u2019 defaults.',
    },
    evaluateIntervalMinutes: {
      type: 'number',
      minimum: 1,
      default: 60,
      description: 'Re-evaluate every target from its stored facts this often, so facts that stopped coming turn unknown.',
    },
    staleAfterHours: {
      type: 'number',
      minimum: 0,
      default: 0,
      description: 'Facts older than this make a check unknown (the packs\u2019 maxFactAgeHours default). 0: keep the pack default (24 h).',
    },
  },
} as const;
