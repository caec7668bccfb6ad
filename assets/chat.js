// The conversation's behaviour in the browser, on the CRM card and in the client app (P1, P2, P6, P7, M11).
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
