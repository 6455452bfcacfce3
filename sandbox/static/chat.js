// The sandbox's web chat: one person at a time chatting with the bot; every change arrives as a server-sent event.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  bot: { name: "SmartAir", username: "" },
  people: [],
  devices: new Map(),
  current: null, // the person whose chat is open
  messages: new Map(), // message_id -> Telegram message, for the open chat
  menu: [],
  unread: new Map(), // person id -> count
  pressed: new Map(), // callback query id -> button element waiting for the bot's answer
};

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    let reason = response.statusText;
    try { reason = (await response.json()).error || reason; } catch (_) { /* not JSON */ }
    throw new Error(reason);
  }
  return response.status === 204 ? null : response.json();
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function avatar(person, size) {
  const node = element("div", `avatar ${size || ""} c${person.id % 5}`, (person.name || "?").slice(0, 1).toUpperCase());
  return node;
}

// ---- people -------------------------------------------------------------------------------------------------

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  for (const person of state.people) {
    const item = element("li");
    item.dataset.person = person.id;
    if (state.current && person.id === state.current.id) item.classList.add("active");
    item.append(avatar(person, "small"), element("span", "name", person.name), element("span", "lang", person.language));
    const unread = state.unread.get(person.id);
    if (unread) item.append(element("span", "unread", String(unread)));
    item.addEventListener("click", () => openChat(person.id));
    list.append(item);
  }
}

async function addPerson(name, language) {
  const person = await api("/api/people", { name, language });
  if (!state.people.some((p) => p.id === person.id)) state.people.push(person);
  return person;
}

// ---- devices ------------------------------------------------------------------------------------------------

function describeDevice(device, now) {
  if (device.status === "pending") {
    const left = Math.max(0, device.expires_at - now);
    if (left === 0) return "code expired, a new one is coming";
    return `pairing code · ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left`;
  }
  if (device.status === "paired") return "paired";
  if (device.status === "unpaired") return "removed · waiting for a new code";
  return "refused: it already has an owner";
}

function renderDevices() {
  const list = $("devices");
  const now = Math.floor(Date.now() / 1000);
  list.replaceChildren();
  const devices = [...state.devices.values()].sort((a, b) => a.uid.localeCompare(b.uid));
  $("no-devices").hidden = devices.length > 0;
  for (const device of devices) {
    const item = element("li", device.status);
    item.dataset.uid = device.uid;
    const info = element("div", "info");
    info.append(element("div", "uid", device.uid), element("div", "state", describeDevice(device, now)));
    item.append(element("span", "dot"), info);
    if (device.status === "pending" && device.expires_at > now) {
      const code = element("span", "code", device.code);
      code.title = "Put /add " + device.code + " in the message box";
      code.addEventListener("click", () => {
        $("text").value = `/add ${device.code}`;
        $("text").focus();
      });
      item.append(code);
    }
    list.append(item);
  }
}

// Countdowns move every second; the list is drawn again only when a code runs out.
function tickDevices() {
  const now = Math.floor(Date.now() / 1000);
  for (const item of $("devices").children) {
    const device = state.devices.get(item.dataset.uid);
    if (!device) continue;
    if (item.querySelector(".code") && device.expires_at <= now) return renderDevices();
    item.querySelector(".state").textContent = describeDevice(device, now);
  }
}

// ---- the open chat ------------------------------------------------------------------------------------------

async function openChat(personId) {
  const chat = await api(`/api/chats/${personId}`);
  state.current = chat.person;
  state.menu = chat.menu;
  state.messages = new Map(chat.messages.map((m) => [m.message_id, m]));
  state.unread.delete(personId);
  document.body.classList.remove("show-side");
  localStorage.setItem("sandbox-person", String(personId));
  history.replaceState(null, "", `#person=${personId}`);
  const as = $("as-person");
  as.replaceChildren(element("span", "", "you are"), avatar(chat.person, "small"), element("b", "", chat.person.name));
  renderPeople();
  renderMenu();
  renderAll();
  $("text").focus();
}

function renderAll() {
  const box = $("messages");
  for (const node of [...box.querySelectorAll(".msg")]) node.remove();
  for (const message of state.messages.values()) box.append(renderMessage(message));
  updateChrome();
  box.scrollTop = box.scrollHeight;
}

function updateChrome() {
  const chat = $("chat");
  chat.classList.toggle("none", !state.current);
  chat.classList.toggle("empty", Boolean(state.current) && state.messages.size === 0);
  const nodes = [...$("messages").querySelectorAll(".msg")];
  nodes.forEach((node, index) => {
    const next = nodes[index + 1];
    node.classList.toggle("tail", !next || next.dataset.side !== node.dataset.side);
  });
}

