/*
 * Chat widget for the virtual assistant. Embed with one tag:
 *   <script src="https://HUB/widget/widget.js" defer
 *           data-hub-url="https://HUB" data-title="Ask Ellis" data-lang="en"
 *           data-color-primary="#1a4480" data-color-on-primary="#ffffff"></script>
 * Plain JavaScript, no framework, no build step. Every message is rendered with textContent:
 * no HTML from a message ever reaches the DOM. See docs/webchat.md.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__ellisChatLoaded) return;
  window.__ellisChatLoaded = true;

  var LANGS = ["en", "es"];
  var UI = {
    en: {
      title: "Ask Ellis",
      subtitle: "Virtual assistant",
      open: "Chat with Ellis, virtual assistant",
      launcher: "Chat",
      close: "Close chat",
      switchLabel: "Cambiar el idioma a español",
      switchText: "Español",
      input: "Type your question",
      send: "Send",
      log: "Conversation",
      you: "You said:",
      bot: "Ellis said:",
      agent: "Agent said:",
      system: "Notice:",
      typing: "Ellis is typing",
      agentTyping: "The agent is typing",
      sending: "Sending…",
      connecting: "Connecting…",
      offline: "Connection lost. Reconnecting… Your messages will be sent when it is back.",
      back: "Connected again.",
      languageSet: "The assistant will answer in English.",
      newTab: "(opens in a new tab)",
      suggestions: "Suggested replies",
      intro:
        "Hi! I'm Ellis, a virtual assistant. Ask me a general question about immigration " +
        "services. Please don't type passwords or personal numbers.",
      tooLong: "Your message is too long ({n} characters). Please keep it under {max}.",
    },
    es: {
      title: "Pregúntele a Ellis",
      subtitle: "Asistente virtual",
      open: "Chatear con Ellis, asistente virtual",
      launcher: "Chat",
      close: "Cerrar el chat",
      switchLabel: "Change the language to English",
      switchText: "English",
      input: "Escriba su pregunta",
      send: "Enviar",
      log: "Conversación",
      you: "Usted dijo:",
      bot: "Ellis dijo:",
      agent: "El agente dijo:",
      system: "Aviso:",
      typing: "Ellis está escribiendo",
      agentTyping: "El agente está escribiendo",
      sending: "Enviando…",
      connecting: "Conectando…",
      offline:
        "Se perdió la conexión. Reconectando… Sus mensajes se enviarán cuando vuelva.",
      back: "Conectado de nuevo.",
      languageSet: "El asistente responderá en español.",
      newTab: "(se abre en una pestaña nueva)",
      suggestions: "Respuestas sugeridas",
      intro:
        "¡Hola! Soy Ellis, un asistente virtual. Hágame una pregunta general sobre los " +
        "servicios de inmigración. No escriba contraseñas ni números personales.",
      tooLong: "Su mensaje es demasiado largo ({n} caracteres). El límite es {max}.",
    },
  };

  // ---- configuration from the script tag
  function attr(name) {
    var value = script.getAttribute("data-" + name);
    return value && value.trim() ? value.trim() : null;
  }
  function supported(lang) {
    lang = (lang || "").toLowerCase().slice(0, 2);
    return LANGS.indexOf(lang) >= 0 ? lang : null;
  }
  function safeColor(value) {
    return value && window.CSS && CSS.supports("color", value) ? value : null;
  }
  var hubUrl = new URL(attr("hub-url") || script.src, document.baseURI);
  var hubOrigin = hubUrl.origin;
  var wsUrl = hubOrigin.replace(/^http/, "ws") + "/ws";
  var pageLang = supported(document.documentElement.lang) || supported(attr("lang")) || "en";
  var config = {
    titles: { en: attr("title") || UI.en.title, es: attr("title-es") || attr("title") || UI.es.title },
    primary: safeColor(attr("color-primary")),
    onPrimary: safeColor(attr("color-on-primary")),
  };

  // ---- what survives a reload: the session token, an explicit language, unsent messages
  var KEY = "ellis-chat:" + hubOrigin + ":";
  var storage = {
    get: function (name) {
      try { return window.localStorage.getItem(KEY + name); } catch (e) { return null; }
    },
    set: function (name, value) {
      try {
        if (value === null) window.localStorage.removeItem(KEY + name);
        else window.localStorage.setItem(KEY + name, value);
      } catch (e) { /* private mode: the chat still works for this page view */ }
    },
  };
  var openKey = "ellis-chat-open:" + hubOrigin;
  function readPending() {
    try { return JSON.parse(storage.get("pending") || "[]") || []; } catch (e) { return []; }
  }

  var state = {
    token: storage.get("token"),
    chosenLang: supported(storage.get("lang")),
    pending: readPending(),
    maxChars: 1000,
    socket: null,
    ready: false,
    attempts: 0,
    timer: null,
    wasOffline: false,
    rendered: {},
  };
  // The language the widget speaks: the visitor's explicit choice, else <html lang> or data-lang.
  function lang() { return state.chosenLang || supported(attr("lang")) || pageLang; }
  function t(key) { return UI[lang()][key]; }

  // ---- DOM: a landmark on the host page with everything inside an open shadow root
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else if (key === "className") node.className = props[key];
      else node.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function chatIcon() {
    // A speech bubble drawn in SVG: no icon font or emoji font needed.
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "launcher-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute(
      "d",
      "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"
    );
    svg.appendChild(path);
    return svg;
  }

  var host = el("aside", { id: "ellis-chat", "aria-label": t("open") });
  host.style.visibility = "hidden";
  var root = host.attachShadow({ mode: "open" });
  var sheet = el("link", { rel: "stylesheet", href: hubOrigin + "/widget/widget.css" });
  sheet.addEventListener("load", function () { host.style.visibility = ""; });
  sheet.addEventListener("error", function () { host.style.visibility = ""; });
  root.appendChild(sheet);
  if (config.primary) host.style.setProperty("--ec-primary", config.primary);
  if (config.onPrimary) host.style.setProperty("--ec-on-primary", config.onPrimary);

  var launcher = el("button", {
    type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": "ec-panel",
  });
  var launcherText = el("span", { className: "launcher-text" });
  launcher.appendChild(chatIcon());
  launcher.appendChild(launcherText);

  var titleEl = el("h2", { id: "ec-title", className: "title" });
  var subtitleEl = el("p", { className: "subtitle" });
  var langButton = el("button", { type: "button", className: "lang" });
  var closeButton = el("button", { type: "button", className: "close" });
  closeButton.appendChild(el("span", { "aria-hidden": "true", text: "×" }));
  var closeLabel = el("span", { className: "sr-only" });
  closeButton.appendChild(closeLabel);
  var header = el("div", { className: "header" }, [
    el("div", { className: "heading" }, [titleEl, subtitleEl]), langButton, closeButton,
  ]);
  var statusEl = el("p", { className: "status", role: "status", hidden: "" });
  var intro = el("p", { className: "intro" });
  var list = el("ol", { className: "messages" });
  var typing = el("div", { className: "typing", hidden: "" }, [
    el("span", { className: "dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    el("span", { className: "typing-text" }),
  ]);
  var scroller = el("div", { className: "scroller", role: "group", tabindex: "0" }, [
    intro, list, typing,
  ]);
  var inputLabel = el("label", { for: "ec-input", className: "sr-only" });
  var input = el("input", {
    // No maxlength: a pasted long text would be cut silently; send() explains the limit.
    id: "ec-input", type: "text", autocomplete: "off",
  });
  var sendButton = el("button", { type: "submit", className: "send" });
  var errorEl = el("p", { id: "ec-error", className: "error", hidden: "" });
  var form = el("form", { className: "composer", novalidate: "" }, [
    inputLabel, input, sendButton,
  ]);
  var live = el("div", { className: "sr-only", "aria-live": "polite", "aria-atomic": "false" });
  var panel = el(
    "div",
    { id: "ec-panel", className: "panel", role: "dialog", "aria-labelledby": "ec-title", hidden: "" },
    [header, statusEl, scroller, errorEl, form]
  );
  root.appendChild(panel);
  root.appendChild(launcher);
  root.appendChild(live);

  function applyLanguage() {
    var l = lang();
    panel.setAttribute("lang", l);
    launcher.setAttribute("lang", l);
    host.setAttribute("aria-label", t("open"));
    launcher.setAttribute("aria-label", t("open"));
    launcherText.textContent = t("launcher");
    titleEl.textContent = config.titles[l];
    subtitleEl.textContent = t("subtitle");
    langButton.textContent = t("switchText");
    langButton.setAttribute("lang", l === "en" ? "es" : "en");
    langButton.setAttribute("aria-label", t("switchLabel"));
    closeLabel.textContent = t("close");
    scroller.setAttribute("aria-label", t("log"));
    inputLabel.textContent = t("input");
    input.setAttribute("placeholder", t("input"));
    sendButton.textContent = t("send");
    intro.textContent = t("intro");
    typing.querySelector(".typing-text").textContent = t("typing") + "…";
    Array.prototype.forEach.call(list.querySelectorAll(".who"), function (node) {
      node.textContent = t(node.getAttribute("data-role"));
    });
    Array.prototype.forEach.call(list.querySelectorAll(".replies"), function (node) {
      node.setAttribute("aria-label", t("suggestions"));
    });
    Array.prototype.forEach.call(list.querySelectorAll(".pending-note"), function (node) {
      node.textContent = t("sending");
    });
    Array.prototype.forEach.call(list.querySelectorAll(".new-tab"), function (node) {
      node.textContent = " " + t("newTab");
    });
    if (!statusEl.hidden) showStatus(statusEl.getAttribute("data-key"));
  }

  function announce(text) {
    var line = el("p", { text: text });
    live.appendChild(line);
    while (live.childNodes.length > 4) live.removeChild(live.firstChild);
  }

  function showStatus(key) {
    if (!key) {
      statusEl.hidden = true;
      statusEl.removeAttribute("data-key");
      return;
    }
    statusEl.setAttribute("data-key", key);
    statusEl.className = "status status-" + key;
    statusEl.textContent = t(key);
    statusEl.hidden = false;
  }

  function showError(text) {
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
    if (text) {
      input.setAttribute("aria-describedby", "ec-error");
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-describedby");
      input.removeAttribute("aria-invalid");
    }
  }

  // ---- rendering: text nodes and vetted links only
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
  function safeHref(raw) {
    try {
      var url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }
  function link(href, label) {
    var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" });
    a.appendChild(document.createTextNode(label));
    a.appendChild(el("span", { className: "sr-only new-tab", text: " " + t("newTab") }));
    return a;
  }
  function richText(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    String(text).replace(URL_RE, function (match, offset) {
      var trimmed = match.replace(/[.,;:!?)\]]+$/, "");
      var href = safeHref(trimmed);
      if (!href) return match;
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      fragment.appendChild(link(href, trimmed));
      last = offset + trimmed.length;
      return match;
    });
    fragment.appendChild(document.createTextNode(String(text).slice(last)));
    return fragment;
  }

  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  function bubble(role, text, extra) {
    var item = el("li", { className: "msg msg-" + role });
    item.appendChild(el("span", { className: "sr-only who", "data-role": roleKey(role), text: t(roleKey(role)) }));
    if (text) item.appendChild(el("p", { className: "bubble" }, [richText(text)]));
    (extra || []).forEach(function (node) { item.appendChild(node); });
    return item;
  }
  function roleKey(role) {
    return { visitor: "you", bot: "bot", agent: "agent", system: "system" }[role] || "system";
  }

  function extras(entry) {
    var nodes = [];
    var custom = entry.custom && typeof entry.custom === "object" ? entry.custom : {};
    var links = Array.isArray(custom.links) ? custom.links : [];
    if (typeof entry.image === "string") links = links.concat([{ url: entry.image }]);
    if (typeof entry.attachment === "string") links = links.concat([{ url: entry.attachment }]);
    var linkItems = links
      .map(function (item) {
        var href = item && typeof item.url === "string" ? safeHref(item.url) : null;
        if (!href) return null;
        var label = typeof item.title === "string" && item.title ? item.title : href;
        return el("li", {}, [link(href, label)]);
      })
      .filter(Boolean);
    if (linkItems.length) nodes.push(el("ul", { className: "links" }, linkItems));
    var buttons = Array.isArray(entry.buttons) ? entry.buttons : [];
    if (buttons.length) {
      var group = el("div", { className: "replies", role: "group", "aria-label": t("suggestions") });
      buttons.forEach(function (button) {
        if (!button || typeof button.title !== "string") return;
        var b = el("button", { type: "button", className: "reply", text: button.title });
        b.addEventListener("click", function () {
          send(button.title, typeof button.payload === "string" ? button.payload : null);
        });
        group.appendChild(b);
      });
      nodes.push(group);
    }
    return nodes;
  }

  function renderEntry(entry, live) {
    if (!entry || typeof entry.id !== "number") return;
    if (entry.role === "visitor" && typeof entry.client_id === "string") {
      // The hub has our message: it is no longer pending, here or in storage.
      var pendingNode = list.querySelector('[data-pending="' + cssEscape(entry.client_id) + '"]');
      if (pendingNode) pendingNode.parentNode.removeChild(pendingNode);
      dropPending(entry.client_id);
    }
    if (state.rendered[entry.id]) return;
    state.rendered[entry.id] = true;
    var text = typeof entry.text === "string" ? entry.text : "";
    var item = bubble(entry.role, text, entry.role === "visitor" ? [] : extras(entry));
    var firstPending = list.querySelector("[data-pending]");
    list.insertBefore(item, firstPending);
    if (entry.role !== "visitor") {
      typing.hidden = true;
      var custom = entry.custom && typeof entry.custom === "object" ? entry.custom : {};
      if (live && supported(custom.set_language)) setLanguage(supported(custom.set_language), false);
      if (live && text) announce(t(roleKey(entry.role)) + " " + text);
    }
    scrollDown();
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/[^A-Za-z0-9_-]/g, "");
  }

  function renderPending(message) {
    if (list.querySelector('[data-pending="' + cssEscape(message.id) + '"]')) return;
    var note = el("span", { className: "pending-note", text: t("sending") });
    var item = bubble("visitor", message.text, [note]);
    item.setAttribute("data-pending", message.id);
    item.classList.add("pending");
    list.appendChild(item);
    scrollDown();
  }

  function savePending() {
    storage.set("pending", state.pending.length ? JSON.stringify(state.pending) : null);
  }
  function dropPending(id) {
    state.pending = state.pending.filter(function (m) { return m.id !== id; });
    savePending();
  }

  // ---- the connection
  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function frame(message) {
    return JSON.stringify({
      type: "message", id: message.id, text: message.text, payload: message.payload || null,
      language: state.chosenLang,
    });
  }

  function connect() {
    if (state.socket) return;
    clearTimeout(state.timer);
    var socket;
    try {
      socket = new WebSocket(wsUrl);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    state.ready = false;
    if (!state.wasOffline) showStatus("connecting");
    socket.onopen = function () {
      socket.send(JSON.stringify({
        type: "hello", token: state.token, page_url: window.location.href.slice(0, 500),
        page_language: pageLang, language: state.chosenLang,
      }));
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data || typeof data !== "object") return;
      handle(data);
    };
    socket.onclose = function () {
      if (state.socket !== socket) return;
      state.socket = null;
      state.ready = false;
      typing.hidden = true;
      state.wasOffline = true;
      showStatus("offline");
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    clearTimeout(state.timer);
    var delay = Math.min(10000, 500 * Math.pow(2, state.attempts)) + Math.random() * 300;
    state.attempts += 1;
    state.timer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (!state.socket && state.started) {
      state.attempts = 0;
      connect();
    }
  }

  function handle(data) {
    if (data.type === "welcome") {
      if (typeof data.token === "string") {
        if (state.token && state.token !== data.token && !data.resumed) {
          // The hub no longer knows our conversation: start a fresh transcript on screen.
          list.textContent = "";
          state.rendered = {};
        }
        state.token = data.token;
        storage.set("token", data.token);
      }
      if (data.limits && typeof data.limits.max_chars === "number") {
        state.maxChars = data.limits.max_chars;
      }
      state.ready = true;
      state.attempts = 0;
      if (state.wasOffline) announce(t("back"));
      state.wasOffline = false;
      showStatus(null);
      (Array.isArray(data.history) ? data.history : []).forEach(function (entry) {
        renderEntry(entry, false);
      });
      state.pending.forEach(function (message) {
        renderPending(message);
        state.socket.send(frame(message));
      });
    } else if (data.type === "entry") {
      renderEntry(data.entry, true);
    } else if (data.type === "typing") {
      var typingText = t(data.role === "agent" ? "agentTyping" : "typing") + "…";
      typing.querySelector(".typing-text").textContent = typingText;
      typing.hidden = !data.active;
      if (data.active) scrollDown();
    } else if (data.type === "error") {
      if (typeof data.client_id === "string") {
        var failed = state.pending.filter(function (m) { return m.id === data.client_id; })[0];
        var node = list.querySelector('[data-pending="' + cssEscape(data.client_id) + '"]');
        if (node) node.parentNode.removeChild(node);
        dropPending(data.client_id);
        if (failed && !input.value) input.value = failed.text;
      }
      if (typeof data.text === "string") {
        showError(data.text);
        announce(data.text);
      }
    }
  }

  function send(text, payload) {
    text = String(text || "").trim();
    if (!text) return false;
    if (text.length > state.maxChars) {
      var message = t("tooLong").replace("{n}", text.length).replace("{max}", state.maxChars);
      showError(message);
      announce(message);
      return false;
    }
    showError(null);
    var item = { id: newId(), text: text, payload: payload || null };
    state.pending.push(item);
    savePending();
    renderPending(item);
    if (state.socket && state.ready) state.socket.send(frame(item));
    else connect();
    return true;
  }

  function setLanguage(next, announceIt) {
    state.chosenLang = next;
    storage.set("lang", next);
    applyLanguage();
    if (announceIt) announce(t("languageSet"));
  }

  // ---- opening and closing
  function start() {
    if (state.started) return;
    state.started = true;
    connect();
  }

  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    host.classList.add("open");
    launcher.classList.add("is-open");
    try { sessionStorage.setItem(openKey, "1"); } catch (e) { /* ignore */ }
    start();
    scrollDown();
    if (focus) input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.classList.remove("is-open");
    host.classList.remove("open");
    try { sessionStorage.removeItem(openKey); } catch (e) { /* ignore */ }
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(true);
    else closePanel();
  });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    }
  });
  langButton.addEventListener("click", function () {
    setLanguage(lang() === "en" ? "es" : "en", true);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (send(input.value, null)) input.value = "";
    input.focus();
  });
  input.addEventListener("input", function () {
    if (!errorEl.hidden) showError(null);
  });
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });

  applyLanguage();
  state.pending.forEach(renderPending);
  document.body.appendChild(host);
  var wasOpen = false;
  try { wasOpen = sessionStorage.getItem(openKey) === "1"; } catch (e) { /* ignore */ }
  if (wasOpen) openPanel(false);
  else if (state.pending.length) start();
})();
