// The chat list's browser side (P8, P9): the unread count in the tab's title, and a sound
// and a notification for a new client message in a chat of mine or of nobody's.
// The server decides what to announce (ChatListState._alert); this only watches
// #inbox-state's data attributes, which every live update of the list may change.
(function () {
  if (window.chatInbox) return;
  // Labels come from the page (texts.py), so this file holds no user-facing string.
  let baseTitle = document.title;
  let audio = null;
  let lastSeq = null;

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
      window.chatInbox.sounds += 1;
    } catch (e) { /* no audio device: the notification still shows */ }
  }

  function notify(title, body, chatId) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification(title, { body: body, tag: "chat-" + chatId });
    note.onclick = function () { window.focus(); window.location.href = "/support/chats/" + chatId; };
  }

  function sync(el) {
    const unread = parseInt(el.dataset.unread || "0", 10);
    baseTitle = el.dataset.baseTitle || baseTitle;
    if (window.location.pathname.replace(/\/$/, "") === "/support/chats") {
      document.title = unread > 0 ? "(" + unread + ") " + baseTitle : baseTitle;
    }
    const seq = parseInt(el.dataset.alertSeq || "0", 10);
    if (lastSeq !== null && seq > lastSeq) {
      beep();
      notify(el.dataset.alertTitle || baseTitle, el.dataset.alertBody || "", el.dataset.chatId || "");
    }
    lastSeq = seq;
  }

  let watched = null;
  const observer = new MutationObserver(function () { if (watched) sync(watched); });
  function attach() {
    const el = document.getElementById("inbox-state");
    if (el && el !== watched) {
      observer.disconnect();
      watched = el;
      lastSeq = null;
      observer.observe(el, { attributes: true });
      sync(el);
    }
  }
  setInterval(attach, 500);
  attach();

  function updateButton() {
    const button = document.getElementById("inbox-alerts-button");
    if (button && "Notification" in window && Notification.permission === "granted") {
      button.textContent = button.dataset.enabledLabel || button.textContent;
    }
  }
  setInterval(updateButton, 1000);

  window.chatInbox = {
    sounds: 0,
    enable: function () {
      // A click lets the page play sound from now on, and asks for notifications once.
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        audio.resume();
      } catch (e) { /* no audio */ }
      if ("Notification" in window && Notification.permission === "default") {
        Notification.requestPermission().then(updateButton);
      }
      updateButton();
    },
  };
})();
