/* Web chat of Numérique pour Tous: talks to Rasa's Socket.IO channel.
 *
 * Protocol (Rasa socketio channel with session_persistence: true):
 *   on "connect"            -> emit "session_request" {session_id}
 *   on "session_confirm"    <- the session id; then, for a new conversation, send "/greet" once
 *   emit "user_uttered"     {message, session_id}
 *   on "bot_uttered"        <- {text, quick_replies?: [{content_type, title, payload}], ...}
 *
 * The session id is issued by the server (session_confirm) and kept in localStorage
 * (npt_session_id); after STOP the page shows its own notice until START (npt_stopped),
 * since the assistant answers nothing then. The visible conversation lives in
 * sessionStorage (npt_history) so that reloading the page shows it again.
 * No dependency but the vendored Socket.IO client (window.io). Plain ES5-style code so that
 * old phones run it too.
 */
(function () {
  "use strict";

  var SESSION_KEY = "npt_session_id";
  var HISTORY_KEY = "npt_history";
  var DEFAULT_SOCKET_URL = "http://localhost:5005";
  var SOCKET_PATH = "/socket.io/";
  var GREET_PAYLOAD = "/greet";
  var MAX_LENGTH = 1000;
  var MAX_HISTORY = 300;
  var FAILURES_BEFORE_UNREACHABLE = 3;

  // Everything the person reads or hears.
  var TEXTS = {
    botPrefix: "L'assistant : ",
    userPrefix: "Vous : ",
    choices: "Réponses proposées :",
    connecting: "Connexion…",
    connected: "Connecté",
    lost: "Connexion perdue, nouvelle tentative…",
    unreachable: "Connexion impossible pour le moment, nouvelle tentative…",
    broken: "Le service n'a pas pu démarrer. Veuillez recharger la page.",
    locationOffer: "Vous pouvez aussi envoyer votre position :",
    locationButton: "Envoyer ma position",
    locationSent: "Ma position",
    locationFailed: "Je n'ai pas pu avoir votre position. Écrivez votre code postal ou votre ville.",
    stoppedNotice: "Vous avez écrit STOP : l'assistant ne vous répond plus. Pour reprendre, écrivez START.",
  };
  var STOPPED_KEY = "npt_stopped";
  var STOP_WORDS = ["stop", "arret", "stop sms", "stopsms", "unsubscribe"];
  var START_WORDS = ["start", "unstop"];
  // A button of ours (never sent as such): asks the browser for the position, then sends
  // /inform_location{"latitude": ..., "longitude": ...} (the assistant asks for it with a
  // custom message {"ask_location": true}).
  var LOCATION_PAYLOAD = "__share_location__";

  var config = window.NPT_CONFIG || {};
  var socketUrl = typeof config.socketUrl === "string" && config.socketUrl ? config.socketUrl : DEFAULT_SOCKET_URL;

  var els = {
    messages: document.getElementById("messages"),
    status: document.getElementById("status"),
    form: document.getElementById("chat-form"),
    input: document.getElementById("chat-input"),
    send: document.getElementById("chat-send"),
    restart: document.getElementById("restart"),
  };

  // ---------------------------------------------------------------- storage (never throws)

  var memoryStore = {};

  function storageGet(storage, key) {
    try {
      return window[storage].getItem(key);
    } catch (e) {
      return Object.prototype.hasOwnProperty.call(memoryStore, storage + key) ? memoryStore[storage + key] : null;
    }
  }

  function storageSet(storage, key, value) {
    try {
      window[storage].setItem(key, value);
    } catch (e) {
      memoryStore[storage + key] = value;
    }
  }

  function storageRemove(storage, key) {
    delete memoryStore[storage + key];
    try {
      window[storage].removeItem(key);
    } catch (e) {
      /* storage unavailable: nothing stored there */
    }
  }

  // ---------------------------------------------------------------- session and history

  // The server issues the session id (64 hex characters) and refuses any other: the page
  // only keeps the one it was given, to go on with the same conversation after a reload.
  function loadSessionId() {
    var id = storageGet("localStorage", SESSION_KEY);
    return id && /^[0-9a-f]{64}$/.test(id) ? id : "";
  }

  function emptyHistory(id) {
    return { sessionId: id, greeted: false, entries: [] };
  }

  function loadHistory(id) {
    var raw = storageGet("sessionStorage", HISTORY_KEY);
    if (!raw) return emptyHistory(id);
    try {
      var data = JSON.parse(raw);
      if (!data || data.sessionId !== id || !Array.isArray(data.entries)) return emptyHistory(id);
      data.entries = data.entries.filter(function (entry) {
        return entry && (entry.who === "bot" || entry.who === "user") && typeof entry.text === "string";
      });
      data.greeted = data.greeted === true || data.entries.length > 0;
      return data;
    } catch (e) {
      return emptyHistory(id);
    }
  }

  function saveHistory() {
    if (history.entries.length > MAX_HISTORY) {
      history.entries = history.entries.slice(history.entries.length - MAX_HISTORY);
    }
    storageSet("sessionStorage", HISTORY_KEY, JSON.stringify(history));
  }

  var sessionId = loadSessionId();
  var history = loadHistory(sessionId);

  // ---------------------------------------------------------------- state

  var socket = null;
  var ready = false; // connected and session confirmed: sending is allowed
  var everConfirmed = false;
  var failures = 0;
  var activeSet = null; // {entry, group, buttons: [HTMLButtonElement]} of the last proposed answers
  var focusNextButtons = false; // after a button was chosen, put focus on the next proposed answers
  var scrollAnchor = null; // first bot message since the person last spoke: kept in view

  // ---------------------------------------------------------------- rendering

  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/g;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]»'"]+$/;

  // Text with http(s) links made clickable; everything is inserted as text, never as HTML.
  function appendLinkedText(parent, text) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var url = match[0].replace(TRAILING_PUNCTUATION, "");
      if (!url) continue;
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      parent.appendChild(link);
      last = match.index + url.length;
      URL_PATTERN.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMessage(entry) {
    var isBot = entry.who === "bot";
    var msg = document.createElement("div");
    msg.className = "msg " + (isBot ? "bot" : "user");
    if (entry.text) {
      var p = document.createElement("p");
      p.className = "msg-text";
      var who = document.createElement("span");
      who.className = "visually-hidden";
      who.textContent = isBot ? TEXTS.botPrefix : TEXTS.userPrefix;
      p.appendChild(who);
      appendLinkedText(p, entry.text);
      msg.appendChild(p);
    }
    return msg;
  }

  var groupCount = 0;

  function renderButtons(msg, entry) {
    var group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.id = "choices-" + ++groupCount;
    label.textContent = TEXTS.choices;
    group.setAttribute("aria-labelledby", label.id);
    group.appendChild(label);
    var buttons = entry.buttons.map(function (choice, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = choice.title;
      button.setAttribute("data-number", String(index + 1));
      button.disabled = !ready;
      button.addEventListener("click", function (event) {
        // event.detail is 0 when the button was pressed with the keyboard.
        chooseButton(index, choice.title, event.detail === 0 ? "keyboard" : "pointer");
      });
      group.appendChild(button);
      return button;
    });
    msg.appendChild(group);
    activeSet = { entry: entry, group: group, buttons: buttons };
  }

  // Removes the proposed answers once used or replaced by newer ones.
  function retireActiveSet() {
    if (!activeSet) return;
    delete activeSet.entry.buttons;
    if (activeSet.group.parentNode) activeSet.group.parentNode.removeChild(activeSet.group);
    activeSet = null;
  }

  function setScrollBehavior(value) {
    els.messages.style.scrollBehavior = value;
  }

  // Scrolls the conversation down to the newest message, but never past the start of the bot's
  // answer (the person reads it from the top); `mustShow`, if given, is brought fully into view.
  function scrollToLatest(instant, mustShow) {
    var box = els.messages;
    var bottom = box.scrollHeight - box.clientHeight;
    var target = bottom;
    if (scrollAnchor && scrollAnchor.parentNode === box) {
      target = Math.min(target, scrollAnchor.offsetTop - 8);
    }
    if (mustShow) {
      target = Math.min(bottom, Math.max(target, mustShow.offsetTop + mustShow.offsetHeight + 8 - box.clientHeight));
    }
    if (target <= box.scrollTop) return;
    if (instant) setScrollBehavior("auto");
    box.scrollTop = target;
    if (instant) setScrollBehavior("");
  }

  function addEntry(entry) {
    history.entries.push(entry);
    saveHistory();
    var msg = renderMessage(entry);
    if (entry.who === "bot" && entry.buttons && entry.buttons.length) {
      retireActiveSet();
      renderButtons(msg, entry);
    }
    if (entry.who === "user") {
      scrollAnchor = null;
    } else if (!scrollAnchor) {
      scrollAnchor = msg;
    }
    els.messages.appendChild(msg);
    scrollToLatest(false);
    return msg;
  }

  function restoreHistory() {
    var lastWithButtons = null;
    history.entries.forEach(function (entry) {
      if (entry.who === "bot" && Array.isArray(entry.buttons) && entry.buttons.length) lastWithButtons = entry;
    });
    history.entries.forEach(function (entry) {
      if (entry.buttons && entry !== lastWithButtons) delete entry.buttons;
      var msg = renderMessage(entry);
      if (entry === lastWithButtons) renderButtons(msg, entry);
      els.messages.appendChild(msg);
    });
    scrollToLatest(true);
  }

  // ---------------------------------------------------------------- status and controls

  function setStatus(state, text) {
    if (els.status.textContent !== text) els.status.textContent = text;
    els.status.setAttribute("data-state", state);
  }

  function setReady(value) {
    ready = value;
    els.send.disabled = !ready; // the typed text stays in the input
    if (activeSet) {
      activeSet.buttons.forEach(function (button) {
        button.disabled = !ready;
      });
    }
  }

  // ---------------------------------------------------------------- sending

  function emitMessage(text) {
    if (!socket || !ready) return false;
    socket.emit("user_uttered", { message: text, session_id: sessionId });
    return true;
  }

  // "STOP", "Arrêt !" -> "stop"; "start" -> "start"; anything else -> "" (as the server reads them).
  function optWord(text) {
    var word = String(text).toLowerCase();
    if (word.normalize) word = word.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    word = word.replace(/[^a-z ]/g, " ").replace(/\s+/g, " ").trim();
    if (STOP_WORDS.indexOf(word) >= 0) return "stop";
    if (START_WORDS.indexOf(word) >= 0) return "start";
    return "";
  }

  // After the person's message was sent: remember STOP and START, and while stopped say
  // locally why no answer comes.
  function afterSent(text) {
    var word = optWord(text);
    if (word === "stop") {
      storageSet("localStorage", STOPPED_KEY, "1");
    } else if (word === "start") {
      storageRemove("localStorage", STOPPED_KEY);
    } else if (storageGet("localStorage", STOPPED_KEY)) {
      addEntry({ who: "bot", text: TEXTS.stoppedNotice });
    }
  }

  function chooseButton(index, shownText, how) {
    if (!activeSet || !ready) return;
    var choice = activeSet.entry.buttons[index];
    if (choice && choice.payload === LOCATION_PAYLOAD) {
      shareLocation();
      return;
    }
    if (!choice || !emitMessage(choice.payload)) return;
    retireActiveSet();
    addEntry({ who: "user", text: shownText });
    afterSent(choice.payload);
    focusNextButtons = true;
    if (how === "keyboard" || !isTouchScreen()) {
      els.input.focus();
    }
    // On a touch screen, focusing the input would open the keyboard over the next question;
    // the next proposed answers get the focus instead (see onBotMessage).
  }

  function shareLocation() {
    retireActiveSet();
    if (!navigator.geolocation) {
      addEntry({ who: "bot", text: TEXTS.locationFailed });
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var lat = Number(position.coords.latitude).toFixed(5);
        var lon = Number(position.coords.longitude).toFixed(5);
        if (emitMessage('/inform_location{"latitude": ' + lat + ', "longitude": ' + lon + "}")) {
          addEntry({ who: "user", text: TEXTS.locationSent });
        }
      },
      function () {
        addEntry({ who: "bot", text: TEXTS.locationFailed });
      },
      { timeout: 15000, maximumAge: 600000 }
    );
  }

  function isTouchScreen() {
    return !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  }

  // "2", " 2 ", "2." or "2)" -> 2; anything else -> 0.
  function typedNumber(text) {
    var match = /^\s*(\d{1,3})\s*[.)]?\s*$/.exec(text);
    return match ? parseInt(match[1], 10) : 0;
  }

  function onSubmit(event) {
    event.preventDefault();
    var text = els.input.value.trim().slice(0, MAX_LENGTH);
    if (!text) {
      els.input.value = "";
      els.input.focus();
      return;
    }
    if (!ready) return; // keep the text; the status line says why
    focusNextButtons = false;
    var number = typedNumber(text);
    if (activeSet && number >= 1 && number <= activeSet.buttons.length) {
      chooseButton(number - 1, text, "keyboard");
    } else if (emitMessage(text)) {
      addEntry({ who: "user", text: text });
      afterSent(text);
    } else {
      return;
    }
    focusNextButtons = false;
    els.input.value = "";
    els.input.focus();
  }

  // ---------------------------------------------------------------- receiving

  function normalizeChoice(choice) {
    if (!choice || typeof choice !== "object") return null;
    var title = typeof choice.title === "string" ? choice.title : "";
    var payload = typeof choice.payload === "string" ? choice.payload : "";
    if (!title && !payload) return null;
    return { title: title || payload, payload: payload || title };
  }

  function onBotMessage(data) {
    if (typeof data === "string") data = { text: data };
    if (!data || typeof data !== "object") return;
    var text = typeof data.text === "string" ? data.text.trim() : "";
    var raw = Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [];
    var buttons = raw.map(normalizeChoice).filter(Boolean);
    if (data.ask_location === true && navigator.geolocation) {
      addEntry({ who: "bot", text: TEXTS.locationOffer,
                 buttons: [{ title: TEXTS.locationButton, payload: LOCATION_PAYLOAD }] });
    }
    // Attachments, carousels (`elements`) and custom payloads without text are not shown.
    if (!text && !buttons.length) return;
    var entry = { who: "bot", text: text };
    if (buttons.length) entry.buttons = buttons;
    addEntry(entry);
    if (buttons.length && focusNextButtons) {
      focusNextButtons = false;
      var focused = document.activeElement;
      var idle = !focused || focused === document.body || (focused === els.input && !els.input.value);
      if (idle && activeSet && activeSet.buttons.length && ready) {
        var first = activeSet.buttons[0];
        first.focus({ preventScroll: true });
        scrollToLatest(false, first);
      }
    }
  }

  // A link made for a prescripteur carries their organisation's code: .../#code=K7MQ4XPA2B.
  // The code is taken out of the address bar at once (so that it stays in no history), then
  // sent once as a message: the server checks it before anything else and opens the
  // prescripteur mode.
  function takeLinkCode() {
    var match = /(?:^#|&)code=([A-Za-z0-9-]{4,40})(?:&|$)/.exec(window.location.hash || "");
    if (!match) return "";
    try {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    } catch (e) {
      window.location.hash = "";
    }
    return match[1];
  }
  var linkCode = takeLinkCode();

  function onSessionConfirm(data) {
    var id = typeof data === "string" ? data : data && typeof data.session_id === "string" ? data.session_id : "";
    if (id && id !== sessionId) {
      // The server chose another id: adopt it (the visible history belongs to the old one).
      sessionId = id;
      storageSet("localStorage", SESSION_KEY, id);
      history.sessionId = id;
      saveHistory();
    }
    everConfirmed = true;
    failures = 0;
    setReady(true);
    setStatus("connected", TEXTS.connected);
    if (linkCode) {
      var code = linkCode;
      linkCode = "";
      history.greeted = true;
      saveHistory();
      emitMessage(code); // not shown: the assistant answers with the prescripteur mode
    } else if (!history.greeted) {
      history.greeted = true;
      saveHistory();
      emitMessage(GREET_PAYLOAD); // not shown: the assistant speaks first
    }
  }

  function onConnectionLost() {
    setReady(false);
    failures += 1;
    if (everConfirmed) {
      setStatus("lost", TEXTS.lost);
    } else if (failures >= FAILURES_BEFORE_UNREACHABLE) {
      setStatus("lost", TEXTS.unreachable);
    }
  }

  function connect() {
    if (typeof window.io !== "function") {
      setStatus("lost", TEXTS.broken);
      return;
    }
    socket = window.io(socketUrl, {
      path: SOCKET_PATH,
      transports: ["websocket"],
    });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: sessionId || null });
    });
    socket.on("session_confirm", onSessionConfirm);
    socket.on("bot_uttered", onBotMessage);
    socket.on("connect_error", onConnectionLost);
    socket.on("disconnect", function (reason) {
      onConnectionLost();
      if (reason === "io server disconnect") {
        // The server closed the connection on purpose: the client does not retry by itself.
        window.setTimeout(function () {
          socket.connect();
        }, 2000);
      }
    });
  }

  // ---------------------------------------------------------------- restart

  function restart() {
    storageRemove("localStorage", SESSION_KEY);
    storageRemove("localStorage", STOPPED_KEY);
    storageRemove("sessionStorage", HISTORY_KEY);
    if (socket) socket.close();
    window.location.reload();
  }

  // ---------------------------------------------------------------- start

  els.input.setAttribute("maxlength", String(MAX_LENGTH));
  els.form.addEventListener("submit", onSubmit);
  els.input.addEventListener("input", function () {
    focusNextButtons = false; // the person is typing: leave the focus where it is
  });
  els.restart.addEventListener("click", restart);
  setReady(false);
  setStatus("connecting", TEXTS.connecting);
  saveHistory();
  restoreHistory();
  connect();
})();
