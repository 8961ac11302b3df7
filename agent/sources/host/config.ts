import type { FromSchema } from '../../../lib/schema-type.js';

export const hostSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Host metrics of the machine the agent runs on (CPU, memory, load, filesystems, network).',
  properties: {
    enabled: { type: 'boolean', default: true, description: 'Collect host metrics.' },
    intervalSeconds: { type: 'integer', minimum: 5, maximum: 3600, default: 60, description: 'Seconds between collections.' },
    excludeFilesystemTypes: {
      type: 'array',
      items: { type: 'string' },
      default: ['tmpfs', 'devtmpfs', 'overlay', 'squashfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'nsfs', 'autofs'],
      description: 'Filesystem types left out of node_filesystem_* series.',
    },
    excludeInterfaces: {
      type: 'array',
      items: { type: 'string' },
      default: ['^lo$', '^veth', '^docker', '^br-', '^cni', '^flannel'],
      description: 'Regular expressions of interface names left out of node_network_* series.',
    },
  },
} as const;

export type HostSourceConfig = FromSchema<typeof hostSourceSchema>;
