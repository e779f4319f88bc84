// New hot lead: a short two-tone beep (WebAudio, no sound file) and a desktop notification.

let audio = null;

export function canNotify() {
  return "Notification" in window;
}

export async function enable() {
  // Both need a user gesture: the "Enable alerts" click unlocks audio and asks permission.
  audio = audio || new (window.AudioContext || window.webkitAudioContext)();
  if (audio.state === "suspended") await audio.resume();
  if (canNotify() && Notification.permission === "default") await Notification.requestPermission();
  return enabled();
}

export function enabled() {
  return !!audio && (!canNotify() || Notification.permission !== "denied");
}

export function beep() {
  if (!audio) return;
  const now = audio.currentTime;
  [880, 1320].forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.16);
    gain.gain.exponentialRampToValueAtTime(0.25, now + i * 0.16 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.16 + 0.14);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.16);
    osc.stop(now + i * 0.16 + 0.15);
  });
}

export function notify(title, body, onClick) {
  if (!canNotify() || Notification.permission !== "granted") return;
  // Notification text is plain text by specification: no markup is interpreted.
  const note = new Notification(title, { body, tag: "qualibot-lead", renotify: true });
  note.onclick = () => { window.focus(); onClick(); note.close(); };
}
