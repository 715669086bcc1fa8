/* Agent console: sign in, take chats from the queues, talk with visitors, hand them back.
 * Plain JS. Every text that comes from a visitor (or anyone) is set with textContent: no HTML
 * from a message ever reaches the DOM. The session token lives in this tab's sessionStorage.
 */
(function () {
  "use strict";

  var QUEUE_NAMES = {
    tier_1: "Tier 1",
    tier_2: "Tier 2",
    technical_help_desk: "Technical help desk",
    supervisor: "Supervisor",
  };
  var REASONS = {
    asked: "Visitor asked for a person",
    asked_again: "Visitor asked twice for a person",
    fallback: "The bot could not understand",
    needs_a_person: "Needs something only a person can do",
    self_help_failed: "Self-help steps did not fix it",
  };
  var ROLES = { visitor: "Visitor", bot: "Bot", agent: "Agent", system: "Notice" };

  var token = sessionStorage.getItem("handoffToken");
  var me = null;
  var ws = null;
  var wsDelay = 1000;
  var knownWaiting = null;
  var firstSeen = {}; // waiting chat id -> when it appeared (the "new" cue lasts a while)
  var NEW_FOR_MS = 30000;
  var chats = {}; // chat id -> {chat, entries}
  var current = null;
  var canned = [];
  var typingTimer = null;
  var supervisorTimer = null;

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function announce(text) {
    $("announce").textContent = text;
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function api(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + (token || "") } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/console/api/" + path, options).then(function (reply) {
      if (reply.status === 401) {
        signedOut("Your session has ended. Please sign in again.");
        throw new Error("signed out");
      }
      var parse = reply.status === 204 ? Promise.resolve({}) : reply.json().catch(function () { return {}; });
      return parse.then(function (data) {
        if (!reply.ok) throw new Error(data.error || "Request failed (" + reply.status + ")");
        return data;
      });
    });
  }

  // --- signing in and out
  function signedOut(message) {
    token = null;
    me = null;
    sessionStorage.removeItem("handoffToken");
    if (ws) {
      ws.onclose = null;
      ws.close();
      ws = null;
    }
    if (supervisorTimer) clearInterval(supervisorTimer);
    chats = {};
    current = null;
    knownWaiting = null;
    $("app-view").hidden = true;
    $("sign-out").hidden = true;
    $("who").hidden = true;
    $("connection").hidden = true;
    $("sign-in-view").hidden = false;
    $("sign-in-error").textContent = message || "";
  }

  $("sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    fetch("/console/api/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    })
      .then(function (reply) {
        return reply.json().then(function (data) {
          if (!reply.ok) throw new Error(data.error || "Sign-in failed");
          return data;
        });
      })
      .then(function (data) {
        token = data.token;
        sessionStorage.setItem("handoffToken", token);
        $("password").value = "";
        start();
      })
      .catch(function (error) {
        $("sign-in-error").textContent = error.message;
      });
  });

  $("sign-out").addEventListener("click", function () {
    api("POST", "sign-out").catch(function () {}).then(function () {
      signedOut("You have signed out.");
    });
  });

  function start() {
    api("GET", "state")
      .then(function (state) {
        me = state.me;
        $("sign-in-view").hidden = true;
        $("app-view").hidden = false;
        $("sign-out").hidden = false;
        $("who").hidden = false;
        $("who").textContent = "Signed in as " + me.name + " (" + me.role + ")";
        $("tab-supervisor").hidden = me.role !== "supervisor";
        fillTransferTargets(state.queues);
        render(state);
        connect();
        return api("GET", "canned");
      })
      .then(function (data) {
        canned = data.replies || [];
        fillCanned();
      })
      .catch(function () {});
  }

  // --- live updates
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/console/ws");
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "auth", token: token }));
    };
    ws.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "ready") {
        wsDelay = 1000;
        setConnection("");
        document.body.setAttribute("data-live", "yes");
        // After a reconnect, read the open chats again: entries may have come meanwhile.
        Object.keys(chats).forEach(function (id) { loadChat(id, false).catch(function () {}); });
        refresh();
      } else if (frame.type === "refresh" || frame.type === "new_service_request") {
        refresh();
      } else if (frame.type === "new_handoff") {
        refresh();
      } else if (frame.type === "entry") {
        addEntry(frame.chat, frame.entry);
      } else if (frame.type === "error") {
        signedOut("Your session has ended. Please sign in again.");
      }
    };
    ws.onclose = function (event) {
      ws = null;
      document.body.removeAttribute("data-live");
      if (event.code === 4001) {
        signedOut("Your session has ended. Please sign in again.");
        return;
      }
      if (!token) return;
      setConnection("Connection lost. Reconnecting…");
      setTimeout(function () {
        if (token) connect();
      }, wsDelay);
      wsDelay = Math.min(wsDelay * 2, 10000);
    };
  }

  function setConnection(text) {
    $("connection").hidden = !text;
    $("connection").textContent = text;
  }

  function refresh() {
    if (!token) return;
    api("GET", "state").then(render).catch(function () {});
  }

  // --- queues, my chats, service requests
  function render(state) {
    var fresh = [];
    var ids = state.waiting.map(function (c) { return c.id; });
    if (knownWaiting !== null) {
      fresh = ids.filter(function (id) { return knownWaiting.indexOf(id) < 0; });
    }
    knownWaiting = ids;
    fresh.forEach(function (id) { firstSeen[id] = Date.now(); });
    $("waiting-count").textContent = state.waiting.length ? "(" + state.waiting.length + ")" : "";
    document.title = (state.waiting.length ? "(" + state.waiting.length + ") " : "") + "Agent console";
    $("hours-note").textContent = state.open ? "" : "Live chat is closed now (outside opening hours).";
    renderQueues(state);
    renderMine(state.mine);
    renderRequests(state.service_requests);
    if (fresh.length) {
      announce(fresh.length === 1 ? "A new chat is waiting." : fresh.length + " new chats are waiting.");
      beep();
    }
  }

  function isNew(id) {
    return firstSeen[id] !== undefined && Date.now() - firstSeen[id] < NEW_FOR_MS;
  }

  function renderQueues(state) {
    var box = $("queues");
    clear(box);
    state.queues.forEach(function (queue) {
      var waiting = state.waiting.filter(function (c) { return c.queue === queue; });
      var list = el("ul", { className: "queue", "aria-label": QUEUE_NAMES[queue] });
      waiting.forEach(function (chat) {
        var since = Date.now() - chat.waiting_seconds * 1000;
        var clock = el("span", { className: "wait", "data-since": String(since), text: duration(chat.waiting_seconds) });
        var claim = el("button", { type: "button", className: "claim", text: "Claim" });
        claim.addEventListener("click", function () { claimChat(chat.id); });
        var item = el("li", { className: "waiting" + (isNew(chat.id) ? " new" : ""), "data-chat": chat.id }, [
          el("span", { className: "reason", text: REASONS[chat.reason] || chat.reason }),
          el("span", { className: "lang", text: chat.language.toUpperCase() }),
          el("span", { className: "waited", text: "waiting " }, [clock]),
          claim,
        ]);
        list.appendChild(item);
      });
      box.appendChild(el("section", { className: "queue-box" }, [
        el("h3", { text: QUEUE_NAMES[queue] + " (" + waiting.length + ")" }),
        waiting.length ? list : el("p", { className: "note", text: "No one waiting." }),
      ]));
    });
  }

  setInterval(function () {
    var clocks = document.querySelectorAll(".wait[data-since]");
    for (var i = 0; i < clocks.length; i++) {
      clocks[i].textContent = duration((Date.now() - Number(clocks[i].getAttribute("data-since"))) / 1000);
    }
  }, 1000);

  function beep() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      var audio = new Context();
      var tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.15);
    } catch (error) {
      /* no sound: the visual cue and the announcement remain */
    }
  }

  function renderMine(mine) {
    var list = $("my-chats");
    clear(list);
    var still = {};
    mine.forEach(function (chat) {
      still[chat.id] = true;
      if (!chats[chat.id]) loadChat(chat.id, false);
      var button = el("button", {
        type: "button",
        className: "my-chat",
        "aria-current": chat.id === current ? "true" : "false",
        text: (REASONS[chat.reason] || chat.reason) + " · " + QUEUE_NAMES[chat.queue],
      });
      button.addEventListener("click", function () { select(chat.id); });
      list.appendChild(el("li", { "data-chat": chat.id }, [button]));
    });
    if (!mine.length) list.appendChild(el("li", { className: "note", text: "None yet: claim a chat." }));
    Object.keys(chats).forEach(function (id) {
      if (!still[id]) delete chats[id];
    });
    if (current && !still[current]) {
      current = null;
      showChat();
    }
  }

  function renderRequests(requests) {
    $("request-count").textContent = requests.length ? "(" + requests.length + ")" : "";
    var list = $("requests");
    clear(list);
    if (!requests.length) list.appendChild(el("li", { className: "note", text: "No open service requests." }));
    requests.forEach(function (request) {
      var due = new Date(request.due_at);
      var late = due.getTime() < Date.now();
      var answer = el("textarea", { rows: "3", maxlength: "5000", "aria-label": "Answer to service request " + request.number });
      var status = el("p", { className: "error", role: "alert" });
      var send = el("button", { type: "button", text: "Send answer by e-mail" });
      send.addEventListener("click", function () {
        status.textContent = "";
        send.disabled = true;
        api("POST", "service-requests/" + encodeURIComponent(request.number) + "/answer", { text: answer.value })
          .then(function () { announce("Answer sent for service request " + request.number + "."); refresh(); })
          .catch(function (error) { status.textContent = error.message; send.disabled = false; });
      });
      list.appendChild(el("li", { className: "request" + (late ? " late" : ""), "data-number": request.number }, [
        el("h3", { text: "Service request " + request.number }),
        el("p", { className: "meta", text: "Due " + due.toLocaleString() + (late ? " (overdue)" : "") + " · " + request.language.toUpperCase() + " · e-mail at " + request.email_domain }),
        el("p", { className: "question", text: request.question }),
        answer,
        send,
        status,
      ]));
    });
  }

  // --- one chat
  function claimChat(id) {
    api("POST", "chats/" + encodeURIComponent(id) + "/claim")
      .then(function (data) {
        chats[id] = data;
        select(id);
        refresh();
      })
      .catch(function (error) {
        announce(error.message);
        refresh();
      });
  }

  function loadChat(id, show) {
    return api("GET", "chats/" + encodeURIComponent(id)).then(function (data) {
      chats[id] = data;
      if (show || current === id) showChat();
    });
  }

  function select(id) {
    current = id;
    showTab("chats");
    if (chats[id]) showChat();
    else loadChat(id, true);
    var buttons = document.querySelectorAll(".my-chat");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-current", buttons[i].parentNode.getAttribute("data-chat") === id ? "true" : "false");
    }
  }

  function showChat() {
    var data = current && chats[current];
    $("chat-body").hidden = !data;
    $("chat-error").textContent = "";
    if (!data) {
      $("chat-title").textContent = "No chat selected";
      return;
    }
    var chat = data.chat;
    $("chat-title").textContent = "Chat with a visitor (" + QUEUE_NAMES[chat.queue] + ")";
    var facts = $("chat-facts");
    clear(facts);
    var summary = chat.summary || {};
    [
      ["Reason", REASONS[chat.reason] || chat.reason],
      ["Language", chat.language === "es" ? "Spanish" : "English"],
      ["Topics asked", (summary.topics || []).join(", ") || "none"],
      ["Bot tried", (summary.tried || []).join(", ") || "nothing"],
    ].forEach(function (pair) {
      facts.appendChild(el("dt", { text: pair[0] }));
      facts.appendChild(el("dd", { text: pair[1] }));
    });
    var list = $("transcript");
    clear(list);
    data.entries.forEach(function (entry) { list.appendChild(entryItem(entry)); });
    list.scrollTop = list.scrollHeight;
    fillCanned();
  }

  function entryItem(entry) {
    var who = ROLES[entry.role] || entry.role;
    if (entry.role === "agent" && entry.agent) who = entry.agent;
    var children = [el("span", { className: "who", text: who + ": " }), el("span", { className: "text", text: entry.text || "" })];
    (entry.buttons || []).forEach(function (button) {
      children.push(el("span", { className: "button-label", text: "[" + button.title + "]" }));
    });
    return el("li", { className: "entry entry-" + entry.role, "data-entry": String(entry.id) }, children);
  }

  function addEntry(chatId, entry) {
    var data = chats[chatId];
    if (!data) return;
    if (data.entries.some(function (e) { return e.id === entry.id; })) return;
    data.entries.push(entry);
    if (chatId === current) {
      var list = $("transcript");
      list.appendChild(entryItem(entry));
      list.scrollTop = list.scrollHeight;
    }
    if (entry.role === "visitor") {
      announce("New message from a visitor.");
      var item = document.querySelector('#my-chats li[data-chat="' + chatId + '"]');
      if (item && chatId !== current) item.classList.add("unread");
    }
  }

  function fillCanned() {
    var select = $("canned");
    var lang = current && chats[current] ? chats[current].chat.language : "en";
    clear(select);
    select.appendChild(el("option", { value: "", text: "Choose…" }));
    canned.forEach(function (reply) {
      select.appendChild(el("option", { value: reply.id, text: reply[lang] || reply.en }));
    });
  }

  $("canned").addEventListener("change", function () {
    var lang = current && chats[current] ? chats[current].chat.language : "en";
    var chosen = canned.filter(function (r) { return r.id === $("canned").value; })[0];
    if (chosen) {
      $("reply-text").value = chosen[lang] || chosen.en;
      $("reply-text").focus();
    }
  });

  function fillTransferTargets(queues) {
    var select = $("transfer-to");
    clear(select);
    ["tier_1", "tier_2", "technical_help_desk", "supervisor"].forEach(function (queue) {
      select.appendChild(el("option", { value: queue, text: QUEUE_NAMES[queue] }));
    });
  }

  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text || !current) return;
    var id = current;
    api("POST", "chats/" + encodeURIComponent(id) + "/messages", { text: text })
      .then(function (entry) {
        $("reply-text").value = "";
        addEntry(id, entry);
      })
      .catch(function (error) { $("chat-error").textContent = error.message; });
  });

  $("reply-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("send").click();
    }
  });

  $("reply-text").addEventListener("input", function () {
    if (!current || !ws || ws.readyState !== 1) return;
    if (!typingTimer) ws.send(JSON.stringify({ type: "typing", chat: current, active: true }));
    clearTimeout(typingTimer);
    var id = current;
    typingTimer = setTimeout(function () {
      typingTimer = null;
      if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "typing", chat: id, active: false }));
    }, 3000);
  });

  function chatCommand(verb, body, done) {
    if (!current) return;
    var id = current;
    api("POST", "chats/" + encodeURIComponent(id) + "/" + verb, body)
      .then(function () {
        delete chats[id];
        current = null;
        showChat();
        announce(done);
        refresh();
      })
      .catch(function (error) { $("chat-error").textContent = error.message; });
  }

  $("transfer").addEventListener("click", function () {
    chatCommand("transfer", { queue: $("transfer-to").value }, "Chat transferred.");
  });
  $("end").addEventListener("click", function () {
    chatCommand("end", undefined, "Chat ended; the visitor is back with the bot.");
  });
  $("close").addEventListener("click", function () {
    chatCommand("close", undefined, "Chat closed.");
  });

  // --- views
  function showTab(name) {
    ["chats", "requests", "supervisor"].forEach(function (tab) {
      $(tab + "-view").hidden = tab !== name;
      $("tab-" + tab).setAttribute("aria-pressed", tab === name ? "true" : "false");
    });
    if (supervisorTimer) {
      clearInterval(supervisorTimer);
      supervisorTimer = null;
    }
    if (name === "supervisor") {
      loadSupervisor();
      supervisorTimer = setInterval(loadSupervisor, 5000);
    }
  }
  $("tab-chats").addEventListener("click", function () { showTab("chats"); });
  $("tab-requests").addEventListener("click", function () { showTab("requests"); });
  $("tab-supervisor").addEventListener("click", function () { showTab("supervisor"); });

  // --- supervisor view
  function loadSupervisor() {
    api("GET", "supervisor").then(renderSupervisor).catch(function () {});
  }

  function renderSupervisor(data) {
    var figures = $("figures");
    clear(figures);
    var waiting = Object.keys(data.waiting_by_queue).reduce(function (sum, q) { return sum + data.waiting_by_queue[q]; }, 0);
    [
      ["Agents online", String(data.agents.length)],
      ["Chats waiting", String(waiting)],
      ["Chats active", String(data.active)],
      ["Handoff rate (12 h)", Math.round(data.handoff_rate * 1000) / 10 + "% of " + data.conversations + " conversations"],
      ["Average wait (12 h)", data.average_wait_seconds === null ? "no chats taken" : duration(data.average_wait_seconds)],
      ["Declined (closed or no agent)", String(data.handoffs_declined)],
    ].forEach(function (pair) {
      figures.appendChild(el("div", { className: "figure" }, [el("dt", { text: pair[0] }), el("dd", { text: pair[1] })]));
    });
    var queues = Object.keys(data.waiting_by_queue);
    barChart($("chart-queues"), queues.map(function (q) { return { label: QUEUE_NAMES[q] || q, value: data.waiting_by_queue[q] }; }));
    barChart($("chart-hourly"), data.hourly.map(function (h) {
      var hour = new Date(h.hour);
      return { label: String(hour.getHours()).padStart(2, "0") + "h", value: h.requested };
    }));
    var agents = $("agents");
    clear(agents);
    data.agents.forEach(function (agent) {
      agents.appendChild(el("li", { text: agent.name + " (" + agent.role + "): " + agent.active_chats + " active" }));
    });
    if (!data.agents.length) agents.appendChild(el("li", { text: "No one is online." }));
  }

  function barChart(box, bars) {
    var ns = "http://www.w3.org/2000/svg";
    var width = 360;
    var height = 160;
    var max = Math.max.apply(null, [1].concat(bars.map(function (b) { return b.value; })));
    var step = width / Math.max(bars.length, 1);
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + (height + 30));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", bars.map(function (b) { return b.label + ": " + b.value; }).join(", "));
    bars.forEach(function (bar, i) {
      var h = Math.round((bar.value / max) * (height - 20));
      var rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", String(i * step + step * 0.15));
      rect.setAttribute("y", String(height - h));
      rect.setAttribute("width", String(step * 0.7));
      rect.setAttribute("height", String(h));
      rect.setAttribute("class", "bar");
      svg.appendChild(rect);
      var value = document.createElementNS(ns, "text");
      value.setAttribute("x", String(i * step + step / 2));
      value.setAttribute("y", String(height - h - 4));
      value.setAttribute("text-anchor", "middle");
      value.textContent = String(bar.value);
      svg.appendChild(value);
      var label = document.createElementNS(ns, "text");
      label.setAttribute("x", String(i * step + step / 2));
      label.setAttribute("y", String(height + 16));
      label.setAttribute("text-anchor", "middle");
      label.setAttribute("class", "label");
      label.textContent = bar.label;
      svg.appendChild(label);
    });
    clear(box);
    box.appendChild(svg);
  }

  if (token) start();
})();
