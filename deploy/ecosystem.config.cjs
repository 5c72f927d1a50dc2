// PM2 process file, laid out like the original tool's ecosystem.config.js (this package is
// ESM, so the CommonJS file is .cjs). Run from the project folder (config.json, .env, backlog/):
//   pm2 start /path/to/ticket-processor/deploy/ecosystem.config.cjs
//   pm2 logs ticket-processor   |   ticket-processor logs --follow
const path = require('node:path');

module.exports = {
  apps: [
    {
      name: 'ticket-processor',
      script: path.join(__dirname, '..', 'bin', 'ticket-processor.js'),
      args: 'start',
      // The project folder: where config.json and .env are read (the current one by default).
      cwd: process.env.TP_PROJECT_DIR || process.cwd(),
      instances: 1,
      exec_mode: 'fork',
      autorestart: true,
      watch: false,
      max_memory_restart: '500M',
      env: {
        NODE_ENV: 'production',
      },
      error_file: './logs/pm2-error.log',
      out_file: './logs/pm2-out.log',
      log_file: './logs/pm2-combined.log',
      time: true,
      merge_logs: true,
      // Running tasks get time to reach a safe point on stop (the original allowed 5 s).
      kill_timeout: 60000,
    },
  ],
};