function upsert(message) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const fresh = renderMessage(message);
  const old = box.querySelector(`.msg[data-id="${message.message_id}"]`);
  state.messages.set(message.message_id, message);
  if (old) {
    old.replaceWith(fresh);
    fresh.classList.add("flash");
  } else {
    const later = [...box.querySelectorAll(".msg")].find((node) => Number(node.dataset.id) > message.message_id);
    box.insertBefore(fresh, later || null);
  }
  updateChrome();
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function remove(messageId) {
  state.messages.delete(messageId);
  const node = $("messages").querySelector(`.msg[data-id="${messageId}"]`);
  if (node) node.remove();
  updateChrome();
}

function fileUrl(fileId, download) {
  return `/api/files/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
}

function renderMessage(message) {
  const side = message.from && message.from.is_bot ? "in" : "out";
  const node = element("div", `msg ${side}`);
  node.dataset.id = message.message_id;
  node.dataset.side = side;
  const bubble = element("div", "bubble");
  const text = message.text !== undefined ? message.text : message.caption;
  if (message.photo) {
    const photo = message.photo[message.photo.length - 1];
    bubble.classList.add("photo");
    if (!text) bubble.classList.add("bare");
    const image = element("img");
    image.src = fileUrl(photo.file_id);
    image.alt = text || "photo";
    image.dataset.fileId = photo.file_id;
    if (photo.width && photo.height) image.style.aspectRatio = `${photo.width} / ${photo.height}`;
    image.addEventListener("click", () => window.open(fileUrl(photo.file_id), "_blank"));
    image.addEventListener("load", () => {
      const box = $("messages");
      if (box.scrollHeight - box.scrollTop - box.clientHeight < 400) box.scrollTop = box.scrollHeight;
    });
    bubble.append(image);
    if (text) {
      const caption = element("div", "caption");
      caption.append(...formatText(text), meta(message));
      bubble.append(caption);
    } else {
      bubble.append(meta(message));
    }
  } else if (message.document) {
    bubble.append(documentCard(message.document));
    if (text) bubble.append(element("div", "caption-gap"), ...formatText(text));
    bubble.append(meta(message));
  } else {
    bubble.append(...formatText(text || ""), meta(message));
  }
  node.append(bubble);
  const rows = message.reply_markup && message.reply_markup.inline_keyboard;
  if (rows && rows.length) node.append(keyboard(message, rows));
  return node;
}

function documentCard(document_) {
  const link = element("a", "file");
  link.href = fileUrl(document_.file_id);
  link.target = "_blank";
  link.rel = "noopener";
  const extension = (document_.file_name || "").split(".").pop().slice(0, 4).toUpperCase();
  const about = element("div");
  about.append(element("div", "file-name", document_.file_name || "file"), element("div", "file-size", size(document_.file_size)));
  link.append(element("div", "file-icon", extension || "FILE"), about);
  return link;
}

function size(bytes) {
  if (!bytes && bytes !== 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function meta(message) {
  const when = new Date(message.date * 1000);
  const time = `${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
  return element("span", "meta", message.edit_date ? `edited ${time}` : time);
}

// Text as Telegram shows it: links and /commands can be clicked.
function formatText(text) {
  const parts = [];
  const pattern = /(https?:\/\/[^\s]+|(?:^|(?<=\s))t\.me\/[^\s]+|(?:^|(?<=\s))\/[a-zA-Z0-9_]{1,32}\b)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
    const token = match[0];
    const link = element("a", "", token);
    link.href = token.startsWith("/") ? "#" : (token.startsWith("http") ? token : `https://${token}`);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      if (token.startsWith("/")) send(token);
      else openLink(link.href);
    });
    parts.push(link);
    last = match.index + token.length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  return parts;
}

function keyboard(message, rows) {
  const board = element("div", "keyboard");
  for (const row of rows) {
    const line = element("div", "row");
    for (const button of row) {
      const key = element("button", button.url ? "url" : "", button.text);
      key.type = "button";
      key.addEventListener("click", () => {
        if (button.url) openLink(button.url);
        else press(message.message_id, button.callback_data, key);
      });
      line.append(key);
    }
    board.append(line);
  }
  return board;
}

async function press(messageId, data, key) {
  key.classList.add("pending");
  try {
    const { query_id: queryId } = await api(`/api/chats/${state.current.id}/press`, { message_id: messageId, data });
    state.pressed.set(queryId, key);
    // Telegram's client stops waiting after a while even if the bot never answers.
    setTimeout(() => { if (state.pressed.delete(queryId)) key.classList.remove("pending"); }, 15000);
  } catch (error) {
    key.classList.remove("pending");
    toast(error.message);
  }
}

async function send(text) {
  if (!state.current || !text.trim()) return;
  try {
    await api(`/api/chats/${state.current.id}/send`, { text });
  } catch (error) {
    toast(error.message);
  }
}

// ---- command menu, links, notices ---------------------------------------------------------------------------

function renderMenu() {
  const list = $("menu");
  list.replaceChildren();
  for (const command of state.menu) {
    const item = element("li");
    item.append(element("span", "cmd", `/${command.command}`), element("span", "desc", command.description));
    item.addEventListener("click", () => {
      list.hidden = true;
      send(`/${command.command}`);
    });
    list.append(item);
  }
  $("menu-button").hidden = state.menu.length === 0;
}

