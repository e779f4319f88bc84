// Builds the three columns from API data. Pure DOM construction; app.js owns state and I/O.

import { $, ago, clock, countdown, fill, h, initials } from "./dom.js";

const CHANNEL = { widget: "Web chat", slack: "Slack", telegram: "Telegram", terminal: "Terminal" };
const CONTACT = new Set(["name", "email", "phone", "company"]);
const BANT = ["budget", "authority", "need", "timeline"];
const STATUS = { answer: "", refused: "declined to say", unknown: "not sure" };

function rank(slot) {
  const i = BANT.indexOf(slot);
  return i < 0 ? BANT.length : i;
}

export function leadName(lead, key) {
  if (lead && lead.name) return lead.name;
  if (lead && lead.email) return lead.email;
  return "Visitor " + String(key).split(":").slice(1).join(":").slice(0, 6);
}

function stageBadge(stage) {
  return h("span", { class: "stage s-" + String(stage || "none").toLowerCase(), text: stage || "—" });
}

function slaBadge(item) {
  if (item.status !== "queued") return null;
  if (!item.sla_due_at) return h("span", { class: "sla off", text: "after hours" });
  return h("span", { class: "sla", "data-due": item.sla_due_at, text: "" });
}

export function queueItem(item, selected, me, now) {
  const lead = item.lead || {};
  const mine = item.rep_id === me.id;
  const sub = [lead.company, CHANNEL[item.channel] || item.channel].filter(Boolean).join(" · ");
  const who = item.status === "claimed"
    ? (mine ? "You" : item.rep_name || "A rep")
    : (item.offered_rep_id === me.id ? "Offered to you" : "Team " + (item.team || "sales"));
  return h("li", {
    class: "item" + (item.key === selected ? " selected" : "") + (mine ? " mine" : ""),
    "data-key": item.key, "data-status": item.status, "data-stage": item.stage,
    "data-channel": item.channel, tabindex: "0", role: "button",
  }, [
    h("span", { class: "avatar", text: initials(leadName(lead, item.key)), "aria-hidden": "true" }),
    h("div", { class: "main" }, [
      h("div", { class: "row1" }, [
        h("b", { class: "name", text: leadName(lead, item.key) }),
        slaBadge(item),
      ]),
      h("div", { class: "row2", text: sub }),
      h("div", { class: "row3" }, [
        stageBadge(item.stage),
        h("span", { class: "score", text: item.score + " pts" }),
        h("span", { class: "who", text: who }),
        h("span", { class: "age", text: ago(item.requested_at, now) }),
      ]),
    ]),
  ]);
}

export function tickSla(now) {
  for (const node of document.querySelectorAll(".sla[data-due]")) {
    const left = (new Date(node.dataset.due).getTime() - now) / 1000;
    node.textContent = countdown(left);
    node.classList.toggle("late", left < 0);
    node.classList.toggle("soon", left >= 0 && left < 30);
  }
}

function line(m) {
  if (m.kind === "page_view") {
    return h("li", { class: "line event", "data-seq": m.seq }, [
      h("span", { text: "Viewed " + m.text }), h("time", { text: clock(m.at) })]);
  }
  if (m.author === "system") {
    return h("li", { class: "line system", "data-seq": m.seq }, [h("span", { text: m.text })]);
  }
  const label = m.author === "visitor" ? (m.author_name || "Prospect")
    : m.author === "bot" ? "Bot" : (m.author_name || "Rep");
  return h("li", { class: "line msg " + m.author, "data-seq": m.seq }, [
    h("div", { class: "meta" }, [h("b", { text: label }), h("time", { text: clock(m.at) })]),
    h("div", { class: "bubble", text: m.text }),
  ]);
}

function noteLine(n) {
  return h("li", { class: "line note" }, [
    h("div", { class: "meta" }, [
      h("b", { text: n.rep_name }), h("span", { class: "tag", text: "Internal note" }),
      h("time", { text: clock(n.at) })]),
    h("div", { class: "bubble", text: n.text }),
  ]);
}

