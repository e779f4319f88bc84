// The console's state and I/O: the JSON API, the live websocket, and the controls.

import * as alerts from "./alerts.js";
import { $, fill, h, initials } from "./dom.js";
import * as render from "./render.js";

const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const S = {
  me: null, items: [], selected: decodeURIComponent(location.hash.slice(1)) || null,
  conv: null, skew: 0, mode: "reply", seen: new Set(), ws: null, retry: 0,
};

function now() { return Date.now() + S.skew; }

function setSkew(serverNow) { if (serverNow) S.skew = new Date(serverNow).getTime() - Date.now(); }

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
    body: JSON.stringify(body),
  };
  const response = await fetch("/console/api" + path, { credentials: "same-origin", ...init });
  if (response.status === 401) { location.assign("/console/login"); throw new Error("signed out"); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || "That did not work (" + response.status + ").");
  return data;
}

function conversationPath(key, action) {
  return "/conversations/" + encodeURIComponent(key) + (action ? "/" + action : "");
}

function banner(text, kind) {
  const node = $("banner");
  node.textContent = text || "";
  node.className = "banner" + (text ? " " + (kind || "error") : " hidden");
}

// --- queue --------------------------------------------------------------------------------

async function loadQueue() {
  const data = await api("/queue");
  setSkew(data.now);
  const fresh = data.items.filter((i) => i.status === "queued" && !S.seen.has(i.key));
  if (S.queueLoaded) fresh.forEach(announce);
  data.items.forEach((i) => S.seen.add(i.key));
  S.items = data.items;
  S.queueLoaded = true;
  drawQueue();
}

function announce(item) {
  const name = render.leadName(item.lead, item.key);
  alerts.beep();
  alerts.notify("New hot lead: " + name, [item.lead.company, item.stage, item.reason]
    .filter(Boolean).join(" · "), () => select(item.key));
}

function drawQueue() {
  const stage = $("f-stage").value;
  const channel = $("f-channel").value;
  const shown = S.items.filter((i) => (!stage || i.stage === stage) && (!channel || i.channel === channel));
  const waiting = shown.filter((i) => i.status === "queued");
  const live = shown.filter((i) => i.status === "claimed");
  fill($("waiting"), waiting.map((i) => render.queueItem(i, S.selected, S.me, now())));
  fill($("live"), live.map((i) => render.queueItem(i, S.selected, S.me, now())));
  $("n-waiting").textContent = waiting.length;
  $("n-live").textContent = live.length;
  $("waiting-empty").hidden = waiting.length > 0;
  $("live-empty").hidden = live.length > 0;
  const mine = S.items.filter((i) => i.status === "claimed" && i.rep_id === S.me.id).length;
  $("load-n").textContent = mine;
  $("load").classList.toggle("full", mine >= S.me.capacity);
  render.tickSla(now());
}

// --- one conversation -----------------------------------------------------------------------

async function select(key) {
  if (S.selected !== key) banner("");
  S.selected = key;
  history.replaceState(null, "", key ? "#" + encodeURIComponent(key) : "#");
  drawQueue();
  await loadConversation();
}

async function loadConversation() {
  const key = S.selected;
  if (!key) return;
  let conv;
  try {
    conv = await api(conversationPath(key));
  } catch (err) {
    if (S.selected === key) { S.selected = null; showConversation(null); }
    return;
  }
  if (S.selected !== key) return;  // the rep clicked elsewhere meanwhile
  setSkew(conv.now);
  S.conv = conv;
  showConversation(conv);
}

function showConversation(conv) {
  $("placeholder").hidden = !!conv;
  $("conv").classList.toggle("hidden", !conv);
  $("details").classList.toggle("hidden", !conv);
  if (!conv) return;
  const mine = render.header(conv, S.me);
  render.transcript(conv);
  render.details(conv);
  S.mine = mine;
  setMode(S.mode);
}

function setMode(mode) {
  S.mode = mode;
  const form = $("composer");
  form.dataset.mode = mode;
  for (const tab of form.querySelectorAll(".tabs button")) {
    tab.setAttribute("aria-selected", String(tab.dataset.mode === mode));
  }
  const canReply = !!S.mine;
  const text = $("text");
  const blocked = mode === "reply" && !canReply;
  text.disabled = blocked;
  $("send").disabled = blocked;
  $("send").textContent = mode === "note" ? "Add note" : "Send";
  text.placeholder = mode === "note" ? "Only reps see notes. The prospect never does."
    : canReply ? "Write to the prospect… (Enter sends, Shift+Enter for a new line)"
    : "Take the conversation over to write to the prospect.";
  $("hint").textContent = mode === "note" ? "Internal: never sent to the prospect" : "";
}