// t.me/<this bot>?start=<payload> opens the chat with the bot as whoever follows the link: pick who.
function openLink(href) {
  let url;
  try { url = new URL(href); } catch (_) { return; }
  const start = url.searchParams.get("start");
  const ours = url.hostname === "t.me" && url.pathname.replace(/^\//, "") === state.bot.username;
  if (!ours || !start) {
    window.open(href, "_blank", "noopener");
    return;
  }
  const dialog = $("invite");
  $("invite-link").textContent = href;
  const list = $("invite-people");
  list.replaceChildren();
  for (const person of state.people.filter((p) => !state.current || p.id !== state.current.id)) {
    const item = element("li");
    item.append(avatar(person, "small"), element("span", "name", person.name), element("span", "lang", person.language));
    item.addEventListener("click", () => { dialog.close(); startAs(person.id, start); });
    list.append(item);
  }
  dialog.dataset.start = start;
  dialog.showModal();
}

async function startAs(personId, payload) {
  await openChat(personId);
  await send(`/start ${payload}`);
}

let toastTimer = null;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3000);
}

const ACTIONS = { typing: "typing…", upload_photo: "sending a photo…", upload_document: "sending a file…" };
let actionTimer = null;
function showAction(action) {
  const status = $("bot-status");
  status.textContent = ACTIONS[action] || "typing…";
  status.classList.add("busy");
  clearTimeout(actionTimer);
  // Telegram shows a chat action for 5 seconds or until the bot's next message.
  actionTimer = setTimeout(clearAction, 5000);
}
function clearAction() {
  $("bot-status").textContent = "bot";
  $("bot-status").classList.remove("busy");
}

// ---- events -------------------------------------------------------------------------------------------------

function onEvent(event) {
  const here = state.current && event.chat_id === state.current.id;
  switch (event.kind) {
    case "person":
      if (!state.people.some((p) => p.id === event.person.id)) state.people.push(event.person);
      renderPeople();
      break;
    case "device":
      state.devices.set(event.device.uid, event.device);
      renderDevices();
      break;
    case "menu":
      if (state.current) api(`/api/chats/${state.current.id}`).then((chat) => { state.menu = chat.menu; renderMenu(); });
      break;
    case "message":
    case "edit":
      if (here) {
        if (event.message.from.is_bot) clearAction();
        upsert(event.message);
      } else if (event.kind === "message" && event.message.from.is_bot) {
        state.unread.set(event.chat_id, (state.unread.get(event.chat_id) || 0) + 1);
        renderPeople();
      }
      break;
    case "delete":
      if (here) remove(event.message_id);
      break;
    case "answer": {
      const key = state.pressed.get(event.query_id);
      state.pressed.delete(event.query_id);
      if (key) key.classList.remove("pending");
      if (here && event.text) {
        if (event.alert) { $("alert-text").textContent = event.text; $("alert").showModal(); } else toast(event.text);
      }
      break;
    }
    case "action":
      if (here) showAction(event.action);
      break;
    default:
      break;
  }
}

async function refresh() {
  const snapshot = await api("/api/state");
  state.bot = snapshot.bot;
  state.people = snapshot.people;
  state.devices = new Map(snapshot.devices.map((d) => [d.uid, d]));
  $("bot-name").textContent = snapshot.bot.name;
  renderPeople();
  renderDevices();
  const wanted = Number((location.hash.match(/person=(\d+)/) || [])[1] || localStorage.getItem("sandbox-person"));
  const person = state.people.find((p) => p.id === (state.current ? state.current.id : wanted)) || state.people[0];
  if (person) await openChat(person.id);
  else updateChrome();
}

function listen() {
  const source = new EventSource("/api/events");
  // "hello" opens every stream, the first and each reconnect: catch up on whatever happened in between.
  source.addEventListener("hello", () => refresh().catch((error) => toast(error.message)));
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
}

function wire() {
  $("send").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    $("text").value = "";
    send(text);
  });
  $("start-button").addEventListener("click", () => send("/start"));
  $("side-toggle").addEventListener("click", () => document.body.classList.toggle("show-side"));
  $("menu-button").addEventListener("click", () => { $("menu").hidden = !$("menu").hidden; });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("#menu, #menu-button")) $("menu").hidden = true;
  });
  $("add-person").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const person = await addPerson(form.name.value.trim(), form.language.value);
      form.reset();
      renderPeople();
      await openChat(person.id);
    } catch (error) {
      toast(error.message);
    }
  });
  $("invite-new").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const name = form.name.value.trim();
    if (!name) return;
    $("invite").close();
    try {
      const person = await addPerson(name, form.language.value);
      form.reset();
      await startAs(person.id, $("invite").dataset.start);
    } catch (error) {
      toast(error.message);
    }
  });
  setInterval(tickDevices, 1000); // the codes' countdowns
}

wire();
listen();
