// One whole Mailroom node on PostgreSQL as a process of its own, for the
// tests that run several and SIGKILL one: argv[2] is the config overrides as
// JSON (the database URL among them), argv[3] the node's options as JSON
// (how often it sweeps up mail a dead node left pending). Logs JSON lines on stdout at info and
// prints {"node":{"smtp":port,"http":port}} once serving.
import { startPostgresNode } from '../../src/postgres-node.js';
import { createLogger } from '../../src/log.js';
import { testConfig } from '../helpers/mailroom.js';

const config = testConfig(JSON.parse(process.argv[2]!));
const node = await startPostgresNode(config, createLogger('info'), JSON.parse(process.argv[3] ?? '{}'));
process.stdout.write(JSON.stringify({ node: { smtp: node.smtpAddress.port, http: node.httpAddress.port } }) + '\n');
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
