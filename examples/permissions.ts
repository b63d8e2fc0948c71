/**
 * Permissions without a model: configured rules (command prefix, path globs, deny wins), a
 * person's answers remembered in a JSON file and in SQLite, scopes, the approval queue's timeout,
 * and the audit log.
 *
 *   node --conditions=mixtape-source --import tsx examples/permissions.ts [--dir <folder>]
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApprovalQueue,
  type AuthorizationCheck,
  type GrantStore,
  JsonFileGrantStore,
  PermissionAuthorizer,
  type PermissionRule,
  type ToolCallRequest,
  hashParams,
} from '@mixtape/core';
import { SqliteGrantStore } from '@mixtape/sqlite';

const dirFlag = process.argv.indexOf('--dir');
const dir =
  dirFlag > 0 && process.argv[dirFlag + 1]
    ? path.resolve(process.argv[dirFlag + 1]!)
    : mkdtempSync(path.join(os.tmpdir(), 'mixtape-permissions-'));
const project = path.join(dir, 'project');

let id = 0;
function call(toolName: string, input: Record<string, unknown>, sessionId?: string): ToolCallRequest {
  return { toolName, toolUseId: `call_${++id}`, input, paramsHash: hashParams(input), ...(sessionId ? { sessionId } : {}) };
}

function show(request: ToolCallRequest, check: AuthorizationCheck): void {
  const mark = check.decision === 'granted' ? '✓' : check.decision === 'denied' ? '✗' : '?';
  const detail =
    check.decision === 'granted' ? `granted (${check.scope})` : check.decision === 'denied' ? `denied: ${check.reason}` : 'ask a person';
  console.log(`  ${mark} ${request.toolName}(${JSON.stringify(request.input)}) → ${detail}`);
}

async function checkAll(authorizer: PermissionAuthorizer, requests: ToolCallRequest[]): Promise<void> {
  for (const request of requests) show(request, await authorizer.check(request));
}

// 1. Rules from configuration. Deny rules win over every allow.
const rules: PermissionRule[] = [
  { id: 'git-status', tool: 'bash', effect: 'allow', match: { kind: 'command', prefix: 'git status' } },
  { id: 'no-rm', tool: 'bash', effect: 'deny', match: { kind: 'command', prefix: 'rm' }, reason: 'Deleting files is not allowed' },
  { id: 'write-src', tool: 'write_file', effect: 'allow', match: { kind: 'path', argument: 'path', glob: 'src/**' } },
  { id: 'no-env', tool: '*', effect: 'deny', match: { kind: 'path', argument: 'path', glob: '**/.env' }, reason: 'Secrets stay private' },
];
console.log('1. Rules (policy deny: no person is there to ask)');
const configured = new PermissionAuthorizer({ rules, trustedTools: ['read_*'], project, policy: 'deny' });
await checkAll(configured, [
  call('bash', { command: 'git status -s' }),
  call('bash', { command: 'git statusx' }),
  call('bash', { command: 'git status; rm -rf /' }),
  call('write_file', { path: 'src/app.ts', content: '...' }),
  call('write_file', { path: 'src/../../etc/passwd', content: '...' }),
  call('read_file', { path: 'README.md' }),
  call('read_file', { path: 'config/.env' }),
  call('fetch', { url: 'https://example.com' }),
]);

// 2. A person's answer, remembered for the project in a JSON file, applies in a later run.
async function personAllows(store: GrantStore, sessionId: string, scope: 'session' | 'project'): Promise<void> {
  const authorizer = new PermissionAuthorizer({ store, project, sessionId, interactive: true });
  const request = call('fetch', { url: 'https://example.com' }, sessionId);
  show(request, await authorizer.check(request));
  console.log(`    the person answers: allow the tool (${scope})`);
  await authorizer.record(request, { action: 'tool', scope });
}

const jsonStore = new JsonFileGrantStore(path.join(dir, 'grants.json'));
console.log(`2. JSON file store (${path.basename(jsonStore.path)}): project grant`);
await personAllows(jsonStore, 'session-1', 'project');
const laterRun = new PermissionAuthorizer({
  store: new JsonFileGrantStore(jsonStore.path),
  project,
  sessionId: 'session-2',
  interactive: true,
});
await checkAll(laterRun, [call('fetch', { url: 'https://example.org' }, 'session-2')]);
const elsewhere = new PermissionAuthorizer({ store: jsonStore, project: path.join(dir, 'other-project'), interactive: true });
await checkAll(elsewhere, [call('fetch', { url: 'https://example.org' })]);

// 3. The same in SQLite with a session grant: it does not follow into another session.
const sqliteStore = new SqliteGrantStore(path.join(dir, 'grants.db'));
console.log('3. SQLite store (grants.db): session grant');
await personAllows(sqliteStore, 'session-A', 'session');
await checkAll(new PermissionAuthorizer({ store: sqliteStore, project, sessionId: 'session-A', interactive: true }), [
  call('fetch', { url: 'https://a.example' }, 'session-A'),
]);
await checkAll(new PermissionAuthorizer({ store: sqliteStore, project, sessionId: 'session-B', interactive: true }), [
  call('fetch', { url: 'https://b.example' }, 'session-B'),
]);

// 4. Waiting for a person: answered, or denied when nobody answers in time.
console.log('4. Approval queue');
const queue = new ApprovalQueue({ timeoutMs: 50 });
const answered = queue.request({ proposalId: 'call_a', toolName: 'bash' });
console.log(
  `  waiting: ${queue
    .pending()
    .map((p) => p.proposalId)
    .join(', ')}`,
);
queue.respond('call_a', { action: 'exact', scope: 'session' });
console.log(`  call_a → ${JSON.stringify(await answered)}`);
console.log(`  call_b → ${JSON.stringify(await queue.request({ proposalId: 'call_b', toolName: 'bash' }))}`);
console.log(`  unknown id answered: ${queue.respond('nope', { action: 'once' })}`);

// 5. Every decision is in the audit log.
console.log('5. Audit log of the SQLite store');
for (const entry of await sqliteStore.auditLog()) {
  console.log(
    `  ${entry.toolUseId} ${entry.tool} ${entry.decision}${entry.scope ? ` (${entry.scope})` : ''} by ${entry.by}, session ${entry.sessionId}`,
  );
}
await sqliteStore.close();
console.log(`Files in ${dir}: grants.json, grants.audit.jsonl, grants.db`);
