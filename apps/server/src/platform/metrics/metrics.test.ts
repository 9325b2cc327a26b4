import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurations } from './metrics.ts';

describe('request duration histogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const durations = new RequestDurations();
    ours.registerMetric(durations as unknown as Metric);
    const reference = new Histogram({
      name: durations.name,
      help: durations.help,
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [theirs],
    });
    const observations: [string, string, number, number][] = [
      ['GET', '/api/users', 200, 0.0004],
      ['GET', '/api/users', 200, 0.001],
      ['GET', '/api/users', 200, 0.0031],
      ['GET', '/api/users/:id', 404, 0.02],
      ['POST', '/api/users', 201, 7.5],
      ['GET', '/api/users', 500, 0.25],
      ['GET', 'unmatched', 404, 0],
      ['GET', '/api/users', 200, 1e-9],
      ['GET', '/api/x "quoted" \\ route', 200, 0.5],
    ];
    for (const [method, route, status, seconds] of observations) {
      durations.observe(method, route, status, seconds);
      reference.observe({ method, route, status: String(status) }, seconds);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/api/users",status="200"} 3');
    expect(text).toContain('http_request_duration_seconds_count{method="POST",route="/api/users",status="201"} 1');
    expect(() => durations.observe('GET', '/x', 200, Number.NaN)).toThrow(TypeError);
  });
});
