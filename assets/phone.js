// The simulated phone's notifications in the browser (N3, N4).
//
// The page marks what this script works with:
//   [data-app-unread]   the app's unread count: the tab's title and, where the browser has
//                       one, the installed app's icon badge (navigator.setAppBadge)
//   [data-banner-key]   the push banner: hidden after a few seconds or on a swipe, by
//                       pressing its [data-banner-close] button (the state forgets it)
//   [data-push-allow]   «Разрешить уведомления»: window.chatPush.subscribe() (assets/push.js),
//                       offered while this browser could subscribe and has not
//   [data-push-status]  the outcome, in Russian («Уведомления включены», a refusal)
// Reflex may load this file again on a later visit to the page: it sets itself up once.
(function () {
  "use strict";
  if (window.__phoneJs) return;
  window.__phoneJs = true;

  var BANNER_MS = 6000;
  var SWIPE_PX = 40;
  var baseTitle = "";
  var lastCount = -1;
  var bannerKey = "";
  var bannerTimer = 0;

  function showCount() {
    var el = document.querySelector("[data-app-unread]");
    var count = el ? Number(el.getAttribute("data-app-unread")) || 0 : 0;
    if (count === lastCount) return;
    lastCount = count;
    if (!baseTitle) baseTitle = document.title.replace(/^\(\d+\+?\)\s*/, "");
    document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
    try {
      if (count > 0 && navigator.setAppBadge) navigator.setAppBadge(count).catch(function () {});
      else if (navigator.clearAppBadge) navigator.clearAppBadge().catch(function () {});
    } catch (e) {
      /* no badge API here: the title and the page's icon show the count */
    }
  }

  function closeBanner(banner) {
    var button = banner && banner.querySelector("[data-banner-close]");
    if (button) button.click();
  }

  function bindSwipe(banner) {
    if (banner.__swipe) return;
    banner.__swipe = true;
    var start = null;
    banner.addEventListener("pointerdown", function (e) {
      start = { x: e.clientX, y: e.clientY };
    });
    banner.addEventListener("pointerup", function (e) {
      if (!start) return;
      var dx = e.clientX - start.x;
      var dy = e.clientY - start.y;
      start = null;
      if (dy < -SWIPE_PX / 2 || Math.abs(dx) > SWIPE_PX) closeBanner(banner);
    });
  }

  function watchBanner() {
    var banner = document.querySelector("[data-banner-key]");
    var key = banner ? banner.getAttribute("data-banner-key") : "";
    if (key === bannerKey) return;
    bannerKey = key;
    clearTimeout(bannerTimer);
    if (!banner) return;
    bindSwipe(banner);
    bannerTimer = setTimeout(function () {
      var current = document.querySelector("[data-banner-key]");
      if (current && current.getAttribute("data-banner-key") === key) closeBanner(current);
    }, BANNER_MS);
  }

  function pushOffer() {
    var button = document.querySelector("[data-push-allow]");
    if (!button) return;
    var push = window.chatPush;
    if (!push) {
      waitForPush();
      return;
    }
    var last = push.last;
    if (!last && !push.__asked) {
      push.__asked = true;
      push.state(); // "on" if this browser already subscribed: then nothing to offer
    }
    var show = last && last.state === "off"; // "denied" is for the browser's settings: the status says so
    button.style.display = show ? "inline-flex" : "none"; // inline: above the page's own "none"
    var status = document.querySelector("[data-push-status]");
    if (status) status.textContent = last ? last.message : "";
  }

  var pushWait = 0;
  function waitForPush() {
    // push.js may load after this script: look for it a little while.
    if (pushWait) return;
    var tries = 0;
    pushWait = setInterval(function () {
      tries += 1;
      if (window.chatPush || tries > 40) {
        clearInterval(pushWait);
        pushWait = 0;
        if (window.chatPush) pushOffer();
      }
    }, 250);
  }

  document.addEventListener("chatpush", pushOffer);
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest && e.target.closest("[data-push-allow]");
    if (button && window.chatPush) window.chatPush.subscribe();
  });

  function update() {
    showCount();
    watchBanner();
    pushOffer();
  }

  new MutationObserver(update).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-app-unread", "data-banner-key"],
  });
  update();
})();
