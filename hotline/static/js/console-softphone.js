// Connecting the worker to the caller: the browser softphone (the Twilio Voice JS SDK on a Twilio line,
// JsSIP on a SIP line), or, in simulator mode, a text channel with the simulated caller. Also keeps the page (and the call's audio) alive while
// the worker moves between the board and the current call, by loading pages without leaving this one.
(() => {
  "use strict";

  const C = window.HotlineConsole;
  const S = C.config.strings;
  const statusBox = document.getElementById("softphone-status");
  const show = (text, ok) => {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = `softphone-status ${ok ? "online" : "offline"}`;
  };

  /* Simulator: the conversation is typed. ---------------------------------------------------- */
  const initChat = () => {
    const box = document.querySelector("[data-chat-call]");
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    const callId = box.dataset.chatCall;
    const list = document.getElementById("chat-lines");
    const load = async () => {
      try {
        const data = await C.api("GET", `/api/v1/console/calls/${callId}/chat`);
        list.innerHTML = "";
        for (const line of data.lines) {
          const item = document.createElement("li");
          item.className = `from-${line.sender}`;
          item.textContent = line.body;
          list.appendChild(item);
        }
      } catch {
        // The next line or the next poll loads again.
      }
    };
    document.getElementById("chat-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = document.getElementById("chat-input");
      if (!input.value.trim()) return;
      await C.api("POST", `/api/v1/console/calls/${callId}/chat`, { body: input.value });
      input.value = "";
      load();
    });
    document.addEventListener("hotline:chat", load);
    setInterval(load, 4000);
  };

  /* Browser softphone: one shape, two engines ------------------------------------------------ */
  // An engine connects this browser to the line: the Twilio Voice SDK on a Twilio line, JsSIP on a SIP
  // line (softphone-sip.js: SIP over WebSocket to Kamailio, WebRTC media through rtpengine). Each offers register() and
  // unregister(), and tells `events` when it is ready, unregistered, lost (with a message) and ringing with
  // a call. A call offers answer(), mute(on) (the microphone), digit(key), hangUp(), stats() ({received,
  // sent, energy} of the audio, or null) and tells the panel when it talks and when it ends. Holding the caller is
  // the line's (console-call.js: the call's conference with hold music), on every line the same.
  const token = () => C.api("GET", "/api/v1/console/softphone/token");

  const twilioEngine = (data, events) => {
    const device = new window.Twilio.Device(data.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
    device.on("registered", events.ready);
    device.on("unregistered", events.unregistered);
    device.on("error", (error) => say(S.softphoneError.replace("%(detail)s", () => error.message), false));
    device.on("tokenWillExpire", async () => device.updateToken((await token()).token));
    device.on("incoming", (incoming) => {
      const call = {
        answer: () => incoming.accept(),
        mute: (on) => incoming.mute(on),
        digit: (key) => incoming.sendDigits(key),
        hangUp: () => incoming.disconnect(),
        stats: async () => null,
      };
      for (const name of ["disconnect", "cancel", "reject"]) incoming.on(name, () => events.ended(call));
      incoming.on("accept", () => events.talking(call));
      events.ringing(call);
    });
    return { register: () => device.register(), unregister: () => device.unregister() };
  };

  /* The softphone's panel: status, devices check, and the call's buttons ------------------------ */
  const panel = document.createElement("section");
  panel.id = "softphone";
  panel.className = "softphone card";
  panel.hidden = true;
  panel.setAttribute("aria-label", S.softphone);
  panel.innerHTML = `
    <p class="softphone-line"><span id="softphone-state" class="softphone-status" role="status"></span>
      <button type="button" class="secondary" data-phone="check"></button></p>
    <p id="softphone-check" class="hint" role="status"></p>
    <div id="softphone-call" class="softphone-call" hidden>
      <button type="button" class="secondary" data-phone="mute" aria-pressed="false"></button>
      <button type="button" class="danger" data-phone="hangup"></button>
      <div class="keypad" role="group"></div>
    </div>
    <audio id="softphone-audio" autoplay></audio>`;
  panel.querySelector('[data-phone="check"]').textContent = S.checkDevices;
  panel.querySelector('[data-phone="mute"]').textContent = S.mute;
  panel.querySelector('[data-phone="hangup"]').textContent = S.hangUp;
  const keypad = panel.querySelector(".keypad");
  keypad.setAttribute("aria-label", S.keypad);
  for (const key of "123456789*0#") {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.dataset.digit = key;
    button.textContent = key;
    keypad.appendChild(button);
  }
  const stateBox = panel.querySelector("#softphone-state");
  const checkBox = panel.querySelector("#softphone-check");
  const callBox = panel.querySelector("#softphone-call");
  const speaker = panel.querySelector("#softphone-audio");
  const say = (text, ok) => {
    show(text, ok);
    stateBox.textContent = text;
    stateBox.className = `softphone-status ${ok ? "online" : "offline"}`;
  };

  let engine = null;
  let current = null;
  let registered = false;
  let registering = null;
  const view = { message: "", muted: false };

  // The worker wants calls in this browser unless on break or offline, or taking them on their own phone.
  const wantsCalls = () => {
    const status = document.querySelector("#console-status .my-status");
    if (!status) return null;
    const via = document.querySelector('input[name="connect_via"]:checked')?.value;
    return !["break", "offline"].includes(status.dataset.state) && via !== "phone";
  };
  const register = () => {
    if (registered) return Promise.resolve(true);
    if (!registering) {
      say(S.softphoneConnecting, false);
      registering = new Promise((resolve) => {
        const settle = (value) => {
          registering = null;
          resolve(value);
        };
        events.settle = settle;
        engine.register().catch(() => settle(false));
      });
    }
    return registering;
  };
  const sync = () => {
    const want = wantsCalls();
    if (!engine || want === null) return;
    if (want && !registered) register();
    if (!want && (registered || registering) && !current) {
      engine.unregister();
      registered = false;
    }
  };
  // Something broke (microphone refused, connection or registration lost): say so, and stop the offers to
  // this browser so they go to a colleague.
  // Lost in a call, the call goes on (its media does not pass through the connection that dropped): the
  // worker ends it with the call page's Hang up, which asks the line, as the softphone can no longer.
  const lost = async (problem) => {
    const message = current && problem === S.softphoneDropped ? S.softphoneDroppedInCall : problem;
    view.message = message;
    registered = false;
    say(message, false);
    events.settle?.(false);
    engine?.unregister();
    if (wantsCalls()) {
      try {
        await C.api("POST", "/api/v1/routing/presence", { state: "offline" });
      } finally {
        C.refresh();
      }
    }
  };
  const events = {
    settle: null,
    ready: () => {
      registered = true;
      view.message = "";
      say(S.softphoneReady, true);
      events.settle?.(true);
    },
    unregistered: () => {
      registered = false;
      if (!view.message) say(S.softphoneAway, false);
    },
    lost,
    ringing: (call) => {
      // The worker accepted the offer in the console: this is that call (or a warm transfer's conference).
      current = call;
      view.muted = false;
      const mute = panel.querySelector('[data-phone="mute"]');
      mute.textContent = S.mute;
      mute.setAttribute("aria-pressed", "false");
      callBox.hidden = false;
      call.answer();
    },
    audio: (stream) => {
      speaker.srcObject = stream;
      speaker.play().catch(() => {});
    },
    talking: () => say(S.softphoneTalking, true),
    // A call that ends is the current one, or one it replaced (moving into the call's conference rings
    // this browser again before the first leg's hang-up arrives): only the current one closes the panel.
    ended: (call) => {
      if (!current || call !== current) return;
      current = null;
      callBox.hidden = true;
      speaker.srcObject = null;
      if (registered) say(S.softphoneReady, true);
      C.refresh();
    },
  };

  const microphone = async () => {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (error) {
      lost(error.name === "NotAllowedError" ? S.microphoneRefused : S.microphoneMissing.replace("%(detail)s", () => error.message));
      return null;
    }
  };
  // Before going available: the microphone is allowed and the softphone is registered.
  const beforeAvailable = async () => {
    if (!engine || document.querySelector('input[name="connect_via"]:checked')?.value === "phone") return true;
    const stream = await microphone();
    if (!stream) return false;
    for (const track of stream.getTracks()) track.stop();
    view.message = "";
    return register();
  };
  // The devices check: the microphone's level for two seconds, and a tone in the speaker.
  const checkDevices = async () => {
    const stream = await microphone();
    if (!stream) return;
    const context = new (window.AudioContext || window.webkitAudioContext)();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const tone = context.createOscillator();
    const gain = context.createGain();
    gain.gain.value = 0.1;
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.5);
    const samples = new Uint8Array(analyser.fftSize);
    let loudest = 0;
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      analyser.getByteTimeDomainData(samples);
      for (const sample of samples) loudest = Math.max(loudest, Math.abs(sample - 128));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const track of stream.getTracks()) track.stop();
    context.close();
    checkBox.textContent = loudest > 4 ? S.devicesWork : S.microphoneSilent;
  };

  panel.addEventListener("click", async (event) => {
    const target = event.target.closest("[data-phone], [data-digit]");
    if (!target) return;
    if (target.dataset.phone === "check") return checkDevices();
    if (!current) return;
    if (target.dataset.digit) return current.digit(target.dataset.digit);
    if (target.dataset.phone === "hangup") {
      const lineHangUp = document.getElementById("hang-up");
      if (view.message === S.softphoneDroppedInCall && lineHangUp) return lineHangUp.click();
      return current.hangUp();
    }
    view.muted = !view.muted;
    target.setAttribute("aria-pressed", String(view.muted));
    target.textContent = view.muted ? S.unmute : S.mute;
    await current.mute(view.muted);
  });

  const initDevice = async () => {
    if (!C.config.softphone) return;
    try {
      const data = await token();
      if (data.mode === "twilio" && window.Twilio?.Device) engine = twilioEngine(data, events);
      else if (data.mode === "sip" && window.HotlineSipEngine) engine = window.HotlineSipEngine(data, events, { token, strings: S });
      if (!engine) return;
      document.body.appendChild(panel);
      panel.hidden = false;
      document.addEventListener("hotline:rendered", sync);
      sync();
    } catch (error) {
      show(S.softphoneError.replace("%(detail)s", () => error.message), false);
    }
  };
  window.HotlineSoftphone = {
    beforeAvailable,
    // What the panel shows, and the call's audio packets (tests and the bench read these).
    state: async () => ({ registered, inCall: Boolean(current), ...view, packets: current ? await current.stats() : null }),
  };

  /* Moving between console pages without dropping the call's audio ---------------------------------- */
  const replaceMain = (html, url) => {
    const main = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    if (!main) {
      window.location.href = url;
      return;
    }
    document.querySelector("main").innerHTML = main.innerHTML;
    if (url && url !== window.location.href) history.pushState({}, "", url);
    const match = /\/console\/calls\/(\d+)/.exec(new URL(url || window.location.href).pathname);
    C.config.callId = match ? Number(match[1]) : null;
    window.HotlineIntake?.init();
    initChat();
    C.afterRender();
  };
  const load = async (response) => replaceMain(await response.text(), response.url);
  const go = async (url) => load(await fetch(url, { credentials: "same-origin" }));
  if (C.config.softphone) {
    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (!form.closest("main") || (form.method || "").toLowerCase() !== "post" || !engine) return;
      event.preventDefault();
      const body = new FormData(form);
      if (event.submitter?.name) body.append(event.submitter.name, event.submitter.value);
      load(await fetch(form.action, { method: "POST", body, credentials: "same-origin" }));
    });
    window.addEventListener("popstate", () => go(window.location.href));
    window.HotlineSoftNav = { go };
  }
  initChat();
  initDevice();
})();