async function act(action, body, okText) {
  const key = S.selected;
  try {
    await api(conversationPath(key, action), body || {});
    banner(okText || "", "ok");
  } catch (err) {
    banner(err.message);
  }
  await Promise.all([loadQueue().catch(() => {}), loadConversation()]);
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !S.selected) return;
  const id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  const body = S.mode === "note" ? { text } : { id, text };
  $("send").disabled = true;
  try {
    await api(conversationPath(S.selected, S.mode === "note" ? "notes" : "messages"), body);
    $("text").value = "";
    banner("");
  } catch (err) {
    banner(err.message);
  } finally {
    $("send").disabled = false;
  }
  await loadConversation();
  $("text").focus();
}

// --- live updates --------------------------------------------------------------------------

const pending = { queue: 0, conv: 0 };

function soon(what, fn) {
  clearTimeout(pending[what]);
  pending[what] = setTimeout(() => fn().catch(() => {}), 120);
}

function onEvent(event) {
  if (event.event !== "message_added") soon("queue", loadQueue);
  if (event.key && event.key === S.selected) soon("conv", async () => loadConversation());
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + "/console/ws");
  S.ws = ws;
  ws.onopen = () => {
    S.retry = 0;
    setConn("live", "Live");
    // Events missed while disconnected are not replayed: re-read what the screen shows.
    loadQueue().catch(() => {});
    loadConversation();
  };
  ws.onmessage = (msg) => {
    const data = JSON.parse(msg.data);
    if (data.type === "event") onEvent(data);
  };
  ws.onclose = (close) => {
    if (S.ws !== ws) return;
    setConn("offline", "Reconnecting…");
    if (close.code === 1008 || close.code === 4401) { location.assign("/console/login"); return; }
    const delay = Math.min(10000, 500 * 2 ** S.retry++) * (0.75 + Math.random() / 2);
    setTimeout(connect, delay);
  };
}

function setConn(state, text) {
  const node = $("conn");
  node.dataset.state = state;
  node.querySelector("span").textContent = text;
}

// --- start ---------------------------------------------------------------------------------

async function start() {
  S.me = await api("/me");
  setSkew(S.me.now);
  $("avatar").textContent = initials(S.me.name);
  $("load-cap").textContent = S.me.capacity;
  $("presence").value = S.me.presence === "away" ? "away" : "online";
  $("presence-wrap").dataset.presence = $("presence").value;
  for (const stage of S.me.stages) $("f-stage").appendChild(h("option", { value: stage, text: stage }));
  for (const ch of S.me.channels) $("f-channel").appendChild(h("option", { value: ch, text: ch }));
  wire();
  await loadQueue();
  if (S.selected) await loadConversation();
  connect();
  setInterval(() => render.tickSla(now()), 1000);
}

function wire() {
  $("f-stage").addEventListener("change", drawQueue);
  $("f-channel").addEventListener("change", drawQueue);
  for (const list of [$("waiting"), $("live")]) {
    list.addEventListener("click", (e) => {
      const item = e.target.closest(".item");
      if (item) select(item.dataset.key);
    });
    list.addEventListener("keydown", (e) => {
      const item = e.target.closest(".item");
      if (item && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(item.dataset.key); }
    });
  }
  $("claim").addEventListener("click", () => act("claim", {}, "You joined. The prospect sees your name."));
  $("handback").addEventListener("click", () => act("hand-back", {}, "Handed back: the bot continues."));
  $("outcome").addEventListener("change", (e) => {
    const outcome = e.target.value;
    e.target.value = "";
    if (outcome) act("close", { outcome }, "Closed as " + outcome + ".");
  });
  $("composer").addEventListener("submit", send);
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e);
  });
  for (const tab of document.querySelectorAll("#composer .tabs button")) {
    tab.addEventListener("click", () => { setMode(tab.dataset.mode); $("text").focus(); });
  }
  $("presence").addEventListener("change", async (e) => {
    const presence = e.target.value;
    try {
      await api("/presence", { presence });
      $("presence-wrap").dataset.presence = presence;
    } catch (err) {
      banner(err.message);
    }
  });
  const button = $("alerts");
  const mark = () => {
    const on = alerts.enabled();
    button.textContent = on ? "Alerts on" : "Enable alerts";
    button.classList.toggle("on", on);
  };
  button.addEventListener("click", async () => { await alerts.enable(); mark(); });
  window.addEventListener("hashchange", () => {
    const key = decodeURIComponent(location.hash.slice(1));
    if (key && key !== S.selected) select(key);
  });
}

start().catch((err) => {
  fill(document.body, [h("p", { class: "fatal", text: "The console could not start: " + err.message })]);
});
