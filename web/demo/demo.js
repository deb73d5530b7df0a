// The demo chat: log in (POST /demo/token), rooms (channels demo:<room>), history on join,
// presence, typing, and the SDK's reconnect with recovery. Bundled with the SDK by build.mjs.
import { SwitchboardClient } from '../../clients/js/src/index.js';

const $ = (id) => document.getElementById(id);
const rooms = new Map();  // name -> { sub, messages: [{user, text, mine}], present: Set, typing: Map, unread }
let client = null;
let me = '';
let active = '';

async function mintToken(user) {
  const res = await fetch('/demo/token', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }) });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? body.error.message : `HTTP ${res.status}`);
  return body;
}

function setState(state) {
  $('state').dataset.state = state;
  $('state').textContent = state === 'connected' ? `connected as ${me}` : state;
}

function text(tag, content, className) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}

function renderRooms() {
  const list = $('rooms');
  list.replaceChildren();
  for (const [name, room] of rooms) {
    const li = text('li', `# ${name}`);
    li.dataset.room = name;
    if (name === active) li.classList.add('active');
    if (room.unread > 0) li.append(text('span', String(room.unread), 'unread'));
    li.addEventListener('click', () => show(name));
    list.append(li);
  }
}

function renderMessages() {
  const room = rooms.get(active);
  const list = $('messages');
  list.replaceChildren();
  for (const m of room.messages) {
    const li = document.createElement('li');
    if (m.mine) li.classList.add('mine');
    li.append(text('b', m.user), document.createTextNode(m.text));
    list.append(li);
  }
  list.scrollTop = list.scrollHeight;
}

function renderPresence() {
  const room = rooms.get(active);
  $('presence').replaceChildren(...[...room.present].sort().map((u) => {
    const li = text('li', u === me ? `${u} (you)` : u);
    li.dataset.user = u;
    return li;
  }));
  const typing = [...room.typing.keys()].filter((u) => u !== me);
  $('typing').textContent = typing.length === 0 ? '' : `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`;
}

function show(name) {
  active = name;
  rooms.get(name).unread = 0;
  $('room-title').textContent = `# ${name}`;
  $('notice').hidden = true;
  renderRooms();
  renderMessages();
  renderPresence();
  $('text').focus();
}

function onRoom(name, update) {
  update(rooms.get(name));
  if (name === active) { renderMessages(); renderPresence(); }
}

async function refreshPresence(name) {
  const answer = await client.presence(`demo:${name}`);
  onRoom(name, (room) => { room.present = new Set(answer.users); });
}

function join(name) {
  if (rooms.has(name)) return show(name);
  const room = { messages: [], present: new Set([me]), typing: new Map(), unread: 0 };
  rooms.set(name, room);
  // replay: the retained events on the first subscribe; recover: after every reconnect, what
  // was missed, from the last position seen.
  room.sub = client.subscribe(`demo:${name}`, { recover: true, replay: true });
  room.sub.on('message.new', (data, env) => {
    const textOf = typeof data === 'string' ? data : data && data.text;
    onRoom(name, (r) => {
      r.messages.push({ user: env.publisher || '?', text: String(textOf ?? ''), mine: env.publisher === me });
      r.typing.delete(env.publisher);
      if (name !== active) r.unread++;
    });
    if (name !== active) renderRooms();
  });
  room.sub.on('presence.join', (p) => onRoom(name, (r) => r.present.add(p.user_id)));
  room.sub.on('presence.leave', (p) => onRoom(name, (r) => { r.present.delete(p.user_id); r.typing.delete(p.user_id); }));
  room.sub.on('typing.start', (p) => onRoom(name, (r) => r.typing.set(p.user_id, true)));
  room.sub.on('typing.stop', (p) => onRoom(name, (r) => r.typing.delete(p.user_id)));
  room.sub.on('subscribed', () => refreshPresence(name).catch(() => {}));
  room.sub.on('not_recovered', () => {
    if (name === active) {
      $('notice').textContent = 'Some messages could not be recovered after the reconnect.';
      $('notice').hidden = false;
    }
  });
  show(name);
}

async function start(user) {
  const first = await mintToken(user);
  me = first.user_id;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${first.ws_path}`;
  let token = first.token;
  client = new SwitchboardClient(url, {
    // The first token once, then a fresh one on every reconnect and before it expires.
    getToken: async () => {
      if (token) { const t = token; token = null; return t; }
      return (await mintToken(me)).token;
    },
  });
  client.on('state', setState);
  client.on('disconnected', ({ willReconnect }) => { $('banner').hidden = !willReconnect; });
  client.on('connected', () => { $('banner').hidden = true; });
  window.switchboard = client;  // for the curious (and the browser tests)
  await client.connect();
  $('login').hidden = true;
  $('chat').hidden = false;
  for (const name of ['general', 'random']) join(name);
  show('general');
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  start($('user').value.trim()).catch((err) => alert(`Could not join: ${err.message}`));
});

$('add-room').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('room-name').value.trim();
  if (name) join(name);
  $('room-name').value = '';
});

$('compose').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('text');
  const value = input.value.trim();
  if (!value || !active) return;
  input.value = '';
  // Sent now, or queued by the SDK until the connection is back.
  client.publish(`demo:${active}`, { text: value }).catch((err) => {
    $('notice').textContent = `Not sent: ${err.message}`;
    $('notice').hidden = false;
  });
});

$('text').addEventListener('input', () => {
  if (active && client && client.state === 'connected') client.typing(`demo:${active}`);
});
