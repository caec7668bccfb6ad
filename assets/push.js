// Web Push in the browser (N1, N3): window.chatPush.subscribe() / unsubscribe() / state().
// Used by the CRM (as the employee) and by the client's phone page (as the client); the
// server names the subscriber from the page's own HttpOnly session cookie.
// Each call resolves to {state, message}: state is "on", "off", "denied" or "unsupported";
// message is the Russian text to show (from the element #push-texts, i.e. texts.py).
(function () {
  if (window.chatPush) return;

  function text(key) {
    const el = document.getElementById("push-texts");
    return (el && el.dataset[key]) || "";
  }
  function who() { return window.location.pathname.indexOf("/app") === 0 ? "client" : "employee"; }
  function supported() {
    return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }
  function keyBytes(b64) {
    const pad = "=".repeat((4 - (b64.length % 4)) % 4);
    const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await res.json().catch(function () { return {}; });
    if (!res.ok) throw new Error(data.error || text("failed"));
    return data;
  }
  async function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" });
  }
  function result(state, message) {
    window.chatPush.last = { state: state, message: message || "" };
    document.dispatchEvent(new CustomEvent("chatpush", { detail: window.chatPush.last }));
    return window.chatPush.last;
  }

  async function state() {
    if (!supported()) return result("unsupported", text("unsupported"));
    if (Notification.permission === "denied") return result("denied", text("denied"));
    const reg = await navigator.serviceWorker.getRegistration("/");
    const sub = reg && (await reg.pushManager.getSubscription());
    return sub ? result("on", text("enabled")) : result("off", "");
  }

  async function subscribe() {
    if (!supported()) return result("unsupported", text("unsupported"));
    let reg;
    try { reg = await registration(); } catch (e) { return result("off", text("failed")); }
    // Asked only now, after the user's own click: never on page load.
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return result("denied", text("denied"));
    try {
      await navigator.serviceWorker.ready;
      const key = (await (await fetch("/push/key", { credentials: "same-origin" })).json()).publicKey;
      let sub = await reg.pushManager.getSubscription();
      if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      await post("/push/subscribe", { as: who(), subscription: sub.toJSON() });
      return result("on", text("enabled"));
    } catch (e) {
      // No push service (no network, a browser without one) or the server refused.
      return result("off", (e && e.message && /[А-Яа-яЁё]/.test(e.message)) ? e.message : text("failed"));
    }
  }

  async function unsubscribe() {
    if (!supported()) return result("unsupported", text("unsupported"));
    const reg = await navigator.serviceWorker.getRegistration("/");
    const sub = reg && (await reg.pushManager.getSubscription());
    if (sub) {
      await post("/push/unsubscribe", { as: who(), endpoint: sub.endpoint }).catch(function () {});
      await sub.unsubscribe();
    }
    return result("off", "");
  }

  window.chatPush = { subscribe: subscribe, unsubscribe: unsubscribe, state: state, registration: registration, last: null };

  // The CRM's one-click control: a button #push-toggle, a status #push-status.
  function paint(r) {
    const btn = document.getElementById("push-toggle");
    const status = document.getElementById("push-status");
    if (btn) {
      btn.textContent = r.state === "on" ? text("enabled") : text("enable");
      btn.dataset.state = r.state;
    }
    if (status) status.textContent = r.state === "on" ? "" : r.message;
  }
  document.addEventListener("chatpush", function (e) { paint(e.detail); });
  document.addEventListener("click", function (e) {
    const btn = e.target && e.target.closest && e.target.closest("#push-toggle");
    if (!btn) return;
    e.preventDefault();
    if (btn.dataset.state === "on") return;  // «Push-уведомления включены»: nothing to do
    subscribe();
  });
  function init() { if (document.getElementById("push-toggle")) state(); }
  let tries = 0;
  const timer = setInterval(function () {
    tries += 1;
    if (document.getElementById("push-toggle")) { clearInterval(timer); init(); }
    if (tries > 40) clearInterval(timer);
  }, 250);
})();
