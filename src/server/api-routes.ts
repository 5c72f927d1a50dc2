import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classify, TpError } from '../errors/index.js';
import { type Access, refuse } from './access.js';
import type { ServerDeps } from './types.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /health`, `GET /health/ollama`, `POST /api/tasks`, `GET /metrics`. `access` decides
 * who may create tasks (the API token; closed beyond loopback without one).
 */
export function apiRoutes(deps: ServerDeps, access: Access) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/health', async (req, reply) => {
      try {
        const report = await deps.health();
        return reply.code(report.status === 'error' ? 503 : 200).send(report);
      } catch (err) {
        req.log.error({ err: classify(err) }, 'health check failed');
        return reply.code(503).send({ status: 'error', message: 'health check failed' });
      }
    });

    app.get('/health/ollama', async (req, reply) => {
      if (!deps.ollamaHealth) {
        return reply.code(404).send({ status: 'unknown', message: 'no Ollama health source configured' });
      }
      try {
        const report = await deps.ollamaHealth();
        return reply.code(report.status === 'down' ? 503 : 200).send(report);
      } catch (err) {
        req.log.error({ err: classify(err) }, 'Ollama health check failed');
        return reply.code(503).send({ status: 'down', message: 'Ollama health check failed' });
      }
    });

    const createTask = deps.createTask;
    if (createTask) {
      app.post(
        '/api/tasks',
        {
          bodyLimit: deps.maxBodyBytes,
          config: { rateLimit: { max: deps.rateLimitPerMinute, timeWindow: 60_000 } },
        },
        async (req, reply) => {
          const refusal = access.write(req);
          if (refusal) return refuse(reply, refusal);
          return createTaskHandler(createTask, req, reply);
        },
      );
    }

    const metrics = deps.metrics;
    if (metrics) {
      app.get('/metrics', async (req, reply) => {
        try {
          const body = await metrics();
          return reply.type(deps.metricsContentType ?? PROMETHEUS_TEXT).send(body);
        } catch (err) {
          req.log.error({ err: classify(err) }, 'metrics collection failed');
          return reply.code(500).send({ status: 'error', message: 'metrics collection failed' });
        }
      });
    }
  };
}

async function createTaskHandler(
  createTask: NonNullable<ServerDeps['createTask']>,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  try {
    const created = await createTask(req.body);
    // Where the service keeps its files is none of the client's business.
    return reply.code(201).send({ status: 'created', id: created.id, file: path.basename(created.file) });
  } catch (err) {
    if (TpError.isInstance(err) && err.code === 'TASK_INVALID') {
      const problems = Array.isArray(err.details.problems)
        ? err.details.problems
        : [{ message: err.message }];
      return reply.code(400).send(withoutPaths({ status: 'invalid', message: err.message, problems }));
    }
    const e = classify(err);
    req.log.error({ err: e, code: e.code }, 'task creation failed');
    return reply
      .code(e.retryable ? 503 : 500)
      .send({ status: 'error', code: e.code, message: 'task creation failed' });
  }
}

/** An absolute POSIX or Windows path standing on its own (not inside a URL or a relative path). */
const ABSOLUTE_PATH = /(?<=^|[\s"'(=])(?:[A-Za-z]:)?[/\\][^\s"'`]*[/\\]([^\s"'`/\\]+)/g;

/** Absolute paths in a message (`/home/x/project/backlog/todo/task-3.md`) become file names. */
function withoutPaths<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? v.replace(ABSOLUTE_PATH, '$1') : v)),
  ) as T;
}
