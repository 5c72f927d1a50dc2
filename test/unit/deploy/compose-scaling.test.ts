import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../../src/config/index.js';

/*
 * deploy/compose.scaling.yaml checked against our CLI and configuration: no container runtime
 * here. `docker-compose config` (Compose v1.29) accepts the file; see docs/scaling.md.
 */

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  image?: string;
  build?: { context: string };
  healthcheck?: { disable?: boolean };
}

const compose = parse(readFileSync('deploy/compose.scaling.yaml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const workers = Object.entries(services).filter(([, s]) => s.command?.[0] === 'worker');
const main = readFileSync('src/cli/main.ts', 'utf8');
/** The project folder as compose.scaling.yaml names it (Compose interpolates it). */
const PROJECT = ['$', '{TP_PROJECT_DIR:-../project}'].join('');

describe('compose.scaling.yaml', () => {
  it('has one coordinator (start), two workers and redis, built from the Dockerfile', () => {
    expect(Object.keys(services).sort()).toEqual(['coordinator', 'redis', 'worker-1', 'worker-2']);
    expect(services.coordinator?.command).toEqual(['start']);
    expect(main).toContain(".command('start')");
    expect(workers.map(([n]) => n)).toEqual(['worker-1', 'worker-2']);
    for (const name of ['coordinator', 'worker-1', 'worker-2']) {
      expect(services[name]?.build?.context).toBe('..');
      expect(services[name]?.image).toBe('ticket-processor:latest');
    }
    expect(services.redis?.image).toMatch(/^redis:7/);
  });

  it('worker flags are options of the worker command and queue.worker settings, with distinct names', () => {
    const keys = Object.keys(configSchema.parse({}).queue.worker);
    expect(keys.sort()).toEqual(['hosts', 'models']);
    // Optional keys (concurrency, name) have no default: take them from the schema's shape.
    const flags = new Set(['concurrency', 'hosts', 'models', 'name'].map((k) => `--${k}`));
    const shape = configSchema.parse({ queue: { worker: { concurrency: 2, name: 'w1' } } }).queue.worker;
    expect(shape).toMatchObject({ concurrency: 2, name: 'w1' });
    // ... and the `worker` command takes each of them with a value.
    expect(main).toContain(".command('worker')");
    for (const flag of flags) expect(main).toContain(`'${flag} <`);
    const names: string[] = [];
    for (const [, s] of workers) {
      const args = s.command!.slice(1);
      for (let i = 0; i < args.length; i += 2) {
        expect(flags.has(args[i]!), args[i]).toBe(true);
        expect(args[i + 1], `${args[i]} needs a value`).toBeDefined();
      }
      const name = args[args.indexOf('--name') + 1]!;
      expect(configSchema.safeParse({ queue: { worker: { name } } }).success).toBe(true);
      names.push(name);
      const concurrency = Number(args[args.indexOf('--concurrency') + 1]);
      expect(Number.isInteger(concurrency) && concurrency > 0).toBe(true);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('every process reaches the same Redis through REDIS_URL, the config key queue.redis.url reads', () => {
    const load = readFileSync('src/config/load.ts', 'utf8');
    expect(load).toContain("['REDIS_URL', ['queue', 'redis', 'url']]");
    for (const name of ['coordinator', 'worker-1', 'worker-2']) {
      const url = services[name]?.environment?.REDIS_URL;
      expect(url).toBe('redis://redis:6379');
      expect(configSchema.safeParse({ queue: { redis: { url } } }).success).toBe(true);
    }
    // BullMQ breaks if Redis evicts its keys; its data survives a Redis restart.
    const redis = services.redis?.command?.join(' ') ?? '';
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--appendonly yes');
  });

  it('secrets and state are split: workers never see the store, the backlog or the coordinator .env', () => {
    const coord = services.coordinator!;
    expect(coord.env_file).toEqual([`${PROJECT}/.env`]);
    expect(coord.volumes).toContain(`${PROJECT}:/project`);
    expect(coord.volumes).toContain('tp-state:/project/.ticket-processor');
    const repos = new Set<string>();
    for (const [name, s] of workers) {
      expect(s.env_file, name).toEqual([`${PROJECT}/.env.worker`]);
      expect(s.volumes, name).toContain(`${PROJECT}/config.json:/project/config.json:ro`);
      expect(
        s.volumes?.some((v) => v.endsWith(':/project') || v.startsWith('tp-state:')),
        name,
      ).toBe(false);
      const own = s.volumes?.find((v) => v.endsWith(':/project/repos'));
      expect(own, name).toBeDefined();
      repos.add(own!);
      // A worker serves no HTTP: the image's /health check would mark it unhealthy forever.
      expect(s.healthcheck?.disable).toBe(true);
    }
    expect(repos.size).toBe(workers.length);
    for (const v of [...repos].map((r) => r.split(':')[0]!)) expect(compose.volumes).toHaveProperty(v);
  });
});
