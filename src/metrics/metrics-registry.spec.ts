import { MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry.counter', () => {
  it('a bound counter adds to the same series as increment() with the same name and tags', () => {
    const registry = new MetricsRegistry({ keepStatsdSamples: true });
    const hit = registry.counter('cache.hit', { cache: 'environment' });
    hit();
    hit(2);
    registry.increment('cache.hit', { cache: 'environment' });
    expect(registry.renderPrometheus()).toContain('flagport_cache_hit_total{cache="environment"} 4');
    expect(registry.drainStatsd('p')).toContain('p.cache.hit.environment:4|c');
  });

  it('a bound counter that was never called → no series', () => {
    const registry = new MetricsRegistry({ keepStatsdSamples: false });
    registry.counter('cache.miss', { cache: 'identity' });
    expect(registry.renderPrometheus()).not.toContain('cache_miss');
  });
});
