// A PostgreSQL receiving node as a process of its own, for the tests that
// SIGKILL it: argv[2] is the database URL. Prints {"smtp": port} once listening.
import { startPgReceivingNode } from '../../../src/ingest/pg-receiving-node.js';
import { testConfig } from '../../helpers/mailroom.js';
import { silentLogger } from '../../../src/log.js';

const config = testConfig({ storage: { engine: 'postgres', postgresUrl: process.argv[2] }, smtp: { greetPauseMs: 0 } });
const node = await startPgReceivingNode(config, silentLogger());
process.stdout.write(JSON.stringify({ smtp: node.smtpAddress.port }) + '\n');
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
