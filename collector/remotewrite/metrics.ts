import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus's own remote-write metrics (prometheus_remote_storage_*), under the xunjian_ prefix. */
export function remoteWriteMetrics(registry: Registry) {
  const labelNames = ['remote_name', 'url'] as const;
  const registers = [registry];
  return {
    samplesIn: new Counter({
      name: 'xunjian_remote_storage_samples_in_total',
      help: 'Samples appended to the remote-write queues (once per sample, whatever the number of endpoints).',
      registers,
    }),
    highestIn: new Gauge({
      name: 'xunjian_remote_storage_highest_timestamp_in_seconds',
      help: 'Highest sample timestamp appended to the remote-write queues, seconds since the epoch.',
      registers,
    }),
    samples: new Counter({ name: 'xunjian_remote_storage_samples_total', help: 'Samples sent and acknowledged (2xx) by the endpoint.', labelNames, registers }),
    failed: new Counter({
      name: 'xunjian_remote_storage_samples_failed_total',
      help: 'Samples of requests the endpoint refused with a non-retryable status (4xx other than 429): dropped.',
      labelNames,
      registers,
    }),
    retried: new Counter({
      name: 'xunjian_remote_storage_samples_retried_total',
      help: 'Samples of requests retried after a 5xx, 429 or network error (per retry).',
      labelNames,
      registers,
    }),
    dropped: new Counter({
      name: 'xunjian_remote_storage_samples_dropped_total',
      help: 'Samples dropped without being sent, by reason: superseded (a later value at the same series and timestamp), backlog_full (the oldest unsent samples beyond queue.maxBacklogBytes).',
      labelNames: [...labelNames, 'reason'] as const,
      registers,
    }),
    backlogBytes: new Gauge({
      name: 'xunjian_remote_storage_backlog_bytes',
      help: 'Bytes of the durable backlog the endpoint still needs (collector database, uncompressed protobuf), as of the last checkpoint.',
      labelNames,
      registers,
    }),
    maxBacklogBytes: new Gauge({
      name: 'xunjian_remote_storage_max_backlog_bytes',
      help: 'Cap of the durable backlog (queue.maxBacklogBytes); 0: no cap.',
      labelNames,
      registers,
    }),
    pending: new Gauge({
      name: 'xunjian_remote_storage_samples_pending',
      help: 'Samples queued (durable backlog, shard buffers and requests in flight) not yet acknowledged.',
      labelNames,
      registers,
    }),
    highestSent: new Gauge({
      name: 'xunjian_remote_storage_queue_highest_sent_timestamp_seconds',
      help: 'Highest sample timestamp the endpoint acknowledged, seconds since the epoch.',
      labelNames,
      registers,
    }),
    shards: new Gauge({ name: 'xunjian_remote_storage_shards', help: 'Shards (concurrent requests) the queue runs.', labelNames, registers }),
    shardsDesired: new Gauge({
      name: 'xunjian_remote_storage_shards_desired',
      help: 'Shards the queue computed it needs (incoming rate, time per sample sent, pending backlog), before tolerance and bounds.',
      labelNames,
      registers,
    }),
    shardsMin: new Gauge({ name: 'xunjian_remote_storage_shards_min', help: 'Fewest shards (queue.minShards).', labelNames, registers }),
    shardsMax: new Gauge({ name: 'xunjian_remote_storage_shards_max', help: 'Most shards (queue.maxShards).', labelNames, registers }),
    shardCapacity: new Gauge({ name: 'xunjian_remote_storage_shard_capacity', help: 'Samples each shard holds in memory.', labelNames, registers }),
    maxSamplesPerSend: new Gauge({ name: 'xunjian_remote_storage_max_samples_per_send', help: 'Most samples in one request.', labelNames, registers }),
    bytes: new Counter({
      name: 'xunjian_remote_storage_bytes_total',
      help: 'Request bytes sent (snappy-compressed protobuf), acknowledged or not.',
      labelNames,
      registers,
    }),
    duration: new Histogram({
      name: 'xunjian_remote_storage_sent_batch_duration_seconds',
      help: 'Duration of one request (each attempt).',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60],
      registers,
    }),
  };
}

export type RemoteWriteMetrics = ReturnType<typeof remoteWriteMetrics>;
