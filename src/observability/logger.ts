import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createStream, type Generator, type RotatingFileStream } from 'rotating-file-stream';
import { redact, redactLikelySecrets } from '../secrets/index.js';

export type Logger = pino.Logger;

/** Log files of the original plan: one per component, plus every error in error.log. */
export type Component = 'watcher' | 'processor' | 'git' | 'server' | 'cli';
const FILE_OF: Record<Component, string> = {
  watcher: 'watcher.log',
  processor: 'processor.log',
  git: 'git.log',
  server: 'processor.log',
  cli: 'processor.log',
};

export interface LoggerOptions {
  level: string;
  /** Absolute log directory; undefined = no files (tests). */
  directory: string | undefined;
  maxSize: string;
  maxFiles: number;
  compress: boolean;
  format: 'json' | 'pretty';
  includeTimestamp: boolean;
  secrets: string[];
  /** Extra destination (stderr in the CLI, a buffer in tests). */
  extra?: { write(line: string): void } | undefined;
}

interface Sink {
  write(line: string): void;
  /** Node streams: true once ended (a late line is dropped, not an uncaught write-after-end). */
  readonly writableEnded?: boolean;
}

/**
 * Loggers per component, sharing rotating files. Secrets are scrubbed from the serialised
 * line itself, so no field, message or nested error can carry one into a file: the service's
 * own secret values, credentials in URLs, and every value the secret scan would block (token
 * formats, private keys, credential assignments) — an agent's output is logged before the
 * scan sees the change, and a blocked key must not survive in a debug log.
 */
export class LogHub {
  private readonly files = new Map<string, RotatingFileStream>();
  private readonly loggers = new Map<Component, Logger>();

  constructor(private readonly options: LoggerOptions) {
    if (options.directory) mkdirSync(options.directory, { recursive: true });
  }

  private file(name: string): Sink | undefined {
    const dir = this.options.directory;
    if (!dir) return undefined;
    let s = this.files.get(name);
    if (!s) {
      // Classic logrotate naming (processor.log.1, .2.gz, …): what people grep and what
      // logrotate users expect; `rotate` keeps at most `maxFiles` rotated files.
      const gz = this.options.compress ? '.gz' : '';
      // In classic mode the generator gets the index first (its typings say time first).
      const generator = ((index: number | null) =>
        index ? `${name}.${index}${gz}` : name) as unknown as Generator;
      s = createStream(generator, {
        path: dir,
        size: this.options.maxSize.toUpperCase(),
        rotate: this.options.maxFiles,
        compress: this.options.compress ? 'gzip' : false,
      });
      this.files.set(name, s);
    }
    return s;
  }

  private scrubbed(sink: Sink): Sink {
    const secrets = this.options.secrets;
    const pretty = this.options.format === 'pretty';
    return {
      write: (line: string) => {
        if (sink.writableEnded) return;
        const clean = redactLikelySecrets(redact(line, secrets));
        sink.write(pretty ? prettyLine(clean) : clean);
      },
    };
  }

  get(component: Component): Logger {
    let l = this.loggers.get(component);
    if (l) return l;
    const streams: pino.StreamEntry[] = [];
    const main = this.file(FILE_OF[component]);
    if (main) streams.push({ level: 'trace', stream: this.scrubbed(main) });
    const err = this.file('error.log');
    if (err) streams.push({ level: 'error', stream: this.scrubbed(err) });
    if (this.options.extra) streams.push({ level: 'trace', stream: this.scrubbed(this.options.extra) });
    const level = this.options.level === 'warning' ? 'warn' : this.options.level;
    l = pino(
      {
        level,
        base: { component },
        messageKey: 'message',
        timestamp: this.options.includeTimestamp ? () => `,"timestamp":"${new Date().toISOString()}"` : false,
        formatters: { level: (label) => ({ level: label }) },
      },
      streams.length > 0 ? pino.multistream(streams) : pino.destination('/dev/null'),
    );
    this.loggers.set(component, l);
    return l;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.files.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))),
    );
  }
}

function prettyLine(jsonLine: string): string {
  try {
    const o = JSON.parse(jsonLine) as Record<string, unknown>;
    const { timestamp, level, component, message, ...rest } = o;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${timestamp ?? ''} ${String(level).toUpperCase().padEnd(5)} [${component}] ${message ?? ''}${extra}\n`;
  } catch {
    return jsonLine;
  }
}

export function logDirectory(baseDir: string, directory: string): string {
  return path.resolve(baseDir, directory);
}
