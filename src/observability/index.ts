export { type Component, type Logger, type LoggerOptions, LogHub, logDirectory } from './logger.js';
export { createMetrics } from './metrics.js';
