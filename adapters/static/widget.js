/* Qualibot chat widget: one script tag, shadow DOM, live over a websocket.
 * Protocol: docs/widget-protocol.md. No build step, no dependencies; user text only ever
 * reaches the page through textContent. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__qualibotWidget) return; // a second copy of the tag is a no-op
  window.__qualibotWidget = true;

  var ds = script.dataset;
  var base = new URL(script.src, location.href);
  var WS_URL = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/widget/ws";
  var CFG = {
    title: (ds.title || "Chat with us").slice(0, 60),
    accent: /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(ds.accent || "") ? ds.accent : "#4f46e5",
    greeting: (ds.greeting || "").slice(0, 200),
    left: ds.position === "left",
  };
  var NS = "qualibot:" + base.host + ":";
  var reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
  var narrow = matchMedia("(max-width: 480px)");

  // ---- persistence: localStorage can throw (Safari private mode, quota); the chat still works.
  function load(key, fallback) {
    try { var v = localStorage.getItem(NS + key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem(NS + key, JSON.stringify(value)); } catch (e) { /* best effort */ }
  }
  var S = {
    token: load("token", null),
    lastSeq: load("seq", 0),
    messages: load("messages", []), // transcript cache: instant render on every page
    outbox: load("outbox", []),     // frames not acknowledged yet, resent with the same id
    views: load("views", []),       // page views before the conversation started
    open: load("open", false),
    unread: load("unread", 0),
    started: load("started", false),
  };
  function persist() {
    save("token", S.token); save("seq", S.lastSeq); save("messages", S.messages.slice(-150));
    save("outbox", S.outbox); save("views", S.views.slice(-10)); save("open", S.open);
    save("unread", S.unread); save("started", S.started);
  }
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  // ---- DOM helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function icon(path, size) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", size || 24);
    svg.setAttribute("height", size || 24); svg.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path); p.setAttribute("fill", "currentColor");
    svg.appendChild(p);
    return svg;
  }
  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8.4L4.7 21.3A1 1 0 0 1 3 20.6V6a2 2 0 0 1 1-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
  var ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z";
  var ICON_SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z";
  var ICON_DOWN = "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z";

  // Readable text on the accent colour: dark text on light accents, white on dark ones.
  function onAccent(hex) {
    var h = hex.slice(1); if (h.length === 3) h = h.replace(/./g, "$&$&");
    var rgb = [0, 2, 4].map(function (i) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 0.45 ? "#111827" : "#ffffff";
  }

  var CSS = [
    ":host{all:initial}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    '.qb{position:fixed;bottom:20px;right:20px;z-index:2147483000;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#0f172a;-webkit-font-smoothing:antialiased;text-align:left}',
    ".qb.left{right:auto;left:20px}",
    "button{font:inherit;color:inherit;cursor:pointer}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "button:focus-visible,a:focus-visible{outline:3px solid color-mix(in srgb,var(--accent) 55%,#fff);outline-offset:2px}",
    ".launcher{position:relative;display:grid;place-items:center;width:60px;height:60px;margin-left:auto;border:0;border-radius:50%;background:var(--accent);color:var(--on-accent);box-shadow:0 8px 24px rgba(15,23,42,.24),0 2px 6px rgba(15,23,42,.12);transition:transform .2s ease}",
    ".left .launcher{margin-left:0}",
    ".launcher:hover{transform:scale(1.06)}",
    ".ico{position:absolute;display:grid;transition:transform .25s ease,opacity .2s}",
    ".ico-close,.open .ico-chat{opacity:0;transform:rotate(-90deg) scale(.6)}",
    ".open .ico-close{opacity:1;transform:none}",
    ".badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border:2px solid #fff;border-radius:11px;background:#ef4444;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center}",
    ".panel{position:absolute;bottom:76px;right:0;display:flex;flex-direction:column;width:380px;height:min(620px,calc(100vh - 120px));overflow:hidden;background:#fff;border-radius:18px;box-shadow:0 24px 60px rgba(15,23,42,.24),0 4px 14px rgba(15,23,42,.08);transform-origin:bottom right;animation:pop .22s cubic-bezier(.2,.9,.3,1.15)}",
    ".left .panel{right:auto;left:0;transform-origin:bottom left}",
    "header{display:flex;align-items:center;gap:12px;padding:16px 12px 16px 18px;background:linear-gradient(135deg,var(--accent),color-mix(in srgb,var(--accent) 72%,#000));color:var(--on-accent)}",
    ".avatar{display:grid;place-items:center;flex:none;width:40px;height:40px;border-radius:50%;background:rgba(255,255,255,.2);font-size:18px;font-weight:700}",
    ".hd{flex:1;min-width:0}",
    "h2{margin:0;font-size:16px;font-weight:650;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".status{display:flex;align-items:center;gap:6px;margin:2px 0 0;font-size:12.5px;opacity:.92}",
    ".dot{width:8px;height:8px;border-radius:50%;background:#fbbf24;box-shadow:0 0 0 2px rgba(255,255,255,.3)}",
    "[data-state=online] .dot{background:#34d399}",
    "[data-state=offline] .dot{background:#f87171}",
    "[data-state=connecting] .dot{animation:blink 1s infinite}",
    ".close{display:grid;place-items:center;width:36px;height:36px;border:0;border-radius:10px;background:transparent}",
    ".close:hover{background:rgba(255,255,255,.16)}",
    ".scroll{flex:1;overflow-y:auto;padding:16px 14px 10px;background:#f8fafc;overscroll-behavior:contain}",
    ".intro{max-width:92%;margin:0 auto 6px;padding:10px 14px;border:1px solid #e2e8f0;border-radius:12px;background:#fff;color:#475569;font-size:13px;text-align:center}",
    ".row{display:flex;flex-direction:column;align-items:flex-start;margin-top:12px;animation:rise .2s ease-out}",
    ".row.cont{margin-top:3px}",
    ".row.visitor{align-items:flex-end}",
    ".bubble{max-width:84%;padding:9px 13px;border:1px solid #e5e7eb;border-radius:16px 16px 16px 5px;background:#fff;color:#0f172a;white-space:pre-wrap;overflow-wrap:anywhere;box-shadow:0 1px 2px rgba(15,23,42,.04)}",
    ".visitor .bubble{border-color:transparent;border-radius:16px 16px 5px 16px;background:var(--accent);color:var(--on-accent)}",
    ".rep .bubble{border-color:color-mix(in srgb,var(--accent) 28%,#fff);background:color-mix(in srgb,var(--accent) 9%,#fff)}",
    ".local .bubble{border-style:dashed}",
    ".who{margin:0 0 3px 4px;color:#475569;font-size:12px;font-weight:600}",
    ".cont .who{display:none}",
    ".bubble a{color:inherit;text-decoration:underline;text-underline-offset:2px}",
    ".meta{display:flex;align-items:center;gap:8px;margin:3px 6px 0;color:#94a3b8;font-size:11.5px}",
    ".grouped>.meta{display:none}",
    ".state.failed,.retry{color:#dc2626}",
    ".state.queued,.state.slow{color:#b45309}",
    ".retry{padding:0;border:0;background:none;font-size:11.5px;text-decoration:underline}",
    ".row.system{align-items:center}",
    ".notice{margin:4px 0;padding:4px 12px;border-radius:999px;background:#e8edf4;color:#475569;font-size:12px;font-weight:500}",
    ".typing .bubble{display:flex;gap:4px;padding:13px 14px}",
    ".typing i{width:7px;height:7px;border-radius:50%;background:#94a3b8;animation:bounce 1.2s infinite}",
    ".typing i:nth-child(2){animation-delay:.15s}",
    ".typing i:nth-child(3){animation-delay:.3s}",
    ".replies{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:6px;padding:6px 14px 10px;background:#f8fafc}",
    ".qr{padding:6px 13px;border:1.5px solid var(--accent);border-radius:999px;background:#fff;color:color-mix(in srgb,var(--accent) 88%,#000);font-size:13.5px;font-weight:550;transition:background .15s,color .15s}",
    ".qr:hover{background:var(--accent);color:var(--on-accent)}",
    ".composer{position:relative;display:flex;align-items:flex-end;gap:8px;padding:10px 12px 8px;border-top:1px solid #eef0f3;background:#fff}",
    "textarea{flex:1;max-height:120px;padding:10px 12px;border:1px solid #e2e8f0;border-radius:12px;outline:none;background:#f8fafc;color:#0f172a;font:inherit;line-height:1.4;resize:none}",
    "textarea:focus{border-color:var(--accent);background:#fff;box-shadow:0 0 0 3px color-mix(in srgb,var(--accent) 18%,transparent)}",
    ".send{display:grid;place-items:center;flex:none;width:42px;height:42px;border:0;border-radius:12px;background:var(--accent);color:var(--on-accent);transition:opacity .15s,transform .1s}",
    ".send:disabled{opacity:.35;cursor:default}",
    ".send:not(:disabled):active{transform:scale(.94)}",
    ".counter{position:absolute;top:-20px;right:64px;padding:0 6px;border-radius:6px;background:#fff;color:#64748b;font-size:11px}",
    ".counter.over{color:#dc2626}",
    ".brand{margin:0;padding:0 0 8px;background:#fff;color:#a3acb9;font-size:11px;text-align:center}",
    ".teaser{position:absolute;bottom:76px;right:0;width:280px;padding:14px 16px;border-radius:14px 14px 4px 14px;background:#fff;box-shadow:0 12px 32px rgba(15,23,42,.2);animation:rise .3s ease-out}",
    ".left .teaser{right:auto;left:0;border-radius:14px 14px 14px 4px}",
    ".teaser-text{display:block;width:100%;padding:0;border:0;background:none;color:#0f172a;font-size:14px;text-align:left}",
    ".teaser-x{position:absolute;top:-10px;right:-10px;display:grid;place-items:center;width:24px;height:24px;border:2px solid #fff;border-radius:50%;background:#475569;color:#fff}",
    "@keyframes pop{from{opacity:0;transform:translateY(12px) scale(.96)}}",
    "@keyframes rise{from{opacity:0;transform:translateY(6px)}}",
    "@keyframes bounce{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}",
    "@keyframes blink{50%{opacity:.35}}",
    "@media (max-width:480px){.qb{bottom:14px;right:14px}.qb.left{left:14px}.panel{position:fixed;inset:0;width:auto;height:100%;height:100dvh;border-radius:0;animation:none}.open .launcher{display:none}textarea{font-size:16px}}",
    "@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important;scroll-behavior:auto!important}}"
  ].join("");

  // ---- build the UI inside a shadow root, so the host page's CSS cannot reach in (or out)
  var host = el("div", { id: "qualibot-widget" });
  var root = host.attachShadow({ mode: "open" });
  var style = el("style", { text: CSS });
  var badge = el("span", { class: "badge", "aria-hidden": "true", hidden: "" });
  var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false",
    "aria-controls": "qb-panel" }, [el("span", { class: "ico ico-chat" }, [icon(ICON_CHAT, 28)]),
    el("span", { class: "ico ico-close" }, [icon(ICON_CLOSE, 26)]), badge]);
  var teaserText = el("button", { class: "teaser-text", type: "button" });
  var teaserClose = el("button", { class: "teaser-x", type: "button", "aria-label": "Dismiss" },
    [icon(ICON_CLOSE, 14)]);
  var teaser = el("div", { class: "teaser", hidden: "" }, [teaserClose, teaserText]);
  var statusText = el("span", { class: "status-text", text: "Connecting…" });
  var status = el("p", { class: "status", "data-state": "connecting" },
    [el("span", { class: "dot", "aria-hidden": "true" }), statusText]);
  var closeBtn = el("button", { class: "close", type: "button", "aria-label": "Close chat" },
    [icon(ICON_DOWN, 26)]);
  var header = el("header", {}, [
    el("div", { class: "avatar", "aria-hidden": "true", text: CFG.title.charAt(0).toUpperCase() }),
    el("div", { class: "hd" }, [el("h2", { id: "qb-title", text: CFG.title }), status]),
    closeBtn]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite",
    "aria-relevant": "additions", "aria-label": "Conversation" });
  var typing = el("div", { class: "row bot typing", hidden: "", "aria-hidden": "true" },
    [el("div", { class: "bubble" }, [el("i"), el("i"), el("i")])]);
  var intro = CFG.greeting ? el("p", { class: "intro", text: CFG.greeting }) : null;
  var scroller = el("div", { class: "scroll" }, [intro, log, typing]);
  var replies = el("div", { class: "replies", role: "group", "aria-label": "Suggested replies" });
  var input = el("textarea", { id: "qb-input", rows: "1", placeholder: "Type your message…",
    "aria-label": "Message", enterkeyhint: "send", autocomplete: "off" });
  var counter = el("span", { class: "counter", "aria-live": "polite", hidden: "" });
  var sendBtn = el("button", { class: "send", type: "submit", "aria-label": "Send message",
    disabled: "" }, [icon(ICON_SEND, 20)]);
  var form = el("form", { class: "composer" }, [input, counter, sendBtn]);
  var panel = el("section", { class: "panel", id: "qb-panel", role: "dialog",
    "aria-labelledby": "qb-title", hidden: "" }, [header, scroller, replies, form,
    el("p", { class: "brand", text: "Powered by Qualibot" })]);
  var frame = el("div", { class: "qb " + (CFG.left ? "left" : "right") },
    [panel, teaser, launcher]);
  frame.style.setProperty("--accent", CFG.accent);
  frame.style.setProperty("--on-accent", onAccent(CFG.accent));
  root.appendChild(style); root.appendChild(frame);

  // ---- rendering the transcript
  var maxChars = 2000;
  var localCounter = 0;
  function sortKey(m) {
    if (m.seq) return m.seq;
    if (m.after !== undefined) return m.after + 0.5; // a proactive line sits after what preceded it
    return 1e12 + (m.n || 0);                        // not yet sent: at the end, in typing order
  }
  function rowKey(m) { return m.seq ? "s" + m.seq : "l" + (m.id || m.n); }
  var SAID = { visitor: "You", bot: CFG.title, rep: "Sales" };
  function fmtTime(at) {
    var d = new Date(at);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }
  function linkify(node, text) {
    // Links as <a> built from parts: the text is never parsed as HTML.
    var re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g, last = 0, m;
    while ((m = re.exec(text))) {
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      node.appendChild(el("a", { href: m[0], target: "_blank", rel: "noopener noreferrer nofollow",
        text: m[0] }));
      last = m.index + m[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }
  function renderRow(m) {
    var row;
    if (m.author === "system") {
      row = el("div", { class: "row system" }, [el("p", { class: "notice", text: m.text })]);
    } else {
      var bubble = el("div", { class: "bubble" }, [el("span", { class: "sr",
        text: (m.author === "rep" && m.author_name ? m.author_name : SAID[m.author] || "") + ": " })]);
      if (m.author === "visitor") bubble.appendChild(document.createTextNode(m.text));
      else linkify(bubble, m.text);
      var meta = el("div", { class: "meta" }, [el("time", { datetime: m.at, title:
        new Date(m.at).toLocaleString(), text: fmtTime(m.at) })]);
      if (m.status && m.status !== "sent") {
        meta.appendChild(el("span", { class: "state " + m.status, text: STATE_TEXT[m.status] || m.error || "" }));
        if (m.status === "failed") {
          var retry = el("button", { class: "retry", type: "button", text: "Retry" });
          retry.addEventListener("click", function () { resend(m.id); });
          meta.appendChild(retry);
        }
      }
      row = el("div", { class: "row " + m.author + (m.local ? " local" : "") }, [
        m.author === "rep" ? el("div", { class: "who", text: m.author_name || "Sales team" }) : null,
        bubble, meta]);
    }
    row.dataset.key = rowKey(m);
    row.dataset.sort = sortKey(m);
    if (m.seq) row.dataset.seq = m.seq;
    return row;
  }
  var STATE_TEXT = { sending: "Sending…", queued: "Queued — sends when you're back online",
    slow: "Waiting a moment…" };
  function place(m) {
    var fresh = renderRow(m), old = log.querySelector('[data-key="' + rowKey(m) + '"]');
    if (!old && m.id) old = log.querySelector('[data-key="l' + m.id + '"]');
    if (old) { log.replaceChild(fresh, old); } else {
      var k = sortKey(m), next = null;
      for (var i = 0; i < log.children.length; i++) {
        if (+log.children[i].dataset.sort > k) { next = log.children[i]; break; }
      }
      log.insertBefore(fresh, next);
    }
    fresh.__m = m;
  }
  function groupTimes() {
    // Consecutive lines from one author within two minutes share one timestamp (the last).
    var rows = log.children;
    for (var i = 0; i < rows.length; i++) {
      var a = rows[i], b = rows[i + 1], ma = a.__m, mb = b && b.__m;
      a.classList.toggle("grouped", !!(ma && mb && ma.author === mb.author &&
        ma.author !== "system" && !ma.status && Math.abs(new Date(mb.at) - new Date(ma.at)) < 120000));
      a.classList.toggle("cont", !!(i && rows[i - 1].__m && ma && rows[i - 1].__m.author === ma.author));
    }
  }
  function show(m) { place(m); groupTimes(); }
  function renderReplies() {
    replies.textContent = "";
    var last = null;
    for (var i = S.messages.length - 1; i >= 0; i--) {
      if (S.messages[i].author !== "system") { last = S.messages[i]; break; }
    }
    if (!last || last.author !== "bot" || !last.quick_replies || !last.quick_replies.length ||
        paceQueue.length) { replies.hidden = true; return; }
    last.quick_replies.forEach(function (qr) {
      var b = el("button", { type: "button", class: "qr", text: qr[0] });
      b.addEventListener("click", function () { sendClick(qr[1], qr[0]); });
      replies.appendChild(b);
    });
    replies.hidden = false;
    scrollDown(false);
  }
  function scrollDown(smooth) {
    scroller.scrollTo({ top: scroller.scrollHeight,
      behavior: smooth && !reducedMotion.matches ? "smooth" : "auto" });
  }
  function renderAll() {
    log.textContent = "";
    S.messages.sort(function (a, b) { return sortKey(a) - sortKey(b); });
    S.messages.forEach(show);
    renderReplies();
  }

  // ---- receiving: every line is stored once (by seq), shown once, in order
  var paceQueue = [], pacing = false, serverTyping = false, typingTimer = null;
  function receive(f, live) {
    var m = { seq: f.seq, author: f.author, author_name: f.author_name, text: f.text, at: f.at,
      quick_replies: f.quick_replies || [] };
    if (f.id) m.id = f.id;
    S.lastSeq = Math.max(S.lastSeq, f.seq);
    var i, known = false;
    for (i = 0; i < S.messages.length; i++) {
      var o = S.messages[i];
      if (o.seq === f.seq || (f.id && o.id === f.id && !o.seq)) { S.messages[i] = m; known = true; break; }
    }
    if (f.id) { dropOutbox(f.id); }
    markStarted();
    if (known) { show(m); persist(); renderReplies(); return; }
    S.messages.push(m);
    if (m.author !== "visitor" && !S.open) { S.unread += 1; updateBadge(); if (live) peek(m); }
    persist();
    if (live && S.open && m.author === "bot") { paceQueue.push(m); if (!pacing) pace(); }
    else { show(m); renderReplies(); scrollDown(true); }
  }
  function pace() {
    // A short typing pause before each bot line reads as a conversation, not a dump.
    pacing = true; setTyping();
    var m = paceQueue[0];
    var wait = reducedMotion.matches ? 150 : Math.min(1200, 350 + m.text.length * 10);
    setTimeout(function () {
      paceQueue.shift(); show(m); scrollDown(true);
      if (paceQueue.length) pace(); else { pacing = false; setTyping(); renderReplies(); }
    }, wait);
  }
  function setTyping() {
    typing.hidden = !(pacing || serverTyping);
    if (!typing.hidden) scrollDown(true);
  }

  // ---- sending: every frame waits in the outbox until acknowledged, and keeps its id
  var ws = null, online = false, sentNow = {}, holdUntil = 0, holdTimer = null;
  function addLocal(m) { m.n = ++localCounter + Date.now(); S.messages.push(m); show(m); persist(); scrollDown(true); }
  function setEntry(id, fields) {
    for (var i = 0; i < S.messages.length; i++) {
      var m = S.messages[i];
      if (m.id === id && !m.seq) { for (var k in fields) m[k] = fields[k]; show(m); persist(); return; }
    }
  }
  function queue(frameData) {
    S.outbox.push(frameData); persist(); flush();
  }
  function dropOutbox(id) {
    S.outbox = S.outbox.filter(function (f) { return f.id !== id; }); persist();
  }
  function flush() {
    if (!online) return;
    var wait = holdUntil - Date.now();
    if (wait > 0) { clearTimeout(holdTimer); holdTimer = setTimeout(flush, wait); return; }
    S.outbox.forEach(function (f) {
      if (sentNow[f.id]) return;
      sentNow[f.id] = true; send(f);
      if (f.type === "message" || f.type === "click") setEntry(f.id, { status: "sending" });
    });
  }
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  function ensureStarted() {
    if (S.started || S.outbox.some(function (f) { return f.type === "start"; })) return;
    queue({ type: "start", id: newId() });
  }
  function sendText(text) {
    text = text.trim();
    if (!text) return;
    ensureStarted();
    var id = newId();
    addLocal({ id: id, author: "visitor", text: text, at: new Date().toISOString(),
      status: online ? "sending" : "queued" });
    queue({ type: "message", id: id, text: text });
    renderReplies();
  }
  function sendClick(value, label) {
    var id = newId();
    replies.hidden = true;
    addLocal({ id: id, author: "visitor", text: label, at: new Date().toISOString(),
      status: online ? "sending" : "queued" });
    queue({ type: "click", id: id, value: value });
    input.focus();
  }
  function resend(id) {
    for (var i = 0; i < S.messages.length; i++) {
      var m = S.messages[i];
      if (m.id === id && m.status === "failed") {
        m.status = online ? "sending" : "queued"; delete m.error; show(m);
        queue({ type: "message", id: id, text: m.text });
      }
    }
  }
  function markStarted() {
    // Page views seen before the visitor chatted count too, once there is a conversation.
    if (S.started) return;
    S.started = true;
    var views = S.views; S.views = [];
    views.forEach(function (v) { S.outbox.push(v); });
    persist(); flush();
  }
  function recordView() {
    var v = { type: "page_view", id: newId(), path: location.pathname.slice(0, 500),
      title: document.title.slice(0, 200) };
    if (S.started) queue(v); else { S.views.push(v); S.views = S.views.slice(-10); persist(); }
  }

  // ---- frames from the server
  var proactiveRules = [];
  var HANDLERS = {
    welcome: function (f) {
      S.token = f.token; attempt = 0;
      if (f.reset) {
        S.messages = S.messages.filter(function (m) { return m.id && !m.seq && m.author === "visitor"; });
        S.lastSeq = 0; S.started = false; renderAll();
      }
      maxChars = f.max_chars || maxChars;
      input.setAttribute("maxlength", maxChars);
      f.messages.forEach(function (m) { receive(m, false); });
      S.lastSeq = f.last_seq;
      persist(); setStatus("online"); renderReplies();
      proactiveRules = f.proactive || []; scheduleProactive();
      if (S.open && !S.messages.length) ensureStarted();
      flush();
    },
    message: function (f) { if (f.author === "bot") { serverTyping = false; } receive(f, true); setTyping(); },
    ack: function (f) {
      var was = S.outbox.filter(function (o) { return o.id === f.id; })[0];
      dropOutbox(f.id);
      if (f.seq) S.lastSeq = Math.max(S.lastSeq, f.seq);
      if (was && was.type === "start") markStarted();
      setEntry(f.id, { status: "sent" });
      serverTyping = false; setTyping(); persist();
    },
    typing: function () {
      serverTyping = true; setTyping(); clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { serverTyping = false; setTyping(); }, 8000);
    },
    error: function (f) {
      serverTyping = false; setTyping();
      if (f.code === "rate_limited") {
        holdUntil = Date.now() + (f.retry_after || 2) * 1000;
        if (f.id) { delete sentNow[f.id]; setEntry(f.id, { status: "slow" }); }
        flush();
      } else if (f.id && f.code !== "server_error") {
        dropOutbox(f.id); setEntry(f.id, { status: "failed", error: f.message });
      } else if (f.id) {
        dropOutbox(f.id); setEntry(f.id, { status: "failed", error: "Not sent" });
      }
    },
    pong: function () { clearTimeout(pongTimer); },
  };

  // ---- the connection: exponential backoff with jitter; hello resumes from lastSeq
  var attempt = 0, retryTimer = null, pingTimer = null, pongTimer = null;
  function setStatus(state) {
    online = state === "online";
    status.dataset.state = state;
    statusText.textContent = { online: "Online", connecting: "Connecting…",
      offline: "Offline — reconnecting" }[state];
    form.classList.toggle("offline", state === "offline");
  }
  function connect() {
    clearTimeout(retryTimer);
    if (ws) return;
    setStatus("connecting");
    try { ws = new WebSocket(WS_URL); } catch (e) { ws = null; return retry(); }
    var sock = ws;
    sock.onopen = function () { send({ type: "hello", token: S.token, last_seq: S.lastSeq }); heartbeat(); };
    sock.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && HANDLERS[f.type]) HANDLERS[f.type](f);
    };
    sock.onclose = function (ev) { if (ws === sock) drop(ev.code); };
  }
  function drop(code) {
    if (ws) { ws.onclose = ws.onmessage = ws.onopen = null; try { ws.close(); } catch (e) { /**/ } }
    ws = null; sentNow = {}; clearInterval(pingTimer); clearTimeout(pongTimer);
    serverTyping = false; setTyping();
    S.outbox.forEach(function (f) { setEntry(f.id, { status: "queued" }); });
    setStatus("offline"); retry(code);
  }
  function retry(code) {
    var cap = Math.min(30000, 500 * Math.pow(2, attempt++));
    var delay = cap / 2 + Math.random() * cap / 2;          // "equal jitter"
    if (code === 1013) delay = Math.max(delay, 15000);      // told to back off
    clearTimeout(retryTimer); retryTimer = setTimeout(connect, delay);
  }
  function heartbeat() {
    clearInterval(pingTimer);
    // Browsers answer protocol pings but never tell the page a connection died silently
    // (laptop lid, lost Wi-Fi); an application ping with a deadline does.
    pingTimer = setInterval(function () {
      send({ type: "ping" });
      clearTimeout(pongTimer); pongTimer = setTimeout(function () { drop(); }, 10000);
    }, 25000);
  }
  addEventListener("online", function () { if (!ws) { attempt = 0; connect(); } });
  addEventListener("offline", function () { if (ws) drop(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !ws) { attempt = 0; connect(); }
  });

  // ---- opening, closing, unread, teaser
  function updateBadge() {
    badge.textContent = S.unread > 9 ? "9+" : String(S.unread);
    badge.hidden = S.open || !S.unread;
    launcher.setAttribute("aria-label", S.open ? "Close chat" : "Open chat" +
      (S.unread ? " (" + S.unread + " unread)" : ""));
  }
  function setOpen(open, focus) {
    S.open = open;
    panel.hidden = !open; frame.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      S.unread = 0; teaser.hidden = true; clearProactive();
      if (!S.messages.length || !S.started) ensureStarted();
      renderReplies(); scrollDown(false);
      if (focus) input.focus();
    } else if (focus) launcher.focus();
    updateBadge(); persist();
  }
  function peek(m) {
    teaserText.textContent = m.text.length > 140 ? m.text.slice(0, 137) + "…" : m.text;
    teaser.hidden = false;
  }
  launcher.addEventListener("click", function () { setOpen(!S.open, true); });
  closeBtn.addEventListener("click", function () { setOpen(false, true); });
  teaserText.addEventListener("click", function () { setOpen(true, true); });
  teaserClose.addEventListener("click", function () { teaser.hidden = true; dismissed = true; });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false, true); });

  // ---- proactive: after N seconds on a matching page, open with the flow's message
  var proactiveTimers = [], dismissed = false;
  function glob(pattern) {
    return new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
      .replace(/\?/g, ".") + "$");
  }
  function clearProactive() { proactiveTimers.forEach(clearTimeout); proactiveTimers = []; }
  function scheduleProactive() {
    clearProactive();
    if (S.open || dismissed) return;
    var fired = load("proactive", {});
    var rule = proactiveRules.filter(function (r) { return glob(r.page).test(location.pathname); })[0];
    // Once a day per rule at most: a widget that nags is a widget that gets removed.
    if (!rule || Date.now() - (fired[rule.page] || 0) < 864e5) return;
    var wait = Math.max(0, rule.after_seconds * 1000 - performance.now());
    proactiveTimers.push(setTimeout(function () {
      if (S.open) return;
      fired[rule.page] = Date.now(); save("proactive", fired);
      var m = { author: "bot", text: rule.message, at: new Date().toISOString(), local: true,
        after: S.lastSeq, id: "p" + newId() };
      if (narrow.matches) { peek(m); return; } // never take over a phone's whole screen uninvited
      S.messages.push(m); show(m); setOpen(true, false);
    }, wait));
  }

  // ---- the composer
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
    var n = input.value.length;
    counter.hidden = n < maxChars * 0.8;
    counter.textContent = n + " / " + maxChars;
    counter.classList.toggle("over", n > maxChars);
    if (n > maxChars) sendBtn.setAttribute("disabled", "");
    else if (input.value.trim()) sendBtn.removeAttribute("disabled");
    else sendBtn.setAttribute("disabled", "");
  }
  input.addEventListener("input", autosize);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!input.value.trim() || input.value.length > maxChars) return;
    sendText(input.value); input.value = ""; autosize(); input.focus();
  });

  // ---- start
  function mount() {
    document.body.appendChild(host);
    renderAll(); updateBadge();
    if (S.open) setOpen(true, false);
    recordView();
    var push = history.pushState;
    history.pushState = function () { push.apply(this, arguments); recordView(); scheduleProactive(); };
    addEventListener("popstate", function () { recordView(); scheduleProactive(); });
    connect();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
