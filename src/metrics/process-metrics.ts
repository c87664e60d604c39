import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, IntervalHistogram } from 'node:perf_hooks';

/**
 * The process metrics prom-client's collectDefaultMetrics() exposes, under the same names: CPU, memory, open file
 * descriptors, start time, heap, event-loop delay, active resources and the Node.js version.
 */
export class ProcessMetrics {
  private readonly startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  private readonly loopDelay: IntervalHistogram;

  constructor() {
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
  }

  stop(): void {
    this.loopDelay.disable();
  }

  render(): string[] {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, value: number, labels = '') => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
    };
    metric(
      'process_cpu_user_seconds_total',
      'counter',
      'Total user CPU time spent in seconds.',
      cpu.user / 1e6,
    );
    metric(
      'process_cpu_system_seconds_total',
      'counter',
      'Total system CPU time spent in seconds.',
      cpu.system / 1e6,
    );
    metric(
      'process_cpu_seconds_total',
      'counter',
      'Total user and system CPU time spent in seconds.',
      (cpu.user + cpu.system) / 1e6,
    );
    metric(
      'process_start_time_seconds',
      'gauge',
      'Start time of the process since unix epoch in seconds.',
      this.startTimeSeconds,
    );
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', memory.rss);
    const fds = openFileDescriptors();
    if (fds !== undefined) metric('process_open_fds', 'gauge', 'Number of open file descriptors.', fds);
    metric(
      'nodejs_heap_size_total_bytes',
      'gauge',
      'Process heap size from Node.js in bytes.',
      memory.heapTotal,
    );
    metric(
      'nodejs_heap_size_used_bytes',
      'gauge',
      'Process heap size used from Node.js in bytes.',
      memory.heapUsed,
    );
    metric(
      'nodejs_external_memory_bytes',
      'gauge',
      'Node.js external memory size in bytes.',
      memory.external,
    );
    metric(
      'nodejs_eventloop_lag_p99_seconds',
      'gauge',
      'The 99th percentile of the event loop delay since the last scrape, in seconds.',
      this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e9 : 0,
    );
    metric(
      'nodejs_eventloop_lag_max_seconds',
      'gauge',
      'The largest event loop delay since the last scrape, in seconds.',
      this.loopDelay.count > 0 ? this.loopDelay.max / 1e9 : 0,
    );
    this.loopDelay.reset();
    metric(
      'nodejs_active_resources_total',
      'gauge',
      'Number of active resources keeping the event loop alive.',
      process.getActiveResourcesInfo().length,
    );
    const [major, minor, patch] = process.versions.node.split('.');
    metric(
      'nodejs_version_info',
      'gauge',
      'Node.js version info.',
      1,
      `{version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"}`,
    );
    return out;
  }
}

function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
