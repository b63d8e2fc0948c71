/**
 * The web chat page served at `GET /`: plain HTML and JavaScript, no build step. It speaks
 * AG-UI to the server (POST RunAgentInput, read the SSE stream), shows streamed text and tool
 * calls, and answers permission requests with buttons.
 * @module
 */

/** Options of {@link chatPageHtml}. */
export interface ChatPageOptions {
  /** Path of the AG-UI endpoint. */
  agentPath: string;
  /** Whether to show the token field. */
  authRequired: boolean;
}

/** The chat page. Text from the server is inserted with textContent only (never as HTML). */
export function chatPageHtml(options: ChatPageOptions): string {
  const config = JSON.stringify({ agentPath: options.agentPath, authRequired: options.authRequired }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mixtape chat</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; background: #f6f6f4; }
  header { display: flex; gap: .5em; align-items: center; padding: .5em 1em; background: #222; color: #eee; flex-wrap: wrap; }
  header input { font: inherit; padding: .2em .4em; }
  #log { flex: 1; overflow-y: auto; padding: 1em; }
  .msg { max-width: 46em; margin: .4em 0; padding: .5em .8em; border-radius: 8px; white-space: pre-wrap; }
  .user { background: #dbeafe; margin-left: auto; }
  .assistant { background: #fff; border: 1px solid #ddd; }
  .tool { background: #f3f0ff; border: 1px dashed #a78bfa; font-family: ui-monospace, monospace; font-size: 13px; }
  .approval { background: #fff7ed; border: 1px solid #fb923c; }
  .approval button { margin: .3em .3em 0 0; }
  .error { background: #fee2e2; border: 1px solid #ef4444; }
  form { display: flex; gap: .5em; padding: .7em 1em; background: #fff; border-top: 1px solid #ddd; }
  form input { flex: 1; font: inherit; padding: .4em; }
</style>
</head>
<body>
<header>
  <strong>Mixtape</strong>
  <label id="token-label">Token <input id="token" type="password" autocomplete="off" size="18"></label>
  <span>Thread <code id="thread"></code></span>
  <button id="new-thread" type="button">New thread</button>
  <span id="status" role="status"></span>
</header>
<main id="log" aria-live="polite"></main>
<form id="form"><input id="prompt" placeholder="Message" autocomplete="off" required><button id="send">Send</button></form>
<script>
const CONFIG = ${config};
const $ = (id) => document.getElementById(id);
const log = $('log');
const tokenInput = $('token');
if (!CONFIG.authRequired) $('token-label').hidden = true;
const fromHash = new URLSearchParams(location.hash.slice(1));
tokenInput.value = fromHash.get('token') || localStorage.getItem('mixtape.token') || '';
tokenInput.addEventListener('change', () => localStorage.setItem('mixtape.token', tokenInput.value));
let threadId = fromHash.get('thread') || localStorage.getItem('mixtape.thread') || crypto.randomUUID();
function setThread(id) { threadId = id; localStorage.setItem('mixtape.thread', id); $('thread').textContent = id; }
setThread(threadId);
$('new-thread').onclick = () => { setThread(crypto.randomUUID()); log.replaceChildren(); };

function headers() {
  const h = { 'content-type': 'application/json' };
  if (CONFIG.authRequired) h.authorization = 'Bearer ' + tokenInput.value;
  return h;
}
function add(cls, text) {
  const div = document.createElement('div');
  div.className = 'msg ' + cls;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}
function status(text) { $('status').textContent = text; }

async function loadHistory() {
  const r = await fetch('/threads/' + encodeURIComponent(threadId) + '/messages', { headers: headers() });
  if (!r.ok) return;
  for (const m of (await r.json()).messages) {
    if (m.role === 'user' || (m.role === 'assistant' && m.content)) add(m.role, typeof m.content === 'string' ? m.content : '');
    for (const c of m.toolCalls || []) add('tool', '\\u{1F527} ' + c.function.name + ' ' + c.function.arguments);
    if (m.role === 'tool') add('tool', '\\u2192 ' + m.content);
  }
}

function approval(value) {
  const div = add('approval', 'Permission needed: ' + value.toolName + ' ' + JSON.stringify(value.params) + (value.display ? '\\n' + value.display : '') + '\\n');
  div.dataset.proposalId = value.proposalId;
  const labels = { once: 'Allow once', exact: 'Allow this exact call', tool: 'Always allow ' + value.toolName, deny: 'Deny' };
  for (const action of value.actions) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = labels[action] || action;
    b.dataset.action = action;
    b.onclick = async () => {
      for (const x of div.querySelectorAll('button')) x.disabled = true;
      const r = await fetch(value.approvalPath, { method: 'POST', headers: headers(), body: JSON.stringify({ action }) });
      const note = document.createElement('div');
      note.textContent = r.ok ? 'Answered: ' + labels[action] : 'Could not answer (' + r.status + ')';
      div.appendChild(note);
    };
    div.appendChild(b);
  }
}

async function send(prompt) {
  add('user', prompt);
  status('running…');
  $('send').disabled = true;
  const input = { threadId, runId: crypto.randomUUID(), messages: [{ id: crypto.randomUUID(), role: 'user', content: prompt }], tools: [], context: [], state: {}, forwardedProps: {} };
  try {
    const r = await fetch(CONFIG.agentPath, { method: 'POST', headers: { ...headers(), accept: 'text/event-stream' }, body: JSON.stringify(input) });
    if (!r.ok) { const e = await r.json().catch(() => ({})); add('error', 'Error ' + r.status + ': ' + (e.message || r.statusText)); return; }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    const texts = new Map(), tools = new Map();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\\n\\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame.split('\\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\\n');
        if (data) handle(JSON.parse(data), texts, tools);
      }
    }
  } catch (e) {
    add('error', String(e));
  } finally {
    status('');
    $('send').disabled = false;
  }
}

function handle(e, texts, tools) {
  switch (e.type) {
    case 'TEXT_MESSAGE_START': texts.set(e.messageId, add('assistant', '')); break;
    case 'TEXT_MESSAGE_CONTENT': { const d = texts.get(e.messageId); if (d) { d.textContent += e.delta; log.scrollTop = log.scrollHeight; } break; }
    case 'TOOL_CALL_START': tools.set(e.toolCallId, { name: e.toolCallName, args: '', div: add('tool', '\\u{1F527} ' + e.toolCallName) }); break;
    case 'TOOL_CALL_ARGS': { const t = tools.get(e.toolCallId); if (t) { t.args += e.delta; t.div.textContent = '\\u{1F527} ' + t.name + ' ' + t.args; } break; }
    case 'TOOL_CALL_RESULT': { const t = tools.get(e.toolCallId); const d = add('tool', '\\u2192 ' + e.content); d.dataset.toolCallId = e.toolCallId; break; }
    case 'CUSTOM':
      if (e.name === 'mixtape.permission_required') approval(e.value);
      if (e.name === 'mixtape.permission_resolved') status(e.value.toolName + ': ' + e.value.decision);
      break;
    case 'RUN_ERROR': add('error', e.message); break;
    case 'RUN_FINISHED': if (e.outcome && e.outcome.type === 'cancelled') add('error', 'The run was cancelled.'); break;
  }
}

$('form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const p = $('prompt').value.trim();
  if (!p) return;
  $('prompt').value = '';
  send(p);
});
loadHistory();
</script>
</body>
</html>
`;
}
