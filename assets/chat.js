// The conversation's behaviour in the browser, on the CRM card and in the client app
// (P1, P2, P6, P7, P18, M11).
//
// The page marks what this script works with:
//   [data-chat-scroll]           the scroll container of a conversation
//   [data-chat-new-below]        the «Новые сообщения ↓» button (hidden until needed)
//   [data-chat-action=mark-read] a hidden button bound to the state's mark_read
//   [data-chat-action=typing]    a hidden button bound to the state's typing
//   [data-chat-field]            the composer's textarea (inside the composer's <form>)
//   [data-chat-composer]         the composer, where a dropped file lands
//   [data-typing-until]          the typing label, shown while Date.now() is before it
// Reflex may load this file again on a later visit to the page: it sets itself up once.
(function () {
  "use strict";
  if (window.__chatJs) return;
  window.__chatJs = true;

  var NEAR_BOTTOM_PX = 48; // closer than this to the end counts as «at the newest message»
  var READ_DEBOUNCE_MS = 300;
  var TYPING_EVERY_MS = 2000;

  var bound = new WeakSet();
  var reported = new Set(); // incoming message ids this tab has already told the server it saw
  var readTimer = 0;
  var lastTyping = 0;

  function messageIds(scroll) {
    var ids = [];
    scroll.querySelectorAll("[data-testid=message][data-message-id]").forEach(function (el) {
      var id = Number(el.getAttribute("data-message-id"));
      if (id > 0) ids.push(id);
    });
    return ids;
  }

  function newBelowButton(scroll) {
    var frame = scroll.closest("[data-chat-frame]");
    return frame ? frame.querySelector("[data-chat-new-below]") : null;
  }

  function showNewBelow(scroll, show) {
    var button = newBelowButton(scroll);
    if (button) button.style.display = show ? "block" : "none";
  }

  function toBottom(scroll) {
    scroll.scrollTop = scroll.scrollHeight;
    scroll.__chat.stick = true;
    showNewBelow(scroll, false);
  }

  function remember(scroll) {
    var s = scroll.__chat;
    s.height = scroll.scrollHeight;
    s.top = scroll.scrollTop;
  }

  function onChange(scroll) {
    var s = scroll.__chat;
    var ids = messageIds(scroll);
    var first = ids.length ? Math.min.apply(null, ids) : 0;
    var last = ids.length ? Math.max.apply(null, ids) : 0;
    var seen = s.last && scroll.querySelector('[data-message-id="' + s.last + '"]');
    if (last !== s.last && !seen) {
      toBottom(scroll); // another conversation, or the first messages of this one
    } else if (last > s.last) {
      var mineArrived = false;
      scroll.querySelectorAll("[data-testid=message][data-mine=true]").forEach(function (el) {
        if (Number(el.getAttribute("data-message-id")) > s.last) mineArrived = true;
      });
      if (s.stick || mineArrived) toBottom(scroll);
      else showNewBelow(scroll, true);
    } else if (first && s.first && first < s.first && !s.stick) {
      // «Показать предыдущие сообщения» put older ones above: stay on what was read.
      scroll.scrollTop = s.top + (scroll.scrollHeight - s.height);
    } else if (s.stick) {
      toBottom(scroll);
    }
    s.first = first;
    s.last = last;
    remember(scroll);
    scheduleRead();
    checkTyping();
  }

  function bind(scroll) {
    if (bound.has(scroll)) return;
    bound.add(scroll);
    scroll.__chat = { stick: true, first: 0, last: 0, height: 0, top: 0 };
    scroll.addEventListener("scroll", function () {
      var gap = scroll.scrollHeight - scroll.scrollTop - scroll.clientHeight;
      scroll.__chat.stick = gap < NEAR_BOTTOM_PX;
      if (scroll.__chat.stick) showNewBelow(scroll, false);
      remember(scroll);
    });
    // A picture that finishes loading makes the list taller: keep the newest in view.
    scroll.addEventListener(
      "load",
      function () {
        if (scroll.__chat.stick) toBottom(scroll);
      },
      true
    );
    new MutationObserver(function () {
      onChange(scroll);
    }).observe(scroll, { childList: true, subtree: true, characterData: true });
    onChange(scroll);
    toBottom(scroll);
  }

  function shownScroll() {
    var found = null;
    document.querySelectorAll("[data-chat-scroll]").forEach(function (el) {
      if (el.isConnected && el.getClientRects().length > 0) found = el;
    });
    return found;
  }

  // ---- read marks (M11): only a tab the user is looking at reads ---------------------------
  function scheduleRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(reportRead, READ_DEBOUNCE_MS);
  }

  function reportRead() {
    if (document.visibilityState !== "visible") return;
    var scroll = shownScroll();
    var button = document.querySelector("[data-chat-action=mark-read]");
    if (!scroll || !button) return;
    var fresh = [];
    scroll.querySelectorAll("[data-testid=message][data-mine=false]").forEach(function (el) {
      var id = Number(el.getAttribute("data-message-id"));
      if (id > 0 && !reported.has(id)) fresh.push(id);
    });
    if (!fresh.length) return;
    fresh.forEach(function (id) {
      reported.add(id);
    });
    button.click();
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") scheduleRead();
  });

  // ---- typing (P6) ---------------------------------------------------------------------------
  function checkTyping() {
    var now = Date.now();
    document.querySelectorAll("[data-typing-until]").forEach(function (el) {
      var until = Number(el.getAttribute("data-typing-until")) || 0;
      el.style.display = now < until ? "block" : "none";
    });
  }
  setInterval(checkTyping, 250);

  document.addEventListener(
    "input",
    function (event) {
      var field = event.target;
      if (!field || !field.closest || !field.closest("[data-chat-field]")) return;
      if (!field.value) return;
      var now = Date.now();
      if (now - lastTyping < TYPING_EVERY_MS) return;
      var button = document.querySelector("[data-chat-action=typing]");
      if (!button) return;
      lastTyping = now;
      button.click();
    },
    true
  );

  // ---- Enter sends, Shift+Enter makes a new line (P2) ------------------------------------------
  document.addEventListener(
    "keydown",
    function (event) {
      var field = event.target;
      if (!field || !field.closest || !field.closest("[data-chat-field]")) return;
      if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.isComposing || event.keyCode === 229) return; // an IME is still composing
      event.preventDefault();
      var form = field.form || field.closest("form");
      if (!form) return;
      var hasText = field.value.trim() !== "";
      var hasExtra = form.querySelector("[data-testid=staged-file], [data-testid=attached-link]");
      if (!hasText && !hasExtra) return;
      // After this keydown's own handlers: the debounced field hands its value to the state first.
      setTimeout(function () {
        if (form.isConnected) form.requestSubmit();
      }, 0);
    },
    true
  );

  // ---- a pasted or dropped file goes where the paperclip puts it (P7) -------------------------
  function stageFiles(composer, files) {
    var input = composer && composer.querySelector("input[type=file]");
    if (!input || !files || !files.length) return false;
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(files, function (file) {
      transfer.items.add(file);
    });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function composerOf(target) {
    return target && target.closest ? target.closest("[data-chat-composer]") : null;
  }

  document.addEventListener(
    "paste",
    function (event) {
      var composer = composerOf(event.target);
      var data = event.clipboardData;
      if (!composer || !data || !data.files || !data.files.length) return;
      if (stageFiles(composer, data.files)) event.preventDefault();
    },
    true
  );

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  document.addEventListener("dragover", function (event) {
    var composer = composerOf(event.target);
    if (!composer || !hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    composer.setAttribute("data-drag-over", "true");
  });

  document.addEventListener("dragleave", function (event) {
    var composer = composerOf(event.target);
    if (composer && !composer.contains(event.relatedTarget)) composer.removeAttribute("data-drag-over");
  });

  document.addEventListener("drop", function (event) {
    var composer = composerOf(event.target);
    if (!composer || !hasFiles(event)) return;
    composer.removeAttribute("data-drag-over");
    event.preventDefault();
    stageFiles(composer, event.dataTransfer.files);
  });

  // ---- «Новые сообщения ↓» -------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-chat-new-below]") : null;
    if (!button) return;
    var frame = button.closest("[data-chat-frame]");
    var scroll = frame && frame.querySelector("[data-chat-scroll]");
    if (scroll && scroll.__chat) toBottom(scroll);
  });

  // ---- crash-safe sending (P18) ----------------------------------------------------------------
  // Each composer (its form carries data-chat-scope) keeps in localStorage the draft being typed,
  // with the key its send will carry, and the sends still in flight. A send is forgotten only when
  // the server names its key in data-chat-handled (stored, or kept in the app's outbox) or in
  // data-chat-refused (a rule said no: the text goes back to the draft). A send the server never
  // answered (a crash, a lost state) is resent with the same key, so it is stored once. A new
  // data-chat-boot (a state the server made afresh) puts the kept draft back in the field.
  var OUTBOX = "chat_crm_outbox:";
  var RESEND_AFTER_MS = 2500;
  var RESEND_MAX_MS = 15000;
  var seenBoot = new WeakMap();

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }

  function loadBox(scope) {
    try {
      var box = JSON.parse(localStorage.getItem(OUTBOX + scope) || "null");
      if (box && box.draft && Array.isArray(box.pending)) return box;
    } catch (e) {
      // unreadable: start afresh
    }
    return { draft: { key: "", text: "" }, pending: [] };
  }

  function saveBox(scope, box) {
    try {
      if (!box.draft.text && !box.pending.length) localStorage.removeItem(OUTBOX + scope);
      else localStorage.setItem(OUTBOX + scope, JSON.stringify(box));
    } catch (e) {
      // storage full or blocked: sending still works, only not crash-safe
    }
  }

  function parts(form) {
    return {
      scope: form.getAttribute("data-chat-scope") || "",
      boot: form.getAttribute("data-chat-boot") || "",
      editing: form.getAttribute("data-chat-editing") === "true",
      field: form.querySelector("textarea[name=text]"),
      key: form.querySelector("[data-chat-key]"),
    };
  }

  function fill(field, text) {
    // Through the native setter and an input event, so React and the state see it as typed.
    var setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(field), "value").set;
    setter.call(field, text);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function resend(form, item) {
    var target = form.nextElementSibling;
    if (!target || !target.matches("[data-chat-resend]")) return;
    target.querySelector("[name=client_msg_id]").value = item.key;
    target.querySelector("[name=text]").value = item.text;
    target.requestSubmit();
  }

  function inFlight(box, text) {
    // The field still shows a send until the server answers: that text is not a new draft.
    return (
      text !== "" &&
      box.pending.some(function (item) {
        return item.text === text;
      })
    );
  }

  var rebuildAsked = new WeakMap();

  function askRebuild(form) {
    // The server lost this tab's state: one press of the hidden «rebuild», again after 5 s if needed.
    var now = Date.now();
    if (now - (rebuildAsked.get(form) || 0) < 5000) return;
    rebuildAsked.set(form, now);
    var target = form.nextElementSibling;
    var button = target && target.querySelector("[data-chat-action=rebuild]");
    if (button) button.click();
  }

  function tend(form) {
    if (form.getAttribute("data-chat-lost") === "true") askRebuild(form);
    var p = parts(form);
    if (!p.scope || !p.field || !p.key) return;
    var box = loadBox(p.scope);
    var handled = (form.getAttribute("data-chat-handled") || "").split(" ");
    var refused = form.getAttribute("data-chat-refused") || "";
    box.pending = box.pending.filter(function (item) {
      if (handled.indexOf(item.key) >= 0) return false;
      if (item.key !== refused) return true;
      if (!box.draft.text) box.draft = { key: item.key, text: item.text };
      return false;
    });
    if (box.draft.key && handled.indexOf(box.draft.key) >= 0) box.draft = { key: "", text: "" };
    if (!p.boot) {
      saveBox(p.scope, box); // the state is being rebuilt: wait for it before touching the field
      return;
    }
    var mark = p.scope + "|" + p.boot;
    if (seenBoot.get(form) !== mark) {
      seenBoot.set(form, mark);
      // A state that never answered: resend now. A send with a file or link cannot be resent
      // as it was: its text goes back to the draft, with its key, to be sent again.
      box.pending = box.pending.filter(function (item) {
        item.at = 0;
        item.tries = 0;
        if (!item.extra) return true;
        if (!box.draft.text) box.draft = { key: item.key, text: item.text };
        return false;
      });
      if (box.draft.text && !p.field.value && !p.editing) fill(p.field, box.draft.text);
    } else if (!p.editing && p.field.value !== box.draft.text && !inFlight(box, p.field.value)) {
      box.draft.text = p.field.value; // an emoji, dictation, a send that cleared the field
    }
    if (box.draft.text && !box.draft.key) box.draft.key = newKey();
    p.key.value = box.draft.key;
    var now = Date.now();
    box.pending.forEach(function (item) {
      var wait = Math.min(RESEND_AFTER_MS * Math.pow(2, item.tries || 0), RESEND_MAX_MS);
      if (item.extra || now - (item.at || 0) < wait) return;
      item.at = now;
      item.tries = (item.tries || 0) + 1;
      resend(form, item);
    });
    saveBox(p.scope, box);
  }

  function tendAll() {
    document.querySelectorAll("form[data-chat-composer][data-chat-scope]").forEach(tend);
  }
  setInterval(tendAll, 400);

  document.addEventListener(
    "input",
    function (event) {
      var field = event.target;
      var form = field && field.form;
      if (!form || field.name !== "text" || !form.matches("[data-chat-composer]")) return;
      var p = parts(form);
      if (!p.scope || p.editing || !p.key) return;
      var box = loadBox(p.scope);
      box.draft.text = field.value;
      if (!box.draft.key) box.draft.key = newKey();
      p.key.value = box.draft.key;
      saveBox(p.scope, box);
    },
    true
  );

  // Before the page's own handler reads the form: the send takes the draft's key and goes in flight.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form || !form.matches || !form.matches("form[data-chat-composer]")) return;
      var p = parts(form);
      if (!p.scope || p.editing || !p.field || !p.key) return;
      var box = loadBox(p.scope);
      var key = box.draft.key || newKey();
      if (key === form.getAttribute("data-chat-refused")) key = newKey(); // that one was never stored
      p.key.value = key;
      var extra = !!form.querySelector("[data-testid=staged-file], [data-testid=attached-link]");
      if (!box.pending.some(function (item) { return item.key === key; })) {
        box.pending.push({ key: key, text: p.field.value, extra: extra, at: Date.now(), tries: 0 });
      }
      box.draft = { key: "", text: "" };
      saveBox(p.scope, box);
    },
    true
  );

  // A reload is an app relaunch (the storefront); a reconnect goes back to the chat it showed.
  window.addEventListener("pagehide", function () {
    try {
      sessionStorage.removeItem("chat_crm_app_resume");
    } catch (e) {
      // no storage: nothing to forget
    }
  });

  // Conversations come and go as the user moves around the app: bind each one as it appears.
  function scan() {
    document.querySelectorAll("[data-chat-scroll]").forEach(bind);
    checkTyping();
  }
  function start() {
    scan();
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