export function transcript(conv) {
  const rows = conv.messages.map((m) => ({ at: m.at, node: line(m) }))
    .concat(conv.notes.map((n) => ({ at: n.at, node: noteLine(n), note: true })));
  rows.sort((a, b) => new Date(a.at) - new Date(b.at) || (a.note ? 1 : 0) - (b.note ? 1 : 0));
  const list = $("transcript");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  fill(list, rows.map((r) => r.node));
  if (atBottom || !list.dataset.key || list.dataset.key !== conv.key) list.scrollTop = list.scrollHeight;
  list.dataset.key = conv.key;
}

export function header(conv, me) {
  const lead = conv.lead;
  $("c-name").textContent = leadName(lead, conv.key);
  fill($("c-sub"), [
    stageBadge(conv.stage),
    h("span", { text: conv.score + " pts" }),
    h("span", { text: CHANNEL[conv.channel] || conv.channel }),
    lead.company ? h("span", { text: lead.company }) : null,
  ]);
  const owner = $("c-owner");
  const mine = conv.owner === "rep" && conv.owner_rep_id === me.id;
  owner.dataset.owner = mine ? "me" : conv.owner;
  owner.textContent = mine ? "You are in this conversation"
    : conv.owner === "rep" ? (conv.owner_rep_name || "A rep") + " is in this conversation"
    : conv.owner === "queued" ? "Waiting for a rep" : "The bot is talking";
  $("claim").hidden = conv.owner !== "queued";
  $("handback").hidden = !mine;
  $("outcome").hidden = !(mine || conv.owner === "queued");
  return mine;
}

function row(label, value) {
  if (!value) return [];
  return [h("dt", { text: label }), h("dd", { text: value })];
}

export function details(conv) {
  const lead = conv.lead;
  fill($("lead"), [
    ...row("Name", lead.name), ...row("Company", lead.company), ...row("Email", lead.email),
    ...row("Phone", lead.phone), ...row("Company size", lead.company_size),
    ...row("Channel", CHANNEL[lead.channel] || lead.channel),
  ]);
  const ev = conv.evidence;
  $("score-total").textContent = conv.score + " pts";
  // The four BANT facts first, then any other qualifying fact; contact details are on the card.
  const facts = ev.slots.filter((s) => !CONTACT.has(s.slot))
    .sort((a, b) => rank(a.slot) - rank(b.slot));
  fill($("evidence"), facts.map((s) => h("li", {
    class: "fact " + s.status, "data-slot": s.slot, title: s.quote ? "“" + s.quote + "”" : null,
  }, [
    h("b", { text: s.label }),
    h("span", { class: "value", text: s.status === "answer" ? s.value : STATUS[s.status] || s.status }),
  ])));
  if (!facts.length) fill($("evidence"), [h("li", { class: "muted", text: "Nothing recorded yet." })]);
  fill($("explain"), ev.lines.map((l) => h("li", { class: l.points < 0 ? "neg" : "pos" }, [
    h("span", { class: "pts", text: (l.points > 0 ? "+" : "") + l.points }),
    h("div", {}, [h("b", { text: l.rule }), l.quote ? h("q", { text: l.quote, title: l.quote }) : null]),
  ])));
  if (!ev.lines.length) fill($("explain"), [h("li", { class: "muted", text: "No rule has matched yet." })]);
  const hand = conv.handoff;
  fill($("routing"), hand ? [
    h("span", { class: "why", text: hand.reason }),
    h("span", { text: hand.route_reason || "" }),
  ] : [h("span", { class: "muted", text: "Not handed off yet." })]);
  fill($("stages"), conv.stages.map((s) => h("li", {}, [
    h("div", {}, [stageBadge(s.previous), h("span", { class: "arrow", text: "→" }), stageBadge(s.stage),
      h("time", { text: clock(s.at) })]),
    h("small", { text: s.reason }),
  ])));
  if (!conv.stages.length) fill($("stages"), [h("li", { class: "muted", text: "No stage yet." })]);
}
