// The service worker of «Чат» (N1–N3): shows a Web Push as a notification and opens its chat
// when it is clicked. The payload is the JSON the server encrypts: {title, body, url, tag}.
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  const title = data.title || "Чат";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;  // only this site's own pages
  event.waitUntil((async function () {
    const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const tab of tabs) {
      if (new URL(tab.url).pathname === target.pathname && "focus" in tab) return tab.focus();
    }
    for (const tab of tabs) {
      if (new URL(tab.url).origin === target.origin && "navigate" in tab) {
        await tab.focus();
        return tab.navigate(target.href);
      }
    }
    return self.clients.openWindow(target.href);
  })());
});
