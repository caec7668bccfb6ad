// Canned replies in the CRM composer (P13): «/» opens the list of templates above the field.
//
// The page marks what this script works with:
//   [data-canned-picker]   a box inside the composer's <form>, empty as React renders it;
//                          data-canned-choices holds the employee's templates, filled for the chat
//                          on the server when the card opened: [{id, title, text, scope}]
//   [data-chat-field]      the composer's textarea
// Typing filters in the browser: no event per keystroke. A pick replaces the «/query» through the
// field's native setter and an input event, exactly like typing, so the state's draft and the
// crash-safe outbox of chat.js (localStorage) both keep it. Enter while the list is open picks and
// never sends; when nothing matches the list closes, so «/» stays an ordinary character. Everything
// is put on the page as text (textContent), never as markup.
(function () {
  "use strict";
  if (window.__cannedJs) return;
  window.__cannedJs = true;

  var MAX_QUERY = 60; // longer than any title: the «/» was part of ordinary text
  var SNIPPET = 140;

  var current = null; // {field, picker, start, end, query, items, index}
  var dismissed = null; // {field, start}: Esc closed the list for the «/» at this position

  function pickerOf(field) {
    var form = field && field.form;
    return form ? form.querySelector("[data-canned-picker]") : null;
  }

  function fieldOf(target) {
    if (!target || !target.closest || !target.closest("[data-chat-field]")) return null;
    return target.tagName === "TEXTAREA" ? target : null;
  }

  function choices(picker) {
    try {
      var list = JSON.parse(picker.getAttribute("data-canned-choices") || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  // The «/query» that ends at the caret: «/» at the start or after a space or new line.
  function slashQuery(field) {
    if (field.selectionStart !== field.selectionEnd) return null;
    var caret = field.selectionEnd;
    var before = field.value.slice(0, caret);
    var slash = before.lastIndexOf("/");
    if (slash < 0) return null;
    if (slash > 0 && !/\s/.test(before.charAt(slash - 1))) return null;
    var query = before.slice(slash + 1);
    if (query.length > MAX_QUERY || /[\n\/]/.test(query) || /^\s/.test(query)) return null;
    return { start: slash, end: caret, query: query };
  }

  function rank(item, needle) {
    if (!needle) return 0;
    var title = String(item.title || "").toLowerCase();
    var text = String(item.text || "").toLowerCase();
    if (title.indexOf(needle) === 0) return 0;
    if (title.indexOf(needle) > 0) return 1;
    if (text.indexOf(needle) >= 0) return 2;
    return -1;
  }

  function filter(list, query) {
    var needle = query.trim().toLowerCase();
    var ranked = [];
    list.forEach(function (item, order) {
      var r = rank(item, needle);
      if (r >= 0) ranked.push({ item: item, rank: r, order: order });
    });
    ranked.sort(function (a, b) {
      return a.rank - b.rank || a.order - b.order;
    });
    return ranked.map(function (entry) {
      return entry.item;
    });
  }

  function line(text, size, weight) {
    var el = document.createElement("div");
    el.textContent = text;
    el.style.fontSize = size;
    if (weight) el.style.fontWeight = weight;
    el.style.overflow = "hidden";
    el.style.textOverflow = "ellipsis";
    el.style.whiteSpace = "nowrap";
    return el;
  }

  function draw() {
    var s = current;
    var picker = s.picker;
    picker.textContent = "";
    var list = document.createElement("div");
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", picker.getAttribute("data-canned-label") || "");
    list.setAttribute("data-testid", "canned-list");
    list.style.cssText =
      "max-height:240px;overflow-y:auto;border:1px solid var(--gray-6);border-radius:8px;" +
      "background:var(--color-panel-solid, #fff);box-shadow:0 4px 16px rgba(0,0,0,.12);padding:4px";
    s.items.forEach(function (item, i) {
      var option = document.createElement("div");
      option.setAttribute("role", "option");
      option.setAttribute("data-testid", "canned-option");
      option.setAttribute("data-canned-index", String(i));
      option.setAttribute("aria-selected", i === s.index ? "true" : "false");
      option.style.cssText = "padding:6px 8px;border-radius:6px;cursor:pointer";
      if (i === s.index) option.style.background = "var(--accent-4)";
      var title = "/" + String(item.title || "") + (item.scope ? " · " + item.scope : "");
      option.appendChild(line(title, "13px", "600"));
      option.appendChild(line(String(item.text || "").slice(0, SNIPPET), "12px"));
      list.appendChild(option);
    });
    picker.appendChild(list);
    var hint = line(picker.getAttribute("data-canned-hint") || "", "11px");
    hint.style.color = "var(--gray-10)";
    hint.style.padding = "2px 4px";
    picker.appendChild(hint);
    picker.style.display = "block";
    var chosen = list.querySelector("[aria-selected=true]");
    if (chosen && chosen.scrollIntoView) chosen.scrollIntoView({ block: "nearest" });
  }

  function close() {
    if (!current) return;
    current.picker.style.display = "none";
    current.picker.textContent = "";
    current = null;
  }

  function update(field) {
    var picker = pickerOf(field);
    var found = picker ? slashQuery(field) : null;
    if (found && dismissed && dismissed.field === field && dismissed.start === found.start) found = null;
    if (!found) {
      if (dismissed && (!picker || !slashQuery(field))) dismissed = null;
      close();
      return;
    }
    var items = filter(choices(picker), found.query);
    if (!items.length) {
      // Nothing matches (or no templates at all): the «/» is ordinary text and Enter sends it.
      close();
      return;
    }
    var sameQuery = current && current.field === field && current.query === found.query;
    var index = sameQuery ? current.index : 0;
    current = {
      field: field,
      picker: picker,
      start: found.start,
      end: found.end,
      query: found.query,
      items: items,
      index: Math.min(index, items.length - 1),
    };
    draw();
  }

  function fill(field, text) {
    // Through the native setter and an input event, so React, the state and chat.js see it as typed.
    var setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(field), "value").set;
    setter.call(field, text);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function pick(index) {
    var s = current;
    if (!s || !s.items[index]) return;
    var field = s.field;
    var text = String(s.items[index].text || "");
    var value = field.value.slice(0, s.start) + text + field.value.slice(s.end);
    close();
    var caret = s.start + text.length;
    fill(field, value);
    field.focus();
    field.setSelectionRange(caret, caret);
    // A «/» inside the inserted text must not open the list again.
    var again = slashQuery(field);
    dismissed = again ? { field: field, start: again.start } : null;
    close();
  }

  // On window, in the capture phase: before chat.js's Enter-sends handler on the document.
  window.addEventListener(
    "keydown",
    function (event) {
      var s = current;
      if (!s || event.target !== s.field || event.isComposing || event.keyCode === 229) return;
      var key = event.key;
      var plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
      if (key === "ArrowDown" || key === "ArrowUp") {
        if (s.items.length) {
          var step = key === "ArrowDown" ? 1 : -1;
          s.index = (s.index + step + s.items.length) % s.items.length;
          draw();
        }
      } else if ((key === "Enter" || key === "Tab") && plain) {
        pick(s.index);
      } else if (key === "Escape") {
        dismissed = { field: s.field, start: s.start };
        close();
      } else {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    true
  );

  document.addEventListener(
    "input",
    function (event) {
      var field = fieldOf(event.target);
      if (field) update(field);
    },
    false
  );

  // The caret moved without typing (a click, Home/End): the «/query» at the caret may have changed.
  ["click", "keyup"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var field = fieldOf(event.target);
      if (!field || (type === "keyup" && /^(Arrow(Up|Down)|Enter|Tab|Escape)$/.test(event.key))) return;
      update(field);
    });
  });

  document.addEventListener(
    "focusout",
    function (event) {
      if (current && event.target === current.field) close();
    },
    true
  );

  // The templates arrive (or change with the chat's unit) after the card opened: a «/» typed
  // before that shows them as soon as they land.
  new MutationObserver(function () {
    var field = fieldOf(document.activeElement);
    if (field) update(field);
  }).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["data-canned-choices"],
    subtree: true,
  });

  // A click on an option: mousedown keeps the focus in the field, so the pick lands there.
  document.addEventListener(
    "mousedown",
    function (event) {
      var option = event.target && event.target.closest ? event.target.closest("[data-canned-index]") : null;
      if (!option || !current || !current.picker.contains(option)) return;
      event.preventDefault();
      pick(Number(option.getAttribute("data-canned-index")));
    },
    true
  );
})();
